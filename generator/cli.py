"""The ``triangle`` command line: parse options, run a pipeline, print, exit.

Commands stay thin: each one resolves its inputs (site folder, build date, format),
calls the pipeline and prints the result. User mistakes arrive here as
:class:`~generator.diagnostics.TriangleError` and leave as a message and an exit code;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import click

from . import __version__
from .check import CheckResult, check_site, no_gc
from .diagnostics import Diagnostic, TriangleError, UsageError
from .report import as_github, as_json, as_text, strict, summary
from .schema import RECORDS, json_schema_text, reference_markdown


class BuildDate(click.ParamType):  # type: ignore[type-arg]
    """A ``YYYY-MM-DD`` option value, refused as a usage error when it is not one."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date written YYYY-MM-DD", param, ctx)


def resolve_today(option: dt.date | None) -> dt.date:
    """The build date: ``--today``, else ``SOURCE_DATE_EPOCH`` (reproducible builds), else the clock.

    Validation and scoring never read the clock themselves: the date is an input, so
    two runs with the same date give the same answer.
    """
    if option is not None:
        return option
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        except (ValueError, OverflowError, OSError):
            raise UsageError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970; fix or unset it"
            ) from None
    return dt.datetime.now(dt.UTC).date()


def site_root(ctx: click.Context) -> Path:
    """The site folder chosen with ``-C`` (default: the current folder)."""
    root: Path = ctx.obj["root"]
    return root


today_option = click.option(
    "--today",
    type=BuildDate(),
    default=None,
    help="Build date (default: $SOURCE_DATE_EPOCH, else today). Dates after it are errors.",
)


