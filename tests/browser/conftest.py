"""Fixtures of the browser suite: one build of the demo, one local server, one Chromium.

Everything here is session-scoped and shared: the demo is built once, served once over
HTTP on 127.0.0.1, and visited by one browser through a couple of reusable tabs, so the
whole suite stays well under three minutes on a small machine.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from generator.build import build

from ..conftest import TODAY, require_tool
from .checkers import Job, LinkCheckerJob
from .checkers import linkchecker_job as start_linkchecker
from .checkers import vnu_job as start_vnu
from .support import CHROMIUM, CHROMIUM_ARGS, REPO, VNU_JAR, WIDTHS, Tab, html_pages

if TYPE_CHECKING:  # imported by the fixture itself, which skips when Playwright is missing
    from playwright.sync_api import Browser, ViewportSize

BUILD_DATE = dt.date.fromisoformat(TODAY)
"""The same build date as the rest of the test suite."""


@dataclass(frozen=True, slots=True)
class BuiltSite:
    """A built site folder and the public address its pages claim (``base_url``)."""

    root: Path
    base_url: str


def make_world_readable(folder: Path) -> None:
    """``chmod -R a+rX``: the build's staging folder is private, but checkers may run as ``nobody``."""
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        extra = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
        if path.is_dir():
            extra |= stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
        path.chmod(mode | extra)


def build_site(root: Path, output: Path) -> BuiltSite:
    """Build the site in ``root`` into ``output`` (with its search index) and make it readable to all."""
    build(root, BUILD_DATE, output=output)
    make_world_readable(output)
    config = yaml.safe_load((root / "site.yml").read_text(encoding="utf-8"))
    base_url = str(config["base_url"])
    return BuiltSite(output, base_url if base_url.endswith("/") else base_url + "/")


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The repository's demo network, built once for the whole session."""
    return build_site(REPO, tmp_path_factory.mktemp("demo") / "site")


def free_port() -> int:
    """A TCP port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StaticServer:
    """``python -m http.server`` on 127.0.0.1, started as a subprocess and stopped by its pid."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, attempts: int = 3) -> str:
        """Start the server and wait until it answers; retry on another port if one was taken."""
        for _ in range(attempts):
            port = free_port()
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "http.server",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--directory",
                    str(self.folder),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.url = f"http://127.0.0.1:{port}/"
            if self._wait_until_ready(timeout=15.0):
                return self.url
            self.stop()
        raise RuntimeError(f"could not start a static server for {self.folder}")

    def _wait_until_ready(self, timeout: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False  # it died: the port was taken after all
            try:
                with urllib.request.urlopen(self.url, timeout=1) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Stop the server we started (by its pid) and reap it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, 15)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, 9)
                self.process.wait(timeout=5)
        self.process = None


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve a folder while the block runs; gives its root URL (ending with '/')."""
    server = StaticServer(folder)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def demo_url(demo_site: BuiltSite) -> Iterator[str]:
    """The demo site served over HTTP: ``http://127.0.0.1:PORT/``."""
    with serving(demo_site.root) as url:
        yield url


# --- slow checkers, started early in the background ---------------------------------------------


@pytest.fixture(scope="session")
def vnu_job(demo_site: BuiltSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Job]:
    """The Nu Html Checker running over the demo site."""
    java = shutil.which("java")
    require_tool(java is not None, "Java (apt-get install default-jre-headless)")
    require_tool(VNU_JAR.is_file(), f"the Nu Html Checker at {VNU_JAR} (npm ci --prefix tests/browser)")
    assert java is not None
    job = start_vnu(java, demo_site.root, tmp_path_factory.mktemp("vnu"))
    try:
        yield job
    finally:
        job.stop()


@pytest.fixture(scope="session")
def linkchecker_job(
    demo_site: BuiltSite, demo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LinkCheckerJob]:
    """LinkChecker running over the served demo site."""
    require_tool(importlib.util.find_spec("linkcheck") is not None, "LinkChecker (pip install linkchecker)")
    job = start_linkchecker(demo_url, html_pages(demo_site.root), tmp_path_factory.mktemp("linkchecker"))
    try:
        yield job
    finally:
        job.stop()


BACKGROUND_JOBS = ("vnu_job", "linkchecker_job")


@pytest.fixture(scope="session", autouse=True)
def _start_background_jobs(request: pytest.FixtureRequest) -> None:
    """Start the slow checkers with the session when their tests are selected, so they overlap the browser tests.

    A missing tool raises here; pytest keeps that outcome and gives it to the checker's
    own test (skip, or failure in CI), not to whichever test happened to run first.
    """
    selected = {name for item in request.session.items for name in getattr(item, "fixturenames", ())}
    for name in BACKGROUND_JOBS:
        if name in selected:
            with contextlib.suppress(pytest.skip.Exception, pytest.fail.Exception):
                request.getfixturevalue(name)


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go; their paths are printed in failure messages."""
    return tmp_path_factory.mktemp("screenshots")


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright for Python (never Playwright's own download)."""
    require_tool(importlib.util.find_spec("playwright") is not None, "Playwright for Python (pip install playwright)")
    require_tool(CHROMIUM.is_file(), f"Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        manager.stop()


DESKTOP: ViewportSize = {"width": WIDTHS[0], "height": 900}


@pytest.fixture(scope="session")
def _shared_tab(chromium: Browser, demo_url: str) -> Iterator[Tab]:
    context = chromium.new_context(viewport=DESKTOP)
    try:
        yield Tab(context.new_page(), demo_url)
    finally:
        context.close()


@pytest.fixture
def tab(_shared_tab: Tab) -> Tab:
    """The shared JavaScript-enabled tab on the demo site, reset to the desktop width."""
    _shared_tab.page.set_viewport_size(DESKTOP)
    return _shared_tab


@pytest.fixture(scope="session")
def nojs_tab(chromium: Browser, demo_url: str) -> Iterator[Tab]:
    """A tab on the demo site with JavaScript disabled."""
    context = chromium.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        yield Tab(context.new_page(), demo_url)
    finally:
        context.close()
