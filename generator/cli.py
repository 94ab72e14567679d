"""The ``triangle`` command line: parse options, run a pipeline, print, exit.

Commands stay thin: each one resolves its inputs (site folder, build date, format),
calls the pipeline and prints the result. User mistakes arrive here as
:class:`~generator.diagnostics.TriangleError` and leave as a message and an exit code;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from . import __version__
from .check import CheckResult, check_site
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
@today_option
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...], fmt: str, strict_mode: bool, today: dt.date | None) -> None:
    """Validate every record; report problems in PATHS only (default: all).

    Cross-references are always checked against the whole site. Exit status: 0 when
    valid, 1 when invalid, 2 for a usage or configuration mistake.
    """
    root = site_root(ctx)
    selected = _report_paths(root, paths)
    result: CheckResult = check_site(root, resolve_today(today))
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
@today_option
@click.pass_context
def explain(ctx: click.Context, member: str | None, everyone: bool, fmt: str, today: dt.date | None) -> None:
    """Show the evidence and arithmetic behind MEMBER's badges.

    Every statement made about the member is listed with each factor of its weight,
    then the totals, the bounds, the thresholds and the resulting level, so that the
    badges can be checked by hand (see docs/scoring.md). With --all --format json,
    print the api/members.json document instead. Exit status: 0 when done, 1 when the
    site is invalid, 2 for a usage mistake such as an unknown member.
    """
    # Imported here: numpy and scipy take a moment to load, and only scoring needs them.
    import difflib
    import json

    from .explain import explain_json, explain_text, members_api
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
        close = difflib.get_close_matches(member, list(site.members), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"there is no member {member!r} (no content/members/{member}.yml){hint}")
    scores = score_site(site)
    if member is None:
        document = members_api(site, scores)
    elif fmt == "json":
        document = explain_json(site, scores, member)
    else:
        click.echo(explain_text(site, scores, member), nl=False)
        return
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


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
@today_option
@click.pass_context
def build(ctx: click.Context, strict_mode: bool, output: Path | None, no_search: bool, today: dt.date | None) -> None:
    """Check, score and render the site into its output folder, atomically.

    The new site is written beside the output and swapped in at the end: a failed or
    interrupted build leaves the previous site untouched. Two builds of the same
    content with the same date are byte-identical. Exit status: 0 built, 1 invalid
    content, 2 usage or configuration mistake.
    """
    from .build import BuildFailed
    from .build import build as build_site_folder

    root = site_root(ctx)
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


def main() -> None:
    """Entry point of the ``triangle`` console script."""
    cli(prog_name="triangle")