class TriangleGroup(click.Group):
    """A command group that prints user mistakes as messages with the right exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TriangleError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(diagnostic.render(), err=True)
            click.echo(f"error: {exc.message}", err=True)
            raise click.exceptions.Exit(exc.exit_code) from None


@click.group(cls=TriangleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="triangle")
@click.option(
    "-C",
    "--directory",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The site folder (the one holding site.yml and content/).",
)
@click.pass_context
def cli(ctx: click.Context, directory: Path) -> None:
    """Triangle: the public reputation directory of a professional network."""
    ctx.ensure_object(dict)
    ctx.obj["root"] = directory


def _report_paths(root: Path, paths: tuple[Path, ...]) -> tuple[str, ...]:
    """Site-relative forms of the paths given to ``check``; a path outside the site is a usage error."""
    resolved_root = root.resolve()
    chosen: list[str] = []
    for path in paths:
        absolute = path if path.is_absolute() else Path.cwd() / path
        absolute = Path(os.path.normpath(absolute))
        try:
            relative = absolute.relative_to(resolved_root)
        except ValueError:
            raise UsageError(f"{str(path)!r} is not inside the site folder {str(root)!r}") from None
        if not absolute.exists() and not absolute.is_symlink():
            raise UsageError(f"{str(path)!r} does not exist")
        chosen.append(relative.as_posix())
    return tuple(chosen)


def _selected(diagnostic: Diagnostic, paths: tuple[str, ...]) -> bool:
    return not paths or any(
        p == "." or diagnostic.path == p or diagnostic.path.startswith(p.rstrip("/") + "/") for p in paths
    )


def print_diagnostics(diagnostics: list[Diagnostic], fmt: str, files: int) -> None:
    """Print problems in the chosen format, with the summary line for people."""
    if fmt == "json":
        click.echo(as_json(diagnostics))
        return
    lines = as_github(diagnostics) if fmt == "github" else as_text(diagnostics)
    for line in lines:
        click.echo(line)
    click.echo(summary(diagnostics, files), err=fmt == "github")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "github", "json"]),
    default="text",
    show_default=True,
    help="text for people, github for pull-request annotations, json for tools.",
)
@click.option("--strict", "strict_mode", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Parse every record again, ignoring and leaving alone .triangle-cache/ (safe to delete at any time).",
)
@today_option
@click.pass_context
def check(
    ctx: click.Context, paths: tuple[Path, ...], fmt: str, strict_mode: bool, no_cache: bool, today: dt.date | None
) -> None:
    """Validate every record; report problems in PATHS only (default: all).

    Cross-references are always checked against the whole site. Exit status: 0 when
    valid, 1 when invalid, 2 for a usage or configuration mistake.
    """
    root = site_root(ctx)
    selected = _report_paths(root, paths)
    warn_without_libyaml()
    result: CheckResult = check_site(root, resolve_today(today), cache=not no_cache)
    diagnostics = [d for d in result.diagnostics if _selected(d, selected)]
    if strict_mode:
        diagnostics = strict(diagnostics)
    print_diagnostics(diagnostics, fmt, result.files)
    ctx.exit(1 if any(d.severity.value == "error" for d in diagnostics) else 0)


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the JSON Schema files (default: schemas/ in the site folder).",
)
@click.option("--reference", is_flag=True, help="Print the Markdown field reference instead.")
@click.pass_context
def schema(ctx: click.Context, out: Path | None, reference: bool) -> None:
    """Write the JSON Schemas of the records, for editor completion and other tools.

    Point your editor at them with a first line such as
    '# yaml-language-server: $schema=../../schemas/member.schema.json'.
    """
    if reference:
        click.echo(reference_markdown(), nl=False)
        return
    folder = out if out is not None else site_root(ctx) / "schemas"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for kind in RECORDS:
            target = folder / f"{kind}.schema.json"
            target.write_text(json_schema_text(kind), encoding="utf-8")
            click.echo(f"wrote {target}")
    except OSError as exc:
        raise UsageError(f"cannot write the schemas into {str(folder)!r}: {exc.strerror}") from None


@cli.command()
@click.argument("member", required=False)
@click.option("--all", "everyone", is_flag=True, help="Every member: print the api/members.json document.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for tools.",
)
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default=None,
    help="Language of the text (default: the site's first language).",
)
@today_option
@click.pass_context
def explain(
    ctx: click.Context, member: str | None, everyone: bool, fmt: str, lang: str | None, today: dt.date | None
) -> None:
    """Show the evidence and arithmetic behind MEMBER's badges.

    Every statement made about the member is listed with each factor of its weight,
    then the totals, the bounds, the thresholds and the resulting level, so that the
    badges can be checked by hand (see docs/scoring.md). The text speaks the site's
    language (--lang) and folds at the terminal's width. With --all --format json,
    print the api/members.json document instead. Exit status: 0 when done, 1 when the
    site is invalid, 2 for a usage mistake such as an unknown member.
    """
    # Imported here: numpy and scipy take a moment to load, and only scoring needs them.
    import json

    from .api import members_export
    from .explain import explain_json, explain_text, unknown_member_message
    from .score import score_site

    if everyone == (member is not None):
        raise UsageError("name one member to explain, or use --all (with --format json) for every member")
    if everyone and fmt != "json":
        raise UsageError("--all prints the api/members.json document: add --format json")
    result: CheckResult = check_site(site_root(ctx), resolve_today(today))
    if result.failed():
        print_diagnostics(list(result.diagnostics), fmt, result.files)
        ctx.exit(1)
    site = result.site
    if member is not None and member not in site.members:
        raise UsageError(unknown_member_message(site, member))
    if member is not None and site.members[member].status == "withdrawn":
        raise UsageError(
            f"{member!r} asked to be forgotten (withdrawn): Triangle shows nothing about them, "
            "and their engagements count only for their counterparts"
        )
    scores = score_site(site)
    if member is None:
        click.echo(members_export(site, scores).decode("utf-8"), nl=False)
        return
    if fmt == "json":
        document = explain_json(site, scores, member)
    else:
        language = lang or next(iter(site.config.languages), "en")
        click.echo(explain_text(site, scores, member, _terminal_width(), language), nl=False)
        return
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _terminal_width() -> int | None:
    """The width to fold text at: ``COLUMNS``, else the terminal's; ``None`` (no folding) in a pipe or file."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), 40)
    if sys.stdout.isatty():
        return max(shutil.get_terminal_size().columns, 40)
    return None


