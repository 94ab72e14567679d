"""``triangle init``: a new network that checks and builds, CI files that validate and are
safe for public pull requests, and the pre-commit hooks this repository ships."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator import __version__
from generator.cli import cli
from generator.config import load_config

from .conftest import REPO, TODAY, require_tool

SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$")
WORKFLOWS = (".github/workflows/check.yml", ".github/workflows/publish.yml")
EXPECTED_FILES = [
    ".github/workflows/check.yml",
    ".github/workflows/publish.yml",
    ".gitignore",
    ".gitlab-ci.yml",
    ".pre-commit-config.yaml",
    "CODEOWNERS",
    "README.md",
    "content/members/example-coordinator.yml",
    "schemas/attestation.schema.json",
    "schemas/engagement.schema.json",
    "schemas/member.schema.json",
    "schemas/resolution.schema.json",
    "schemas/site.schema.json",
    "schemas/withdrawal.schema.json",
    "site.yml",
]


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def init(target: Path, *options: str) -> Path:
    code, output = invoke("init", str(target), "--today", TODAY, *options)
    assert code == 0, output
    return target


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One network made with the defaults, read (never modified) by the file tests."""
    return init(tmp_path_factory.mktemp("init") / "network")


def files_of(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict[Any, Any]) -> Any:
    # YAML 1.1 reads the key `on` as the boolean true.
    return workflow.get("on", workflow.get(True))


# --- the new network --------------------------------------------------------------------


def test_a_new_network_passes_check_strict_and_builds_with_search(tmp_path: Path) -> None:
    root = init(tmp_path / "network")
    assert files_of(root) == EXPECTED_FILES
    code, output = invoke("-C", str(root), "check", "--strict", "--today", TODAY)
    assert (code, output) == (0, "No problems found in 1 file.\n")
    code, output = invoke("-C", str(root), "build", "--strict", "--today", TODAY)
    assert code == 0, output
    assert (root / "_site" / "index.html").is_file()
    assert (root / "_site" / "members" / "example-coordinator").is_dir()
    assert (root / "_site" / "pagefind").is_dir()
    git(root, "init", "-q")
    assert git(root, "status", "--porcelain", "--untracked-files=all", "--", "_site", "._site.lock") == ""


def test_options_reach_the_files_and_values_are_quoted_when_yaml_needs_it(tmp_path: Path) -> None:
    title = 'Réseau: "Image" #1'
    root = init(
        tmp_path / "network",
        *("--title", title, "--base-url", "https://annuaire.example.org/", "--language", "en"),
        *("--coordinator", "ada-lovelace", "--name", "no", "--pin", "v9.8.7"),
        *("--source", "https://git.example.org/tools/triangle.git"),
    )
    config = load_config(root)
    assert (config.title, config.base_url, config.languages) == (title, "https://annuaire.example.org/", ("en",))
    assert config.coordinators == ("ada-lovelace",)
    member = (root / "content/members/ada-lovelace.yml").read_text(encoding="utf-8")
    assert 'name: "no"\n' in member  # a word YAML tools would read as false
    assert "joined: 2026-11-27\n" in member
    requirement = "git+https://git.example.org/tools/triangle.git@v9.8.7"
    for path in (*WORKFLOWS, ".gitlab-ci.yml"):
        assert f'TRIANGLE: "{requirement}"' in (root / path).read_text(encoding="utf-8"), path
    assert read_yaml(root / ".pre-commit-config.yaml")["repos"][0] == {
        "repo": "https://git.example.org/tools/triangle.git",
        "rev": "v9.8.7",
        "hooks": [{"id": "triangle-check"}, {"id": "triangle-fmt"}],
    }
    assert f"# {title}\n" in (root / "README.md").read_text(encoding="utf-8")
    code, output = invoke("-C", str(root), "check", "--strict", "--today", TODAY)
    assert code == 0, output


