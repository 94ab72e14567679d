"""``triangle serve``: build into a temporary folder, serve it on localhost, rebuild and reload on change.

Four parts, each on its own thread, meet in two small shared objects:

- the *watchers* (``watchfiles``) put the paths that changed into :class:`Changes`;
- the *builder* waits until the changes settle, runs the ordinary atomic
  :func:`~generator.build.build` into the temporary folder and publishes the outcome
  in :class:`Status`;
- the *server* (standard-library ``ThreadingHTTPServer``) serves the folder as it is,
  which always holds the last good build because a failed build writes nothing;
- each open page listens to ``/__triangle__/events`` (Server-Sent Events) and reloads
  when a new build is published, or shows the errors of a failed one in an overlay.

The live-reload script is added to HTML *responses* only, never to the built files,
and it is a same-origin script file with no inline code or style attribute, so the
theme's strict Content-Security-Policy (``script-src 'self'``) lets it run. Site paths
are slugs, so ``/__triangle__/`` can never collide with a page.

Rebuilds take the incremental path of ``triangle build`` (see :mod:`generator.publish`):
only the pages whose inputs changed are drawn and written, and Pagefind runs again
only when a search document changed, so search results follow every edit. The build
date is fixed when ``serve`` starts (``--today``, ``SOURCE_DATE_EPOCH`` or the clock).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import html
import http.server
import json
import mimetypes
import posixpath
import shutil
import signal
import socket
import socketserver
import tempfile
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import click

from .build import build
from .diagnostics import TriangleError, UsageError
from .publish import forget_output

PREFIX = "/__triangle__/"
"""Where the server's own endpoints live; no site path can start with it (ids are slugs)."""
SCRIPT_PATH = PREFIX + "live.js"
EVENTS_PATH = PREFIX + "events"

SETTLE_SECONDS = 0.25
"""Quiet time after the last change before a rebuild starts: editors often write in several steps."""
KEEPALIVE_SECONDS = 15.0
"""How often an idle event stream sends a comment, so proxies and browsers keep it open."""
STOP_TIMEOUT = 10.0
"""How long shutting down waits for a running build to notice it was cancelled."""

LIVE_JS = """\
// Triangle live reload: added by `triangle serve` to the pages it serves, never to the built site.
(() => {
  const shown = Number(document.currentScript.dataset.build);
  const events = new EventSource("/__triangle__/events");
  let overlay = null;

  function hide() {
    if (overlay) overlay.remove();
    overlay = null;
  }

  function show(lines) {
    hide();
    overlay = document.createElement("div");
    overlay.id = "triangle-serve-errors";
    overlay.setAttribute("role", "alert");
    // Styles through the CSSOM: the pages' Content-Security-Policy forbids inline style attributes.
    Object.assign(overlay.style, {
      position: "fixed", inset: "auto 0 0 0", zIndex: "2147483647", maxHeight: "60vh", overflow: "auto",
      margin: "0", padding: "1rem 1.25rem", background: "#2b0a0a", color: "#ffe9e9",
      borderTop: "4px solid #e5484d", font: "14px/1.45 ui-monospace, Menlo, Consolas, monospace",
    });
    const title = document.createElement("p");
    title.style.margin = "0 0 .5rem";
    title.style.fontWeight = "bold";
    title.textContent = "triangle serve: the site no longer builds; this page is the last good build.";
    const text = document.createElement("pre");
    text.style.margin = "0";
    text.style.whiteSpace = "pre-wrap";
    text.textContent = lines.join("\\n");  // text, never HTML: messages quote what members wrote
    overlay.append(title, text);
    document.body.append(overlay);
  }

  events.addEventListener("build", (event) => {
    const state = JSON.parse(event.data);
    if (!state.ok) {
      show(state.errors);
    } else if (state.build !== shown) {
      events.close();
      location.reload();
    } else {
      hide();
    }
  });
})();
"""


# --- shared state -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuildState:
    """The outcome of the latest build, as the pages see it."""

    build: int
    """Number of the last good build, the one being served (0: none yet)."""
    ok: bool
    """Whether the latest attempt succeeded."""
    errors: tuple[str, ...] = ()
    """What went wrong with the latest attempt, one line each, when it failed."""

    def to_json(self) -> str:
        """The event payload (one line: ``json.dumps`` escapes newlines)."""
        return json.dumps({"build": self.build, "ok": self.ok, "errors": list(self.errors)}, ensure_ascii=False)


