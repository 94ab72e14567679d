"""Run LinkChecker (same arguments as ``linkchecker``) tuned for a site served on 127.0.0.1.

Three adjustments, each for a reason found on the CI machine, none changing what is checked:

- As root, LinkChecker switches to the user ``nobody``, who cannot list LinkChecker's own
  plugin folder when Python lives in a private home (``/root``): AnchorCheck is then
  silently disabled and every anchor "passes". The site is ours, so keep the current user.
- LinkChecker spaces requests to one host by 0.1–0.6 s to spare real servers; our local
  server needs no such courtesy, and with anchors checked one URL at a time that is minutes.
- AnchorCheck re-parses a page for every ``page#anchor`` link to it (BeautifulSoup on a
  60 KB page is ~0.2 s); here a page's anchors are collected once and reused.

The test feeds LinkChecker a canary page with a broken anchor, so if a future LinkChecker
renames what is patched here and AnchorCheck stops working, the test fails instead of passing.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import linkcheck.command.linkchecker as cli  # type: ignore[import-untyped,unused-ignore]
import linkcheck.director.aggregator as aggregator  # type: ignore[import-untyped,unused-ignore]
import linkcheck.plugins.anchorcheck as anchorcheck  # type: ignore[import-untyped,unused-ignore]
from linkcheck.htmlutil import linkparse  # type: ignore[import-untyped,unused-ignore]

_anchors: dict[str, list[Any]] = {}
_lock = threading.Lock()


def _keep_user() -> None:
    """Do not drop to 'nobody' (see the module docstring)."""


def _no_throttle(self: Any, host: str) -> None:
    """Do not space requests to 127.0.0.1."""


def _check_anchor_once_per_page(self: Any, url_data: Any) -> None:
    """AnchorCheck.check, with each page's anchors collected once."""
    page = url_data.url.split("#", 1)[0]
    with _lock:
        anchors = _anchors.get(page)
    if anchors is None:
        found = anchorcheck.UrlAnchorCheck()
        linkparse.find_links(url_data.get_soup(), found.add_anchor, linkparse.AnchorTags)
        anchors = found.anchors
        with _lock:
            _anchors[page] = anchors
    checker = anchorcheck.UrlAnchorCheck()
    checker.anchors = list(anchors)
    checker.check_anchor(url_data)


def main() -> int:
    cli.drop_privileges = _keep_user
    aggregator.Aggregate.wait_for_host = _no_throttle
    anchorcheck.AnchorCheck.check = _check_anchor_once_per_page
    sys.argv[0] = "linkchecker"
    return int(cli.linkchecker() or 0)


if __name__ == "__main__":
    sys.exit(main())