def test_a_non_empty_folder_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "network"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n", encoding="utf-8")
    code, output = invoke("init", str(target))
    assert code == 2
    assert output == (
        f"error: {str(target)!r} is not empty (it holds 'notes.txt'): triangle init never writes over "
        "existing files; choose a new or empty folder\n"
    )
    assert files_of(target) == ["notes.txt"]
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine\n"


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "network"
    target.write_text("", encoding="utf-8")
    code, output = invoke("init", str(target))
    assert (code, output) == (2, f"error: {str(target)!r} exists and is not a folder; choose a new or empty folder\n")


def test_an_empty_folder_or_a_fresh_clone_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    init(tmp_path / "empty")
    (tmp_path / "clone" / ".git").mkdir(parents=True)
    init(tmp_path / "clone")
    assert files_of(tmp_path / "clone") == EXPECTED_FILES


def test_invalid_values_are_reported_at_their_place_and_nothing_is_written(tmp_path: Path) -> None:
    target = tmp_path / "network"
    code, output = invoke("init", str(target), "--base-url", "ftp://network.example/", "--today", TODAY)
    assert code == 2
    assert output == (
        "site.yml:5:11: error[invalid-url]: 'ftp://network.example/' is not allowed: "
        "expected an http:// or https:// address\n"
        "error: these values would make an invalid network; nothing was written\n"
    )
    assert not target.exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "--coordinator",
            "../../outside",
            "'../../outside' is not a member id: use lowercase letters, digits and single hyphens, like 'ada-lovelace'",
        ),
        (
            "--source",
            "https://x.example/t.git; rm -rf ~",
            "--source 'https://x.example/t.git; rm -rf ~' is not a git repository address Triangle can pin: "
            "expected an https://, ssh:// or file:// URL without spaces, quotes or '@' (except ssh://user@)",
        ),
        ("--pin", 'v1" && curl', f"--pin 'v1\" && curl' is not a release tag or commit SHA, like 'v{__version__}'"),
    ],
)
def test_values_that_would_escape_their_file_are_refused(tmp_path: Path, option: str, value: str, message: str) -> None:
    target = tmp_path / "network"
    code, output = invoke("init", str(target), option, value)
    assert (code, output) == (2, f"error: {message}\n")
    assert not target.exists()


# --- CI files: schemas ------------------------------------------------------------------