class Status:
    """The latest :class:`BuildState`, published by the builder and awaited by event streams."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._state = BuildState(0, False, ("The first build has not finished yet.",))
        self.closed = False

    @property
    def state(self) -> BuildState:
        """The current state."""
        return self._state

    def publish(self, state: BuildState) -> None:
        """Make ``state`` current and wake every waiting stream."""
        with self._changed:
            self._state = state
            self._changed.notify_all()

    def wait_for_change(self, seen: BuildState, timeout: float) -> BuildState:
        """The state once it differs from ``seen`` (or ``seen`` after ``timeout``, or once closed)."""
        with self._changed:
            self._changed.wait_for(lambda: self.closed or self._state is not seen, timeout)
            return self._state

    def close(self) -> None:
        """Release every waiting stream: the server is stopping."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()


class Changes:
    """Paths changed since the last build; tells the builder when the edits have settled."""

    def __init__(self, settle: float = SETTLE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.settle = settle
        self._clock = clock
        self._cond = threading.Condition()
        self._pending: set[str] = set()
        self._last = 0.0
        self._closed = False

    def add(self, paths: Iterable[str]) -> None:
        """Record changed paths; the quiet period starts again."""
        with self._cond:
            self._pending.update(paths)
            self._last = self._clock()
            self._cond.notify_all()

    def take(self) -> set[str] | None:
        """Wait for changes, then for ``settle`` seconds without any; return them (None once closed)."""
        with self._cond:
            while not self._closed:
                if not self._pending:
                    self._cond.wait()
                    continue
                remaining = self._last + self.settle - self._clock()
                if remaining <= 0:
                    taken, self._pending = self._pending, set()
                    return taken
                self._cond.wait(remaining)
            return None

    def close(self) -> None:
        """Stop waiting: :meth:`take` returns None from now on."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


# --- the HTTP side ------------------------------------------------------------------------


def inject_reload(page: bytes, build: int) -> bytes:
    """Add the live-reload script to an HTML response, just before ``</body>`` (else at the end)."""
    tag = f'<script src="{SCRIPT_PATH}" data-build="{build}"></script>'.encode()
    end = page.rfind(b"</body>")
    if end == -1:
        return page + tag
    return page[:end] + tag + page[end:]


def error_page(state: BuildState) -> bytes:
    """What every path shows before any build succeeded: the errors, escaped, and the reload script."""
    lines = html.escape("\n".join(state.errors))
    page = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>triangle serve: the site does not build</title>\n</head>\n<body>\n"
        "<h1>The site does not build yet</h1>\n"
        "<p>Fix the problems below; this page reloads by itself once the site builds.</p>\n"
        f"<pre>{lines}</pre>\n</body>\n</html>\n"
    )
    return inject_reload(page.encode(), state.build)


def _content_type(path: Path) -> str:
    kind, _ = mimetypes.guess_type(path.name)
    kind = kind or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/json", "application/xml", "image/svg+xml"):
        kind += "; charset=utf-8"
    return kind


class DevServer(http.server.ThreadingHTTPServer):
    """The HTTP server: knows the build folder and the build status."""

    daemon_threads = True  # an open event stream must never keep the process alive

    def __init__(self, address: tuple[str, int], site: Path, status: Status) -> None:
        self.site = site
        self.status = status
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up in DNS (getfqdn), which can stall
        # for seconds on a machine without network; the bare name is all we need.
        socketserver.TCPServer.server_bind(self)
        address = self.socket.getsockname()  # the real port when 0 asked for a free one
        self.server_name = str(address[0])
        self.server_port = int(address[1])


class DevServer6(DevServer):
    """The same on an IPv6 address such as ``::1``."""

    address_family = socket.AF_INET6


class Handler(http.server.BaseHTTPRequestHandler):
    """Serve the last good build: folders as their ``index.html``, ``404.html`` for missing paths."""

    server: DevServer
    server_version = "triangle-serve"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the terminal is for build results."""

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, *, send_body: bool) -> None:
        raw_path, _, query = self.path.partition("?")
        path = urllib.parse.unquote(raw_path.partition("#")[0])
        try:
            if path.startswith(PREFIX):
                self._own(path, send_body)
                return
            state = self.server.status.state
            if state.build == 0:
                self._send(503, "text/html; charset=utf-8", error_page(state), send_body)
                return
            self._site_file(path, query, state.build, send_body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away (a reload while a page was loading): nothing to answer

    def _own(self, path: str, send_body: bool) -> None:
        if path == SCRIPT_PATH:
            self._send(200, "text/javascript; charset=utf-8", LIVE_JS.encode(), send_body)
        elif path == EVENTS_PATH and send_body:
            self._events()
        else:
            self._send(404, "text/plain; charset=utf-8", b"Not found\n", send_body)

    def _events(self) -> None:
        """Stream the build state: now, then on every change, with keep-alive comments between."""
        status = self.server.status
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(b"retry: 1000\n\n")  # reconnect quickly after a restart of the server
        state = status.state
        self._event(state)
        while not status.closed:
            latest = status.wait_for_change(state, KEEPALIVE_SECONDS)
            if status.closed:
                return
            if latest is state:
                self.wfile.write(b": keep-alive\n\n")
            else:
                state = latest
                self._event(state)

    def _event(self, state: BuildState) -> None:
        self.wfile.write(f"event: build\ndata: {state.to_json()}\n\n".encode())

    def _site_file(self, path: str, query: str, build: int, send_body: bool) -> None:
        site = self.server.site
        relative = self._relative(path)
        if relative is None:
            self._not_found("", build, send_body)
            return
        target = site.joinpath(*relative.split("/")) if relative else site
        if target.is_dir():
            if not path.endswith("/"):  # /en → /en/, as every static host does
                self.send_response(301)
                self.send_header("Location", urllib.parse.quote(path + "/") + (f"?{query}" if query else ""))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            target = target / "index.html"
        if not target.is_file():
            self._not_found(relative, build, send_body)
            return
        self._file(200, target, build, send_body)

    @staticmethod
    def _relative(path: str) -> str | None:
        """The site-relative form of a URL path, or None when it tries to leave the site."""
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if any(p == ".." or "\\" in p or "\x00" in p for p in parts):
            return None
        return posixpath.join(*parts) if parts else ""

    def _not_found(self, relative: str, build: int, send_body: bool) -> None:
        """The language's own ``404.html`` (``/en/…`` → ``en/404.html``), else the site's."""
        site = self.server.site
        first = relative.split("/", 1)[0]
        for page in (site / first / "404.html" if first else None, site / "404.html"):
            if page is not None and page.is_file():
                self._file(404, page, build, send_body)
                return
        self._send(404, "text/plain; charset=utf-8", b"Not found\n", send_body)

    def _file(self, code: int, target: Path, build: int, send_body: bool) -> None:
        try:
            body = target.read_bytes()
        except OSError:  # swapped away by a rebuild between the test and the read: ask again
            self._send(503, "text/plain; charset=utf-8", b"Rebuilding, try again\n", send_body)
            return
        kind = _content_type(target)
        if kind.startswith("text/html"):
            body = inject_reload(body, build)
        self._send(code, kind, body, send_body)

    def _send(self, code: int, kind: str, body: bytes, send_body: bool) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)