def warn_without_libyaml() -> None:
    """Say loudly when PyYAML lacks libyaml: every check would be about ten times slower, silently."""
    from .load import LIBYAML

    if not LIBYAML:
        click.echo(
            "warning: PyYAML was installed without libyaml, so reading records is about ten times slower; "
            "install libyaml (apt install libyaml-dev), then "
            "'pip install --force-reinstall --no-binary pyyaml pyyaml'",
            err=True,
        )


def _interactive() -> bool:
    """A person watching a terminal (not CI, not a pipe): worth a progress line."""
    return sys.stderr.isatty() and os.environ.get("CI", "").lower() not in ("1", "true", "yes")


@cli.command()
@click.option("--strict", "strict_mode", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to build (default: 'output' in site.yml, _site).",
)
@click.option("--no-search", is_flag=True, help="Skip the Pagefind search index (faster; search box inactive).")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Parse every record again, ignoring and leaving alone .triangle-cache/ (safe to delete at any time).",
)
@today_option
@click.pass_context
def build(
    ctx: click.Context, strict_mode: bool, output: Path | None, no_search: bool, no_cache: bool, today: dt.date | None
) -> None:
    """Check, score and render the site into its output folder, atomically.

    The new site is written beside the output and swapped in at the end: a failed or
    interrupted build leaves the previous site untouched. Two builds of the same
    content with the same date are byte-identical. Exit status: 0 built, 1 invalid
    content, 2 usage or configuration mistake.
    """
    from .build import BuildFailed
    from .build import build as build_site_folder

    root = site_root(ctx)
    warn_without_libyaml()
    started = time.perf_counter()
    shown = [0.0]

    def progress(stage: str, count: int) -> None:
        now = time.perf_counter()
        if now - started > 1.0 and now - shown[0] > 0.1:
            shown[0] = now
            click.echo(f"\r{stage}: {count:,} files…", nl=False, err=True)

    try:
        result = build_site_folder(
            root,
            resolve_today(today),
            strict=strict_mode,
            output=output,
            search=not no_search,
            cache=not no_cache,
            progress=progress if _interactive() else None,
        )
    except BuildFailed as exc:
        print_diagnostics(list(exc.diagnostics), "text", 0)
        raise
    finally:
        if shown[0]:
            click.echo("\r\033[K", nl=False, err=True)
    for diagnostic in result.diagnostics:
        click.echo(diagnostic.render(), err=True)
    click.echo(
        f"Built {result.members:,} members, {result.engagements:,} engagements, {result.pages:,} pages "
        f"in {time.perf_counter() - started:.1f} s into {result.output}"
    )
    done = result.published
    if done is not None and done.incremental:
        if done.written == done.removed == done.rendered == 0:
            click.echo("Nothing changed since the last build: no file was written.")
        else:
            click.echo(
                f"Incremental: {done.rendered:,} of {done.rendered + done.kept:,} page groups drawn again, "
                f"{done.written:,} files written, {done.removed:,} removed, the rest left as they were."
            )


@cli.command()
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but 127.0.0.1 or ::1 shows your drafts to the network.",
)
@click.option(
    "--no-search",
    is_flag=True,
    help="Skip the Pagefind search index (faster start). Otherwise only the first build indexes.",
)
@click.option("--strict", "strict_mode", is_flag=True, help="Treat warnings as errors.")
@today_option
@click.pass_context
def serve(ctx: click.Context, port: int, host: str, no_search: bool, strict_mode: bool, today: dt.date | None) -> None:
    """Build into a temporary folder, serve it on localhost, rebuild and reload pages on change.

    Watches content/, themes/ and site.yml. A failed rebuild prints its errors here and
    over the open pages, and the last good build stays served. Search results come from
    the index of the first build. Ctrl-C stops and deletes the temporary folder.
    Exit status: 0 when stopped, 2 for a usage mistake such as a port already in use.
    """
    from .serve import serve as serve_site

    serve_site(
        site_root(ctx),
        resolve_today(today),
        host=host,
        port=port,
        strict=strict_mode,
        search=not no_search,
    )