def check_jsonschema(*args: str | Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("check-jsonschema")
    require_tool(exe is not None, "check-jsonschema")
    assert exe is not None
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("path", WORKFLOWS)
def test_workflows_validate_against_githubs_schema(network: Path, path: str, tmp_path: Path) -> None:
    proc = check_jsonschema("--builtin-schema", "vendor.github-workflows", network / path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = check_jsonschema("--builtin-schema", "custom.github-workflows-require-timeout", network / path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The validator is not vacuous: the same file with a misspelt key fails.
    broken = tmp_path / "broken.yml"
    broken.write_text((network / path).read_text(encoding="utf-8").replace("runs-on:", "runs_on:"), encoding="utf-8")
    assert check_jsonschema("--builtin-schema", "vendor.github-workflows", broken).returncode == 1


def test_gitlab_ci_validates_against_gitlabs_schema(network: Path, tmp_path: Path) -> None:
    args = ("--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci")
    proc = check_jsonschema(*args, network / ".gitlab-ci.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = tmp_path / ".gitlab-ci.yml"
    text = (network / ".gitlab-ci.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("when: always", "when: sometimes"), encoding="utf-8")
    assert check_jsonschema(*args, broken).returncode == 1


def test_pre_commit_files_are_valid(network: Path) -> None:
    require_tool(shutil.which("pre-commit") is not None, "pre-commit")
    for command, path in (
        ("validate-config", network / ".pre-commit-config.yaml"),
        ("validate-manifest", REPO / ".pre-commit-hooks.yaml"),
    ):
        proc = subprocess.run(["pre-commit", command, str(path)], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


# --- CI files: safe for public pull requests --------------------------------------------


def all_steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in workflow["jobs"].items() for step in job["steps"]]


@pytest.mark.parametrize("path", WORKFLOWS)
def test_every_action_is_pinned_by_commit_sha_with_its_version(network: Path, path: str) -> None:
    text = (network / path).read_text(encoding="utf-8")
    uses_lines = [line.strip() for line in text.splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert uses_lines
    for line in uses_lines:
        assert re.fullmatch(r"(- )?uses: \S+ # v\d+\.\d+\.\d+", line), line
    for _, step in all_steps(read_yaml(network / path)):
        if "uses" in step:
            assert SHA_PIN.match(step["uses"]), step["uses"]


@pytest.mark.parametrize("path", WORKFLOWS)
def test_workflows_install_the_pinned_release_and_never_expand_expressions_in_scripts(network: Path, path: str) -> None:
    code = [
        line for line in (network / path).read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")
    ]
    assert not [line for line in code if "pull_request_target" in line]
    workflow = read_yaml(network / path)
    assert workflow["env"]["TRIANGLE"] == f"git+https://triangle.example/triangle.git@v{__version__}"
    installs = [step["run"] for _, step in all_steps(workflow) if "pip" in step.get("run", "")]
    assert installs and all(run == 'python -m pip install "$TRIANGLE"' for run in installs)
    for _, step in all_steps(workflow):
        assert "${{" not in step.get("run", ""), step  # values go through env:, never into the shell text
        assert step.get("with", {}).get("persist-credentials", False) is False


def test_the_check_workflow_runs_on_pull_requests_with_a_read_only_token(network: Path) -> None:
    workflow = read_yaml(network / ".github/workflows/check.yml")
    assert triggers(workflow) == {"pull_request": None}
    assert workflow["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in workflow["jobs"].values())
    runs = [step.get("run", "") for _, step in all_steps(workflow)]
    assert "triangle check --format github" in runs
    assert 'triangle review --base "origin/$BASE_REF" --format github' in runs
    review = workflow["jobs"]["review"]
    assert review["steps"][0]["with"]["fetch-depth"] == 0  # review needs the base branch's history
    assert review["steps"][-1]["env"] == {"BASE_REF": "${{ github.base_ref }}"}


def test_the_publish_workflow_deploys_only_pushes_to_main_with_minimal_rights(network: Path) -> None:
    workflow = read_yaml(network / ".github/workflows/publish.yml")
    assert triggers(workflow) == {"push": {"branches": ["main"]}}
    assert workflow["permissions"] == {"contents": "read"}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert "permissions" not in build
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert deploy["environment"]["name"] == "github-pages"
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == [
        "actions/configure-pages",
        "actions/deploy-pages",
    ]
    assert [step.get("run") for step in build["steps"] if "triangle" in step.get("run", "")] == [
        "triangle build --output _site"
    ]
    upload = build["steps"][-1]
    assert upload["uses"].startswith("actions/upload-pages-artifact@") and upload["with"] == {"path": "_site"}


def test_gitlab_checks_merge_requests_and_publishes_only_the_default_branch(network: Path) -> None:
    ci = read_yaml(network / ".gitlab-ci.yml")
    assert ci["variables"]["TRIANGLE"] == f"git+https://triangle.example/triangle.git@v{__version__}"
    assert ci["default"]["before_script"] == ['python -m pip install --quiet "$TRIANGLE"']
    merge_requests = [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    default_branch = [{"if": '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'}]
    assert ci["check"]["rules"] == ci["review"]["rules"] == merge_requests
    assert ci["pages"]["rules"] == default_branch
    assert ci["check"]["script"] == ["triangle check"]
    assert ci["review"]["variables"] == {"GIT_DEPTH": "0"}
    assert any('triangle review --base "$CI_MERGE_REQUEST_DIFF_BASE_SHA"' in line for line in ci["review"]["script"])
    assert ci["pages"]["script"] == ["triangle build --output public"]
    assert ci["pages"]["artifacts"] == {"paths": ["public"]}


def test_codeowners_gives_content_to_coordinators_and_the_rest_to_maintainers(network: Path) -> None:
    rules = [line.split() for line in (network / "CODEOWNERS").read_text(encoding="utf-8").splitlines()]
    rules = [rule for rule in rules if rule and not rule[0].startswith("#")]
    # The last matching rule wins, so the catch-all comes first.
    assert rules == [["*", "@your-organisation/maintainers"], ["/content/", "@your-organisation/coordinators"]]


def test_gitignore_covers_the_build_and_its_lock(network: Path) -> None:
    patterns = (network / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"_site/", "public/", "._*.lock", ".public.lock"} <= set(patterns)


# --- pre-commit ---------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
    }
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return proc.stdout


def snapshot_of_this_checkout(target: Path) -> Path:
    """This working tree as a one-commit repository: uncommitted work is what is under test.

    ``pre-commit try-repo`` on the checkout itself would only see committed files (plus
    changes to tracked ones), so a new, uncommitted hook or module would not be tried.
    """
    listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file() and not source.is_symlink():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "snapshot")
    return target


def test_the_pre_commit_hook_runs_triangle_check(tmp_path: Path) -> None:
    require_tool(shutil.which("pre-commit") is not None and shutil.which("git") is not None, "pre-commit and git")
    hooks = snapshot_of_this_checkout(tmp_path / "triangle")
    network = init(tmp_path / "network")
    git(network, "init", "-q")
    git(network, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}

    def try_repo() -> subprocess.CompletedProcess[str]:
        command = ["pre-commit", "try-repo", str(hooks), "triangle-check", "--all-files"]
        return subprocess.run(command, cwd=network, env=env, capture_output=True, text=True, check=False)

    started = time.perf_counter()
    # The first run makes a virtualenv and pip-installs Triangle from the snapshot.
    passed = try_repo()
    print(f"pre-commit try-repo, first run (venv + pip install): {time.perf_counter() - started:.0f} s")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"^triangle check\.+Passed$", passed.stdout, re.MULTILINE), passed.stdout

    member = network / "content/members/example-coordinator.yml"
    member.write_text(member.read_text(encoding="utf-8").replace("kind: person", "kind: persn"), encoding="utf-8")
    failed = try_repo()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(r"^triangle check\.+Failed$", failed.stdout, re.MULTILINE), failed.stdout
    assert "content/members/example-coordinator.yml:5:7: error[invalid-choice]: expected one of 'person', " in (
        failed.stdout
    )


def test_this_repository_ships_both_hooks() -> None:
    hooks = {hook["id"]: hook for hook in read_yaml(REPO / ".pre-commit-hooks.yaml")}
    assert hooks["triangle-check"]["entry"] == "triangle check"
    assert hooks["triangle-fmt"]["entry"] == "triangle fmt --check"
    for hook in hooks.values():
        assert (hook["language"], hook["pass_filenames"]) == ("python", False)


def test_the_templates_are_not_hidden_files() -> None:
    # setuptools' package-data globs skip dotfiles: a hidden template would be missing
    # from an installed Triangle while every test here still passed from the checkout.
    templates = REPO / "generator" / "newsite_templates"
    names = [p.relative_to(templates).as_posix() for p in templates.rglob("*")]
    assert names and not [name for name in names if "/." in f"/{name}"]


def test_the_templates_are_package_data() -> None:
    # An editable install reads the templates from the checkout; a real install has
    # only what setuptools' package-data globs (expanded like glob.glob) pick up.
    package = REPO / "generator"
    globs = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    shipped = {Path(p) for pattern in globs["generator"] for p in glob.glob(str(package / pattern), recursive=True)}
    templates = {p for p in (package / "newsite_templates").rglob("*") if p.is_file()}
    assert templates and templates <= shipped
