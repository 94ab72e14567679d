"""The slow command-line checkers (Nu Html Checker, LinkChecker), run as background jobs.

They take seconds of CPU while the browser tests mostly wait on Chromium, so the
session starts them as soon as the demo is built and served (see ``conftest.py``)
and their tests only collect the results.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .support import VNU_JAR, page_url

LINKCHECKER = Path(__file__).with_name("linkchecker_local.py")
"""LinkChecker with three adjustments for a local site; see that file."""
CANARY_PAGE = (
    '<!doctype html><title>canary</title><a href="target.html#present">ok</a><a href="target.html#absent">x</a>'
)
CANARY_TARGET = '<!doctype html><title>target</title><p id="present">here</p>'
"""A page with one broken anchor: LinkChecker must report it, or its AnchorCheck is not working."""


@dataclass
class Job:
    """A command running in the background, its output going to files (a pipe could fill and block it)."""

    args: list[str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _files: list[IO[bytes]] = field(default_factory=list, init=False)

    def start(self) -> Job:
        """Start the command."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        out = (self.workdir / "stdout").open("wb")
        err = (self.workdir / "stderr").open("wb")
        self._files = [out, err]
        self.process = subprocess.Popen(self.args, stdout=out, stderr=err)
        return self

    def result(self, timeout: float = 600) -> tuple[int, str, str]:
        """Wait for the command; its exit code, stdout and stderr."""
        assert self.process is not None, "the job was never started"
        code = self.process.wait(timeout=timeout)
        self.close()
        read = (self.workdir / "stdout").read_text(encoding="utf-8", errors="replace")
        return code, read, (self.workdir / "stderr").read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop the command if it still runs (by its pid) and release its files."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, 15)
            self.process.wait(timeout=10)
        self.close()

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        self._files = []


def vnu_job(java: str, site: Path, workdir: Path) -> Job:
    """The Nu Html Checker over every HTML file of the site, errors only."""
    args = [java, "-jar", str(VNU_JAR), "--errors-only", "--skip-non-html", "--format", "gnu", str(site)]
    return Job(args, workdir).start()


@dataclass
class LinkCheckerJob(Job):
    """LinkChecker over a served site, with the URL of its canary page."""

    canary: str = ""


def linkchecker_job(site_url: str, pages: list[str], workdir: Path) -> LinkCheckerJob:
    """LinkChecker from every page of the site (so orphans are checked too), anchors included."""
    canary = workdir / "canary"
    canary.mkdir(parents=True, exist_ok=True)
    (canary / "index.html").write_text(CANARY_PAGE, encoding="utf-8")
    (canary / "target.html").write_text(CANARY_TARGET, encoding="utf-8")
    config = workdir / "linkchecker.ini"
    config.write_text("[AnchorCheck]\n", encoding="utf-8")
    args = [
        sys.executable,
        str(LINKCHECKER),
        "--no-status",
        "--config",
        str(config),
        "--output",
        "csv",
        "--verbose",
        "--no-robots",
        "--threads",
        "4",
        "--timeout",
        "30",
        "--ignore-url",
        r"^https?://(?!127\.0\.0\.1[:/])",
        "--ignore-url",
        r"^mailto:",
        "--no-follow-url",
        "#",  # page#anchor is checked, but the page's own links are followed once, from the page itself
        canary.as_uri() + "/index.html",
        *(site_url + page_url(p) for p in pages),
    ]
    job = LinkCheckerJob(args, workdir, canary=canary.as_uri())
    job.start()
    return job


def linkchecker_rows(stdout: str) -> list[dict[str, str]]:
    """LinkChecker's CSV output (``--verbose``: one row per URL checked)."""
    data = "\n".join(line for line in stdout.splitlines() if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(data), delimiter=";"))
