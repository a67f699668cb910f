"""What a strict Content-Security-Policy would refuse in an HTML page, found by parsing it.

``script-src 'self'`` and ``style-src 'self'`` (no 'unsafe-inline') block inline ``<script>``
bodies, ``<style>`` blocks, ``style="..."`` attributes, ``on...=`` event handlers and
``javascript:`` links; htmx's ``hx-on`` attributes would need 'unsafe-eval'. A data block
(``<script type="application/json">``) is not run, so it is allowed.
"""

from __future__ import annotations

from html.parser import HTMLParser

# Script types a browser does not execute: data blocks.
DATA_TYPES = {"application/json", "application/ld+json", "text/template"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction"}


class InlineFinder(HTMLParser):
    """Collects one line per inline script or style the policy would block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script_open: str | None = None
        self._script_body: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        where = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs)}>"[:160]
        if tag == "style":
            self.found.append(f"<style> block: {where}")
        is_data = values.get("type", "").lower() in DATA_TYPES
        if tag == "script" and not values.get("src") and not is_data:
            self._script_open = where
            self._script_body = []
        for name, value in values.items():
            if name == "style":
                self.found.append(f"style attribute: {where}")
            elif name.startswith("on") and name != "on":
                self.found.append(f"event handler attribute {name}: {where}")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.found.append(f"htmx hx-on attribute (needs unsafe-eval): {where}")
            elif name in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL: {where}")

    def handle_data(self, data: str) -> None:
        if self._script_open is not None:
            self._script_body.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script_open is not None:
            if "".join(self._script_body).strip():
                self.found.append(f"inline <script>: {self._script_open}")
            self._script_open = None


def inline_code(html: str) -> list[str]:
    """Every inline script and style in ``html`` that ``script-src``/``style-src 'self'``
    would block; empty when the page is clean."""
    finder = InlineFinder()
    finder.feed(html)
    finder.close()
    return finder.found


class LinkFinder(HTMLParser):
    """The ``href`` of every link in a page, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def links_in(html: str) -> list[str]:
    finder = LinkFinder()
    finder.feed(html)
    finder.close()
    return finder.links
