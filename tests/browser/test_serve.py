"""``triangle serve`` in a real browser: edit a record, watch the open page follow.

The command runs as a subprocess on a copy of the demo network in ``tmp_path`` (with
its own ``TMPDIR``, so the test can prove the temporary build folder is gone at the
end). Chromium keeps one member page open while the record behind it is edited,
broken and fixed; nobody reloads the page by hand.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..conftest import TODAY
from .support import REPO, demo, featured_member

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage

URL = re.compile(r"Serving .* at (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)")
WAIT_MS = 30_000
"""How long a page may take to follow an edit (a rebuild of the demo takes about a second)."""


class ServeProcess:
    """``triangle serve --port 0`` on a site folder, with its output read line by line."""

    def __init__(self, site: Path, tmp: Path, *extra: str) -> None:
        tmp.mkdir(exist_ok=True)
        self.tmp = tmp
        env = {**os.environ, "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}
        env.pop("SOURCE_DATE_EPOCH", None)
        command = [sys.executable, "-m", "generator", "-C", str(site), "serve", "--port", "0", "--today", TODAY]
        self.process = subprocess.Popen(
            [*command, *extra],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout, True), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Iterator[str], into: list[str], announce: bool) -> None:
        for line in stream:
            into.append(line)
            if announce:
                self.lines.put(line)

    def output(self) -> str:
        return "".join(self.stdout) + "\n--- stderr ---\n" + "".join(self.stderr)

    def wait_for_url(self, timeout: float = 60.0) -> str:
        """The URL the command prints once the first build is served."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, f"triangle serve exited early:\n{self.output()}"
                continue
            match = URL.search(line)
            if match:
                return match.group(1)
        raise AssertionError(f"triangle serve printed no URL within {timeout} s:\n{self.output()}")

    def stop(self, sig: int, timeout: float = 15.0) -> tuple[int, float]:
        """Send a signal; return the exit status and how long it took to exit."""
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(5)
        return code, time.monotonic() - started

    def close(self) -> None:
        """Kill the server if a failed test left it running, and close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        for reader in self._readers:
            reader.join(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def copy_demo(target: Path) -> Path:
    """The demo's records and configuration (not the repository's build output or anything else)."""
    target.mkdir()
    shutil.copytree(REPO / "content", target / "content")
    shutil.copy2(REPO / "site.yml", target / "site.yml")
    return target


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ServeProcess, Path, str]]:
    """``triangle serve`` running on a copy of the demo: the process, the site folder and its URL."""
    site = copy_demo(tmp_path / "site")
    process = ServeProcess(site, tmp_path / "tmp")
    try:
        yield process, site, process.wait_for_url()
    finally:
        process.close()


def replace_line(path: Path, key: str, value: str) -> None:
    """Rewrite one top-level ``key: value`` line of a record, as a member would in their editor."""
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(rf"(?m)^{key}:.*$", f"{key}: {value}", text)
    assert count == 1, f"{path} has no single {key!r} line"
    path.write_text(new, encoding="utf-8")


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def test_an_open_page_follows_edits_shows_errors_and_recovers(
    chromium: Browser, served: tuple[ServeProcess, Path, str]
) -> None:
    from playwright.sync_api import expect

    process, site, url = served
    member = featured_member()
    record = site / "content" / "members" / f"{member}.yml"
    page_url = f"{url}members/{member}/"
    context = chromium.new_context()
    console_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    try:
        page = context.new_page()
        page.on("console", on_console)
        response = page.goto(page_url, wait_until="load")
        assert response is not None and response.status == 200
        expect(page.locator("h1")).to_contain_text(demo().members[member].name)
        page.evaluate("window.__notReloaded = true")  # gone once the page reloads by itself

        # 1. An edit shows up in the open page, which reloads itself.
        headline = "Live reload works: edited while the page was open"
        replace_line(record, "headline", f'"{headline}"')
        expect(page.get_by_text(headline)).to_be_visible(timeout=WAIT_MS)
        assert page.evaluate("window.__notReloaded") is None, "the page changed without a reload?"

        # 2. A broken record: an overlay with the error, as text (the value is HTML), over the last good page.
        good = record.read_text(encoding="utf-8")
        replace_line(record, "kind", '"<b id=injected>bold</b>"')
        overlay = page.locator("#triangle-serve-errors")
        expect(overlay).to_be_visible(timeout=WAIT_MS)
        location = f"content/members/{member}.yml:"
        expect(overlay).to_contain_text(location)
        expect(overlay).to_contain_text("error[invalid-choice]")
        expect(overlay).to_contain_text("<b id=injected>bold</b>")  # shown as written, not interpreted
        assert page.locator("#injected").count() == 0
        expect(page.get_by_text(headline)).to_be_visible()  # the last good page is still there
        assert any(location in line and "invalid-choice" in line for line in process.stderr), process.output()
        status, body = fetch(page_url)  # and still what the server answers
        assert status == 200 and headline in body

        # A page opened while the site is broken shows the overlay too.
        other = context.new_page()
        other.on("console", on_console)
        other.goto(f"{url}en/", wait_until="load")
        expect(other.locator("#triangle-serve-errors")).to_contain_text(location, timeout=WAIT_MS)
        other.close()

        # 3. Fixed: the page reloads on the new build and the overlay is gone.
        page.evaluate("window.__notReloaded = true")
        record.write_text(good, encoding="utf-8")
        expect(overlay).to_have_count(0, timeout=WAIT_MS)
        expect(page.get_by_text(headline)).to_be_visible()
        assert page.evaluate("window.__notReloaded") is None
        assert console_errors == [], console_errors  # e.g. a Content-Security-Policy refusal

        # The reload script is in the responses, never in the built files.
        built = list(process.tmp.glob(f"triangle-serve-*/site/members/{member}/index.html"))
        assert len(built) == 1, built
        assert "__triangle__" not in built[0].read_text(encoding="utf-8")
        assert "/__triangle__/live.js" in fetch(page_url)[1]
        # Rebuilds skip Pagefind; the first build's index keeps answering.
        assert fetch(f"{url}pagefind/pagefind.js")[0] == 200
    finally:
        context.close()

    # 4. Ctrl-C: a prompt, clean exit, and the temporary folder is gone.
    code, seconds = process.stop(signal.SIGINT)
    assert code == 0, process.output()
    assert seconds < 10, f"took {seconds:.1f} s to stop"
    assert "Traceback" not in process.output()
    assert list(process.tmp.iterdir()) == [], "the temporary build folder was left behind"


def wait_for_status(url: str, expected: int, timeout: float = 30.0) -> str:
    """Poll a URL until it answers ``expected``; return the body."""
    deadline = time.monotonic() + timeout
    status, body = fetch(url)
    while status != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        status, body = fetch(url)
    assert status == expected, f"{url} still answers HTTP {status}:\n{body}"
    return body


def test_a_site_that_does_not_build_yet_shows_its_errors_then_its_pages(tmp_path: Path) -> None:
    site = copy_demo(tmp_path / "site")
    member = featured_member()
    record = site / "content" / "members" / f"{member}.yml"
    good = record.read_text(encoding="utf-8")
    replace_line(record, "kind", '"<script>alert(1)</script>"')
    process = ServeProcess(site, tmp_path / "tmp", "--no-search")
    try:
        url = process.wait_for_url()
        body = wait_for_status(f"{url}members/{member}/", 503)
        assert f"content/members/{member}.yml:" in body and "error[invalid-choice]" in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in body
        assert "nothing to serve until it builds" in "".join(process.stderr)
        record.write_text(good, encoding="utf-8")
        assert demo().members[member].name in wait_for_status(f"{url}members/{member}/", 200)
        assert fetch(f"{url}pagefind/pagefind.js")[0] == 404  # --no-search: no index at all
        code, seconds = process.stop(signal.SIGTERM)
        assert code == 0, process.output()
        assert seconds < 10, f"took {seconds:.1f} s to stop"
        assert "Traceback" not in process.output()
        assert process.stdout[-1] == "Stopped.\n"
        assert list(process.tmp.iterdir()) == [], "the temporary build folder was left behind"
    finally:
        process.close()
