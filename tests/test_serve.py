"""The parts of ``triangle serve``: settling changes, the HTTP handler, the builder, the usage errors.

The whole command (subprocess, file edits, a browser following them) is tested in
``tests/browser/test_serve.py``; here each part is checked on its own, quickly.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.serve import (
    EVENTS_PATH,
    LIVE_JS,
    SCRIPT_PATH,
    Builder,
    BuildState,
    Changes,
    DevServer,
    Status,
    inject_reload,
    open_server,
)

from .conftest import TODAY, SiteFactory

BASE = Path(__file__).parent / "invalid" / "_base"

# --- settling changes -----------------------------------------------------------------------


def test_changes_wait_until_the_edits_settle() -> None:
    changes = Changes(settle=0.3)
    started = time.monotonic()

    def edit() -> None:  # an editor saving in bursts: five writes 0.1 s apart
        for n in range(5):
            changes.add([f"content/members/m{n}.yml"])
            time.sleep(0.1)

    writer = threading.Thread(target=edit)
    writer.start()
    taken = changes.take()
    elapsed = time.monotonic() - started
    writer.join()
    assert taken == {f"content/members/m{n}.yml" for n in range(5)}  # one rebuild for the whole burst
    assert elapsed >= 0.4 + 0.3 - 0.05
    assert elapsed < 2.0


def test_changes_made_during_a_build_make_another_build() -> None:
    changes = Changes(settle=0.05)
    changes.add(["a.yml"])
    assert changes.take() == {"a.yml"}
    changes.add(["b.yml"])  # arrives while the builder is busy
    assert changes.take() == {"b.yml"}


def test_closing_releases_the_waiting_builder() -> None:
    changes = Changes(settle=0.05)
    result: list[set[str] | None] = [set()]
    waiter = threading.Thread(target=lambda: result.__setitem__(0, changes.take()))
    waiter.start()
    time.sleep(0.1)
    changes.close()
    waiter.join(2)
    assert not waiter.is_alive()
    assert result == [None]


def test_status_wakes_waiters_on_a_new_build_and_on_close() -> None:
    status = Status()
    seen = status.state
    assert status.wait_for_change(seen, 0.05) is seen  # nothing new: the keep-alive case
    threading.Timer(0.05, status.publish, [BuildState(1, True)]).start()
    assert status.wait_for_change(seen, 5) == BuildState(1, True)
    threading.Timer(0.05, status.close).start()
    status.wait_for_change(status.state, 5)
    assert status.closed


# --- the reload script and the HTTP handler -------------------------------------------------


def test_the_reload_script_goes_before_the_end_of_the_body() -> None:
    page = b"<html><body><p>x</p></body></html>"
    assert inject_reload(page, 7) == (
        b'<html><body><p>x</p><script src="/__triangle__/live.js" data-build="7"></script></body></html>'
    )
    assert inject_reload(b"<p>fragment</p>", 1).endswith(b'data-build="1"></script>')


def test_the_reload_script_uses_no_inline_code_or_style() -> None:
    # The theme's CSP is script-src 'self' and style-src 'self': the script is a same-origin
    # file, sets styles through the CSSOM only, and shows errors as text, never as HTML.
    assert "innerHTML" not in LIVE_JS and "insertAdjacentHTML" not in LIVE_JS
    assert 'setAttribute("style"' not in LIVE_JS and "cssText" not in LIVE_JS
    assert "text.textContent = lines.join" in LIVE_JS


def write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def site_server(tmp_path: Path) -> Iterator[tuple[DevServer, Path]]:
    """The handler serving a hand-made build folder on a free port."""
    site = tmp_path / "site"
    write(site / "index.html", "<html><body>home</body></html>")
    write(site / "404.html", "<html><body>not found (fr)</body></html>")
    write(site / "en" / "index.html", "<html><body>home (en)</body></html>")
    write(site / "en" / "404.html", "<html><body>not found (en)</body></html>")
    write(site / "members" / "ines-moreau" / "index.html", "<html><body>Inès</body></html>")
    write(site / "feed.xml", "<feed></feed>")
    write(site / "static" / "app.js", "console.log('</body>')")
    write(site / "pagefind" / "pagefind.js", "export {}")
    status = Status()
    status.publish(BuildState(3, True))
    server = open_server("127.0.0.1", 0, site, status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, site
    finally:
        status.close()
        server.shutdown()
        server.server_close()
        thread.join(5)


def get(server: DevServer, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(server.server_name, server.server_port, timeout=5)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_pages_are_served_with_the_reload_script(site_server: tuple[DevServer, Path]) -> None:
    server, site = site_server
    status, headers, body = get(server, "/members/ines-moreau/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert body == '<html><body>Inès<script src="/__triangle__/live.js" data-build="3"></script></body></html>'.encode()
    assert headers["content-length"] == str(len(body))
    assert headers["cache-control"] == "no-store"
    assert b"__triangle__" not in (site / "members" / "ines-moreau" / "index.html").read_bytes()


def test_other_files_are_served_as_they_are(site_server: tuple[DevServer, Path]) -> None:
    server, _ = site_server
    assert get(server, "/feed.xml")[2] == b"<feed></feed>"
    status, headers, body = get(server, "/static/app.js")
    assert (status, body) == (200, b"console.log('</body>')")
    assert headers["content-type"] == "text/javascript; charset=utf-8"


def test_language_folders_redirect_to_their_index(site_server: tuple[DevServer, Path]) -> None:
    server, _ = site_server
    status, headers, _ = get(server, "/en?x=1")
    assert status == 301
    assert headers["location"] == "/en/?x=1"
    assert get(server, "/en/")[2].startswith(b"<html><body>home (en)")
    assert get(server, "/")[2].startswith(b"<html><body>home<")


def test_missing_paths_get_their_language_404_page(site_server: tuple[DevServer, Path]) -> None:
    server, _ = site_server
    status, _, body = get(server, "/en/members/nobody/")
    assert status == 404
    assert body.startswith(b"<html><body>not found (en)") and b"live.js" in body
    status, _, body = get(server, "/members/nobody/")
    assert status == 404
    assert body.startswith(b"<html><body>not found (fr)<script")


def test_paths_never_leave_the_site(site_server: tuple[DevServer, Path]) -> None:
    server, _ = site_server
    for path in ("/../pagefind/pagefind.js", "/%2e%2e/pagefind/pagefind.js", "/en/..%2f..%2fsite/index.html"):
        status, _, body = get(server, path)
        assert status == 404, path
        assert b"not found" in body


def test_the_search_index_is_served(site_server: tuple[DevServer, Path]) -> None:
    server, _ = site_server
    assert get(server, "/pagefind/pagefind.js")[:3:2] == (200, b"export {}")


def test_head_answers_without_a_body(site_server: tuple[DevServer, Path]) -> None:
    server, _ = site_server
    status, headers, body = get(server, "/", method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["content-length"]) > 0


def test_the_script_and_the_event_stream(site_server: tuple[DevServer, Path]) -> None:
    server, _ = site_server
    status, headers, body = get(server, SCRIPT_PATH)
    assert (status, headers["content-type"], body) == (200, "text/javascript; charset=utf-8", LIVE_JS.encode())
    assert get(server, "/__triangle__/other")[0] == 404
    with socket.create_connection((server.server_name, server.server_port), timeout=5) as sock:
        sock.sendall(f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received = b""
        while b"data: " not in received or not received.endswith(b"\n\n"):
            received += sock.recv(4096)
        assert b"text/event-stream" in received
        event = received.split(b"event: build\ndata: ", 1)[1].split(b"\n", 1)[0]
        assert json.loads(event) == {"build": 3, "ok": True, "errors": []}
        server.status.publish(BuildState(3, False, ("content/members/x.yml:2:7: error[invalid-choice]: <b>",)))
        received = b""
        while not received.endswith(b"\n\n"):
            received += sock.recv(4096)
        event = received.split(b"data: ", 1)[1].split(b"\n", 1)[0]
        assert json.loads(event)["errors"] == ["content/members/x.yml:2:7: error[invalid-choice]: <b>"]


def test_before_any_good_build_every_page_shows_the_errors_escaped(site_server: tuple[DevServer, Path]) -> None:
    server, _ = site_server
    server.status.publish(BuildState(0, False, ("content/members/x.yml:1:1: error[yaml-syntax]: <script>alert(1)",)))
    status, _, body = get(server, "/members/ines-moreau/")
    assert status == 503
    assert b"content/members/x.yml:1:1: error[yaml-syntax]: &lt;script&gt;alert(1)" in body
    assert b"<script>alert" not in body
    assert b'<script src="/__triangle__/live.js" data-build="0"></script></body>' in body


# --- the builder ----------------------------------------------------------------------------


def test_a_failed_rebuild_keeps_the_last_good_build(
    site_factory: SiteFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = site_factory(base=BASE)
    status = Status()
    output = tmp_path / "work" / "site"
    output.parent.mkdir()
    builder = Builder(
        root,
        dt.date.fromisoformat(TODAY),
        output,
        strict=False,
        search=False,
        status=status,
        stopping=threading.Event(),
    )
    builder.run(set())
    assert status.state == BuildState(1, True)
    page = output / "members" / "ines-moreau" / "index.html"
    good = page.read_bytes()
    member = root / "content" / "members" / "claire-dubois.yml"
    member.write_text(member.read_text(encoding="utf-8").replace("kind: person", "kind: robot"), encoding="utf-8")
    builder.run({str(member.resolve())})
    assert status.state == BuildState(
        1,
        False,
        (
            "content/members/claire-dubois.yml:2:7: error[invalid-choice]: "
            "expected one of 'person', 'organisation' (got 'robot')",
            "error: the site is invalid (1 error); nothing was written",
        ),
    )
    assert page.read_bytes() == good
    captured = capsys.readouterr()
    assert re.search(r"^Built \d+ pages in \d+\.\d s\n$", captured.out)
    assert captured.err.endswith(
        "error: the site is invalid (1 error); nothing was written\n"
        "Build failed (changed: content/members/claire-dubois.yml); still serving the last good build.\n"
    )
    member.write_text(member.read_text(encoding="utf-8").replace("kind: robot", "kind: person"), encoding="utf-8")
    builder.run({str(member.resolve())})
    assert status.state == BuildState(2, True)
    assert re.search(
        r"^Rebuilt \d+ pages in .* \(changed: content/members/claire-dubois.yml\)$", capsys.readouterr().out
    )


def test_rebuilds_keep_the_search_index_current(site_factory: SiteFactory, tmp_path: Path) -> None:
    """Rebuilds are incremental: Pagefind runs again only when a search document changed."""
    root = site_factory(base=BASE)
    output = tmp_path / "work" / "site"
    output.parent.mkdir()
    builder = Builder(
        root,
        dt.date.fromisoformat(TODAY),
        output,
        strict=False,
        search=True,
        status=Status(),
        stopping=threading.Event(),
    )
    builder.run(set())
    entry = output / "pagefind" / "pagefind-entry.json"
    first = entry.stat().st_mtime_ns
    builder.run(set())
    assert entry.stat().st_mtime_ns == first  # nothing changed: the index was left alone
    member = root / "content" / "members" / "claire-dubois.yml"
    member.write_text(member.read_text(encoding="utf-8").replace("Claire Dubois", "Claire Dubois-Renamed"), "utf-8")
    builder.run({"content/members/claire-dubois.yml"})
    assert entry.stat().st_mtime_ns != first  # her name is searchable: indexed again
    fragments = b"".join(p.read_bytes() for p in (output / "pagefind").rglob("*") if p.is_file())
    assert fragments


# --- usage errors ---------------------------------------------------------------------------


def test_a_port_in_use_is_a_usage_error(site_factory: SiteFactory) -> None:
    root = site_factory(base=BASE)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["-C", str(root), "serve", "--port", str(port), "--today", TODAY])
    assert result.exit_code == 2
    assert result.output == (
        f"error: port {port} on 127.0.0.1 is already in use (another 'triangle serve'?); "
        "choose another with --port, or --port 0 for a free one\n"
    )


def test_a_folder_without_site_yml_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "serve", "--port", "0"])
    assert result.exit_code == 2
    assert (
        result.output == f"error: {str(tmp_path)!r} is not a site folder (it has no site.yml); use -C to point at one\n"
    )


def test_an_unknown_host_is_a_usage_error(site_factory: SiteFactory) -> None:
    root = site_factory(base=BASE)
    result = CliRunner().invoke(cli, ["-C", str(root), "serve", "--host", "no such host", "--port", "0"])
    assert result.exit_code == 2
    assert result.output.startswith("error: cannot listen on --host 'no such host': ")