def open_server(host: str, port: int, site: Path, status: Status) -> DevServer:
    """Bind the server, turning the usual mistakes (port taken, unknown host) into usage errors."""
    kind = DevServer6 if ":" in host else DevServer
    try:
        return kind((host, port), site, status)
    except socket.gaierror as exc:
        raise UsageError(f"cannot listen on --host {host!r}: {exc.strerror}") from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is already in use (another 'triangle serve'?); "
                "choose another with --port, or --port 0 for a free one"
            ) from None
        if exc.errno == errno.EACCES:
            raise UsageError(
                f"not allowed to listen on port {port} (ports below 1024 need privileges); choose another with --port"
            ) from None
        raise UsageError(f"cannot listen on {host} port {port}: {exc.strerror}") from None


def server_url(server: DevServer) -> str:
    """The address to open in a browser."""
    host = server.server_name
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{server.server_port}/"


# --- building -----------------------------------------------------------------------------


class _Cancelled(BaseException):
    """Raised inside a build to abandon it: the server is stopping (the atomic writer discards it)."""


class Builder:
    """Run builds into the temporary folder and publish each outcome."""

    def __init__(
        self,
        root: Path,
        today: dt.date,
        output: Path,
        *,
        strict: bool,
        search: bool,
        status: Status,
        stopping: threading.Event,
    ) -> None:
        self.root = root
        self.today = today
        self.output = output
        self.strict = strict
        self.search = search
        self.status = status
        self.stopping = stopping
        self.builds = 0

    def _progress(self, stage: str, count: int) -> None:
        if self.stopping.is_set():
            raise _Cancelled

    def run(self, changed: set[str]) -> None:
        """Build once; print the outcome; publish it (the served folder changes only on success)."""
        started = time.perf_counter()
        what = _describe(self.root, changed)
        try:
            result = build(
                self.root,
                self.today,
                strict=self.strict,
                output=self.output,
                search=self.search,
                cache=True,
                progress=self._progress,
            )
        except TriangleError as exc:
            lines = (*(d.render() for d in exc.diagnostics), f"error: {exc.message}")
            self._failed(lines, what)
            return
        except Exception as exc:  # a bug in Triangle: keep serving, but show the traceback
            traceback.print_exc()
            lines = (f"internal error: {type(exc).__name__}: {exc}", "this is a bug in Triangle; see the terminal")
            self._failed(lines, what)
            return
        self.builds += 1
        for diagnostic in result.diagnostics:
            click.echo(diagnostic.render(), err=True)
        verb = "Built" if self.builds == 1 else "Rebuilt"
        click.echo(f"{verb} {result.pages:,} pages in {time.perf_counter() - started:.1f} s{what}")
        self.status.publish(BuildState(self.builds, True))

    def _failed(self, lines: tuple[str, ...], what: str) -> None:
        if self.stopping.is_set():
            return  # Ctrl-C reaches Pagefind too: a build that failed because we are stopping is no news
        for line in lines:
            click.echo(line, err=True)
        kept = "still serving the last good build" if self.builds else "nothing to serve until it builds"
        click.echo(f"Build failed{what}; {kept}.", err=True)
        self.status.publish(BuildState(self.builds, False, lines))

    def loop(self, changes: Changes, first_done: threading.Event) -> None:
        """Build now, then once more each time the changes settle, until ``changes`` is closed."""
        batch: set[str] | None = set()
        while batch is not None and not self.stopping.is_set():
            with contextlib.suppress(_Cancelled):
                self.run(batch)
            first_done.set()
            batch = changes.take()


