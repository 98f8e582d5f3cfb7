#!/usr/bin/env python3
"""Check every link of a built documentation site: each relative ``href``/``src`` of every page
must name a file of the site, and each ``#anchor`` an ``id`` in its page. External links are
counted, not fetched (the machines that build this are offline).

    python scripts/check_docs_links.py site/

Exit status 1 and one line per broken link when any is broken.
"""

from __future__ import annotations

import sys
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name in ("href", "src"):
                self.links.append(value)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def broken_links(site: Path) -> tuple[list[str], int, int]:
    """``(broken, internal checked, external seen)`` for the site built in ``site``."""
    pages = {p: _parse(p) for p in site.rglob("*.html")}
    broken: list[str] = []
    internal = external = 0
    for path, page in pages.items():
        for link in page.links:
            parts = urllib.parse.urlsplit(link)
            if parts.scheme or parts.netloc:
                external += parts.scheme in ("http", "https")
                continue
            internal += 1
            if not parts.path:
                target = path
            elif parts.path.startswith("/"):  # from the site's root (the 404 page's links)
                target = (site / urllib.parse.unquote(parts.path).lstrip("/")).resolve()
            else:
                target = (path.parent / urllib.parse.unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(site)}: {link}"
            if not target.exists():
                broken.append(f"{where} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if urllib.parse.unquote(parts.fragment) not in ids:
                    broken.append(f"{where} (no such anchor)")
    return broken, internal, external


def main() -> int:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "site").resolve()
    broken, internal, external = broken_links(site)
    for line in broken:
        print(line)
    print(
        f"{internal} internal links checked, {len(broken)} broken; {external} external not fetched"
    )
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