def _interface_languages() -> list[str]:
    from .newsite import language_choices

    return list(language_choices())


@cli.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--title", help="The network's name (site.yml 'title').")
@click.option("--base-url", help="Where the directory will be published, e.g. https://network.example/.")
@click.option(
    "--language",
    "languages",
    multiple=True,
    type=click.Choice(_interface_languages()),
    help="An interface language; repeat for several, the first is the default (default: fr, en).",
)
@click.option("--coordinator", help="Member id of the first member, who becomes the first coordinator.")
@click.option("--name", "coordinator_name", help="That member's display name.")
@click.option("--source", default=None, help="Git repository CI installs Triangle from (an https:// URL).")
@click.option(
    "--pin",
    default=f"v{__version__}",
    show_default=True,
    help="Release tag or commit SHA of Triangle that CI and pre-commit install.",
)
@today_option
def init(
    directory: Path,
    title: str | None,
    base_url: str | None,
    languages: tuple[str, ...],
    coordinator: str | None,
    coordinator_name: str | None,
    source: str | None,
    pin: str,
    today: dt.date | None,
) -> None:
    """Create a new network's repository in DIRECTORY (new, or empty).

    Writes site.yml, one example member, the JSON Schemas, a README for members, CI for
    GitHub (check and review pull requests, publish on Pages) and GitLab, CODEOWNERS,
    .gitignore and a pre-commit configuration. Asks for what the options leave out when
    run in a terminal. Never writes over a file: exit status 2 when DIRECTORY is not
    empty or a value is invalid.
    """
    from . import newsite

    newsite.refuse_unless_empty(directory)
    ask = sys.stdin.isatty()

    def answer(value: str | None, question: str, default: str) -> str:
        if value is not None:
            return value
        return str(click.prompt(question, default=default)) if ask else default

    title = answer(title, "Name of the network", "My network")
    base_url = answer(base_url, "Address it will be published at", "https://network.example/")
    if not languages:
        choices = "/".join(newsite.language_choices())
        spoken = answer(
            None, f"Interface languages, the default first ({choices})", ", ".join(newsite.default_languages())
        )
        languages = tuple(code.strip() for code in spoken.replace(",", " ").split())
    coordinator = answer(coordinator, "Your member id (you are the first coordinator)", "example-coordinator")
    coordinator_name = answer(coordinator_name, "Your display name", newsite.display_name(coordinator))
    site = newsite.NewSite(
        title=title,
        base_url=base_url,
        languages=languages,
        coordinator=coordinator,
        coordinator_name=coordinator_name,
        joined=resolve_today(today),
        source=source if source is not None else newsite.SOURCE,
        pin=pin,
    )
    written = newsite.create(directory, site)
    for path in written:
        click.echo(f"wrote {path}")
    git_init = "" if (directory / ".git").exists() else " && git init"
    click.echo(f"\nA new network is ready in {directory}. Next: edit {written[1].relative_to(directory)}, then")
    click.echo(f"  cd {directory}{git_init} && triangle check && triangle build")
    if source is None:
        click.echo(
            f"warning: CI installs Triangle from the placeholder {newsite.SOURCE!r}: set TRIANGLE in "
            ".github/workflows/*.yml and .gitlab-ci.yml, and 'repo' in .pre-commit-config.yaml "
            "(or use --source next time)",
            err=True,
        )


# --- new, attest, fmt --------------------------------------------------------------------

interactive_option = click.option(
    "--interactive/--no-interactive",
    default=None,
    help="Ask for the values the options leave out (default: only when the input is a terminal).",
)


def _asker(interactive: bool | None) -> Any:
    from .scaffold import Asker

    return Asker(sys.stdin.isatty() if interactive is None else interactive)