def _describe(root: Path, changed: set[str]) -> str:
    """`` (changed: content/members/a.yml and 2 more)`` for the terminal."""
    if not changed:
        return ""
    names = []
    for path in sorted(changed):
        try:
            names.append(Path(path).relative_to(root.resolve()).as_posix())
        except ValueError:
            names.append(path)
    more = f" and {len(names) - 1} more" if len(names) > 1 else ""
    return f" (changed: {names[0]}{more})"


# --- watching -----------------------------------------------------------------------------

WATCHED_AT_ROOT = frozenset({"site.yml", "content", "themes"})


class _Either:
    """A ``stop_event`` for ``watchfiles`` that is set when either event is."""

    def __init__(self, first: threading.Event, second: threading.Event) -> None:
        self.first = first
        self.second = second

    def is_set(self) -> bool:
        return self.first.is_set() or self.second.is_set()


def _watch_root(root: Path, changes: Changes, stopping: threading.Event, moved: threading.Event) -> None:
    """Watch the site folder itself (not its subfolders) for ``site.yml``, ``content`` and ``themes``.

    Watching the folder rather than ``site.yml`` catches editors that save by renaming a
    new file over the old one; a ``content`` or ``themes`` folder that appears or goes
    away makes the tree watcher start again on the folders that now exist.
    """
    import watchfiles

    def wanted(change: watchfiles.Change, path: str) -> bool:
        return Path(path).name in WATCHED_AT_ROOT

    for batch in watchfiles.watch(root, watch_filter=wanted, recursive=False, stop_event=stopping):
        if any(Path(p).name != "site.yml" for _, p in batch):
            moved.set()
        changes.add(p for _, p in batch)


def _watch_tree(root: Path, changes: Changes, stopping: threading.Event, moved: threading.Event) -> None:
    """Watch ``content/`` and ``themes/`` recursively (whichever exist), restarting when they move."""
    import watchfiles

    while not stopping.is_set():
        moved.clear()
        folders = [root / name for name in ("content", "themes") if (root / name).is_dir()]
        if not folders:
            moved.wait(0.5)
            continue
        try:
            for batch in watchfiles.watch(*folders, stop_event=_Either(stopping, moved)):
                changes.add(p for _, p in batch)
        except (OSError, RuntimeError):  # a folder vanished as the watch started: look again
            stopping.wait(0.5)


def start_watching(root: Path, changes: Changes, stopping: threading.Event) -> list[threading.Thread]:
    """Start the watcher threads; they end once ``stopping`` is set."""
    moved = threading.Event()
    threads = [
        threading.Thread(target=task, args=(root, changes, stopping, moved), name=name, daemon=True)
        for name, task in (("watch-root", _watch_root), ("watch-tree", _watch_tree))
    ]
    for thread in threads:
        thread.start()
    return threads


# --- the command --------------------------------------------------------------------------


class _Stop(BaseException):
    """SIGINT or SIGTERM arrived: stop serving (a BaseException so no ``except Exception`` eats it)."""


class _Signals:
    """Turn the first SIGINT or SIGTERM into :class:`_Stop`, and ignore any after it or after :meth:`quiet`."""

    def __init__(self) -> None:
        self.stopping = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self.stopping:
            self.stopping = True
            raise _Stop

    def quiet(self) -> None:
        """Shutting down: a second Ctrl-C must not interrupt the clean-up with a traceback."""
        self.stopping = True

    def __enter__(self) -> _Signals:
        # Installed even over an inherited SIG_IGN (a shell's background job): ``kill -INT``
        # from a supervisor or a test must stop the server as Ctrl-C does.
        self._previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._previous.items():
            signal.signal(sig, old)


def serve(
    root: Path,
    today: dt.date,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    strict: bool = False,
    search: bool = True,
    settle: float = SETTLE_SECONDS,
) -> None:
    """Build, serve on ``host:port``, rebuild on change, until SIGINT or SIGTERM; then clean up.

    Raises :class:`~generator.diagnostics.UsageError` when the folder is not a site or
    the port cannot be used. A failing build never stops the server.
    """
    if not (root / "site.yml").is_file():
        raise UsageError(f"{str(root)!r} is not a site folder (it has no site.yml); use -C to point at one")
    workspace = Path(tempfile.mkdtemp(prefix="triangle-serve-"))
    site = workspace / "site"
    stopping = threading.Event()
    status = Status()
    changes = Changes(settle)
    server: DevServer | None = None
    serving = False
    threads: list[threading.Thread] = []
    try:
        with _Signals() as signals:
            try:
                server = open_server(host, port, site, status)
                builder = Builder(
                    root,
                    today,
                    site,
                    strict=strict,
                    search=search,
                    status=status,
                    stopping=stopping,
                )
                first_done = threading.Event()
                threads.append(
                    threading.Thread(target=builder.loop, args=(changes, first_done), name="build", daemon=True)
                )
                threads[-1].start()
                threads += start_watching(root.resolve(), changes, stopping)
                first_done.wait()
                threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
                serving = True
                click.echo(f"Serving {root} at {server_url(server)} (Ctrl-C to stop)")
                stopping.wait()
            except _Stop:
                pass
            finally:
                signals.quiet()
                stopping.set()
                changes.close()
                status.close()
                if server is not None:
                    if serving:
                        server.shutdown()
                    server.server_close()
                for thread in threads:
                    thread.join(STOP_TIMEOUT)
    finally:
        forget_output(root, site)
        shutil.rmtree(workspace, ignore_errors=True)
    click.echo("Stopped.")