def _write_new_record(root: Path, draft: Any, today: dt.date) -> None:
    """Write a new record, then report what ``triangle check`` finds in it (exit 1 on an error)."""
    from .scaffold import problems_of, write, written_with_problems

    write(root, draft)
    click.echo(f"wrote {draft.path}")
    problems = problems_of(draft.path, check_site(root, today).diagnostics)
    for diagnostic in problems:
        click.echo(diagnostic.render())
    if any(d.severity.value == "error" for d in problems):
        raise written_with_problems(draft.path)


def _links(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        label, sep, url = value.partition("=")
        if not sep or not label or not url:
            raise UsageError(f"--link {value!r}: write LABEL=URL, e.g. --link website=https://example.org/")
        pairs.append((label.strip(), url.strip()))
    return tuple(pairs)


@cli.group()
def new() -> None:
    """Write a new member or engagement record, from options or questions.

    Each value is checked as 'triangle check' would check it; the record is written in
    canonical form under the editor's $schema line, never over an existing file, and
    then checked. Exit status: 0 written, 1 not written (the file exists or changed)
    or written with problems, 2 for an invalid or missing option.
    """


@new.command("member")
@click.argument("member_id", metavar="ID")
@click.option("--name", help="Display name.")
@click.option("--kind", help="person or organisation.")
@click.option("--headline", help="One line: what the member does (at most 120 characters).")
@click.option("--region", help="Territory used for filtering, a slug such as ile-de-france.")
@click.option("--location", help="Free text, e.g. Paris.")
@click.option("--skills", help="Declared skills: slugs separated by commas.")
@click.option("--languages", help="ISO 639-1 codes separated by commas, e.g. fr,en.")
@click.option("--joined", help="Date of entry in the network, YYYY-MM-DD (default: today).")
@click.option("--sponsors", help="Member ids of the members who vouch for the entry, separated by commas.")
@click.option("--link", "links", multiple=True, metavar="LABEL=URL", help="A web address (https); repeat for several.")
@click.option("--key", "keys", multiple=True, metavar="LINE", help="An SSH public key line; repeat for several.")
@click.option("--bio", help="About the member (Markdown).")
@interactive_option
@today_option
@click.pass_context
def new_member(
    ctx: click.Context, /, member_id: str, interactive: bool | None, today: dt.date | None, **options: Any
) -> None:
    """Write content/members/ID.yml for a new member."""
    from . import scaffold
    from .config import load_config

    root = site_root(ctx)
    load_config(root)
    day = resolve_today(today)
    options["links"] = _links(options["links"])
    draft = scaffold.new_member(root, member_id, options, day, _asker(interactive))
    _write_new_record(root, draft, day)
    click.echo("\n".join(scaffold.next_step_member(draft)))


@new.command("engagement")
@click.option("--client", help="Member id of the client (who ordered and pays).")
@click.option("--supplier", help="Member id of the supplier (who delivered).")
@click.option("--title", help="What the engagement was (at most 140 characters).")
@click.option("--skills", help="Skills the supplier used: slugs separated by commas.")
@click.option("--started", help="Start date, YYYY-MM-DD; its year is the folder's year.")
@click.option("--deadline", help="Agreed delivery date, YYYY-MM-DD.")
@click.option("--invoice-due", "invoice_due", help="Agreed payment date, YYYY-MM-DD.")
@click.option("--summary", help="Public description (Markdown).")
@click.option("--id", "id", help="Engagement id (default: from the title and the year, e.g. spring-posters-2026).")
@interactive_option
@today_option
@click.pass_context
def new_engagement(ctx: click.Context, /, interactive: bool | None, today: dt.date | None, **options: Any) -> None:
    """Write content/engagements/YEAR/ID/engagement.yml for a new engagement between two members."""
    from . import scaffold
    from .config import load_config

    root = site_root(ctx)
    load_config(root)
    day = resolve_today(today)
    draft = scaffold.new_engagement(root, options, day, _asker(interactive))
    _write_new_record(root, draft, day)
    click.echo("\n".join(scaffold.next_step_engagement(root, draft)))


@cli.command()
@click.argument("engagement")
@click.option("--as", "as", metavar="MEMBER", help="The attesting party: the engagement's client or supplier.")
@click.option("--date", help="When the attestation is written, YYYY-MM-DD (default: today).")
@click.option("--delivery", help="Client only: on_time, late or not_delivered.")
@click.option("--delivered", help="Client only: the day the work was delivered, YYYY-MM-DD.")
@click.option("--quality", help="Client only: quality of the work, 1 (poor) to 5 (excellent).")
@click.option("--payment", help="Supplier only: on_time, late or unpaid.")
@click.option("--paid", help="Supplier only: the day the invoice was paid, YYYY-MM-DD (required when late).")
@click.option("--relationship", help="Respect of the relationship by the other party, 1 to 5.")
@click.option("--recommend/--no-recommend", default=None, help="Would you work with them again?")
@click.option("--comment", help="Public comment about the other party (Markdown).")
@click.option("--reply", help="Reply to the other party's attestation (Markdown).")
@click.option("--disputes", help="Sides of the other party's attestation you contest, separated by commas.")
@interactive_option
@today_option
@click.pass_context
def attest(
    ctx: click.Context, /, engagement: str, interactive: bool | None, today: dt.date | None, **options: Any
) -> None:
    """Write one party's attestation of ENGAGEMENT: content/engagements/YEAR/ENGAGEMENT/MEMBER.yml.

    The client attests delivery, quality and the relationship; the supplier attests
    payment and the relationship. Exit status: 0 written, 1 not written (the file exists
    or changed) or written with problems, 2 for an invalid or missing option.
    """
    from . import scaffold
    from .config import load_config

    root = site_root(ctx)
    load_config(root)
    day = resolve_today(today)
    draft = scaffold.attest(root, engagement, options, day, _asker(interactive))
    _write_new_record(root, draft, day)
    click.echo("\n".join(scaffold.next_step_attestation(root, draft)))


@cli.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Write nothing; list the files that are not canonical.")
@click.pass_context
def fmt_command(ctx: click.Context, paths: tuple[Path, ...], check_only: bool) -> None:
    """Rewrite site.yml and the records in PATHS (default: all) in canonical form, keeping comments.

    Canonical: keys in the schema's order, plain scalars unless quotes are needed (then
    double quotes), dates YYYY-MM-DD, word lists on one line. A file that is not valid
    YAML is reported, never rewritten; a file edited while fmt runs is left alone.
    Exit status: 0 done (or, with --check, all canonical), 1 when a file could not be
    formatted (or, with --check, would change), 2 for a usage mistake.
    """
    from .fmt import format_file, targets

    root = site_root(ctx)
    for path in paths:
        if path.is_symlink():
            raise UsageError(f"{str(path)!r} is a symbolic link; Triangle never follows links")
    chosen = targets(root, _report_paths(root, paths))
    changed = failed = 0
    for target in chosen:
        outcome = format_file(root, target, write=not check_only)
        for diagnostic in outcome.diagnostics:
            click.echo(diagnostic.render())
        failed += bool(outcome.diagnostics)
        if outcome.changed:
            changed += 1
            click.echo(
                f"{outcome.path}:1:1: not in canonical form; run triangle fmt"
                if check_only
                else f"reformatted {outcome.path}"
            )
    files = f"{len(chosen):,} file{'s' if len(chosen) != 1 else ''}"
    if check_only:
        verdict = f"{changed:,} of {files} would be reformatted" if changed else f"{files} in canonical form"
    else:
        verdict = f"reformatted {changed:,} of {files}" if changed else f"{files} already canonical"
    tail = f"; {failed:,} could not be formatted" if failed else ""
    click.echo(f"{verdict[0].upper()}{verdict[1:]}{tail}.", err=True)
    ctx.exit(1 if failed or (check_only and changed) else 0)


@cli.command()
@click.option("--base", "base_ref", required=True, metavar="REF", help="Where the change starts, e.g. origin/main.")
@click.option(
    "--head",
    "head_ref",
    default="HEAD",
    show_default=True,
    metavar="REF",
    help="The commit with the change (uncommitted edits are not read).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json", "github"]),
    default="markdown",
    show_default=True,
    help="markdown for people, json for tools, github for annotations and the job summary.",
)
@today_option
@click.pass_context
def review(ctx: click.Context, base_ref: str, head_ref: str, fmt: str, today: dt.date | None) -> None:
    """Summarise what the commits since --base change, for a coordinator reviewing a pull request.

    Both revisions are read from git (nothing is checked out; a shallow clone works if
    both commits were fetched), checked and scored with the same build date. The
    first line is the verdict: ready, waiting (an attestation is missing), needs
    attention (red flags) or invalid (errors). With --format github, errors become
    annotations and the report is added to $GITHUB_STEP_SUMMARY. Exit status: 0 ready
    or waiting, 1 needs attention or invalid, 2 usage mistake (not a git repository,
    unknown ref).
    """
    # Imported here: scoring loads numpy and scipy, which other commands do not need.
    from .review import review as review_change
    from .review_report import as_annotations, as_markdown
    from .review_report import as_json as review_json
    from .revisions import read_revisions

    with no_gc():  # two whole networks read, checked and scored: see no_gc
        result = review_change(read_revisions(site_root(ctx), base_ref, head_ref, resolve_today(today)))
    markdown = as_markdown(result)
    if fmt == "json":
        click.echo(review_json(result))
    elif fmt == "github":
        for line in as_annotations(result):
            click.echo(line)
        click.echo(markdown, nl=False)
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            try:
                with open(summary, "a", encoding="utf-8") as handle:
                    handle.write(markdown)
            except OSError as exc:
                raise UsageError(f"cannot add the report to the job summary {summary!r}: {exc.strerror}") from None
    else:
        click.echo(markdown, nl=False)
    ctx.exit(result.exit_code)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--key",
    "key",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Your SSH private key, or the .pub of a key held by ssh-agent (default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa).",
)
@click.option(
    "--print-payload",
    is_flag=True,
    help="Write the exact bytes the signature of FILE covers to standard output, and sign nothing.",
)
@today_option
@click.pass_context
def sign(
    ctx: click.Context, files: tuple[Path, ...], key: Path | None, print_payload: bool, today: dt.date | None
) -> None:
    """Sign record files with your SSH key (through ssh-keygen), setting their 'signature' field.

    Only the 'signature' field changes: comments, order and layout stay as they are.
    Check a record by hand with: triangle sign --print-payload FILE | ssh-keygen -Y
    verify -f allowed_signers -I MEMBER -n triangle -s SIG (see docs/signatures.md).
    """
    from .sign import check_new, default_key, prepare, sign_file, ssh_sign

    root = site_root(ctx)
    paths = _report_paths(root, files)
    if print_payload and len(paths) != 1:
        raise UsageError("--print-payload takes exactly one FILE")
    prepared, keyring = prepare(root, paths, resolve_today(today))
    if print_payload:
        sys.stdout.flush()
        sys.stdout.buffer.write(prepared[0].message)
        sys.stdout.buffer.flush()
        return
    chosen = key if key is not None else default_key()
    warned = False
    for item in prepared:
        armored = ssh_sign(item.message, chosen)
        sign_file(root, item, armored)
        problem = check_new(item, armored, keyring)
        if problem is not None:
            click.echo(problem.render(), err=True)
            warned = True
        else:
            click.echo(f"signed {item.path}")
    ctx.exit(1 if warned else 0)


def main() -> None:
    """Entry point of the ``triangle`` console script.

    Ends with :func:`os._exit` once the output is flushed. After a build or a check of
    a large network the interpreter would spend seconds freeing millions of objects one
    by one (1.7 s at 10,000 members) for a process that is ending anyway. Every file a
    command writes is closed and renamed into place before the command returns, and
    its worker processes are joined, so only that wait is skipped.
    """
    try:
        cli(prog_name="triangle")  # standalone mode: always ends with SystemExit
        status = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            status = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (``triangle check | head``): nothing more can be said
        status = status or 1
    os._exit(status)
