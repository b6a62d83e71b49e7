"""Plain text from Omnium's HTML product descriptions (Flow stores descriptions without HTML).

``strip_html("<p>Soft &amp; warm</p><ul><li>Wool</li></ul>")`` is ``"Soft & warm\\nWool"``:
tags go, entities are decoded, block elements and ``<br>`` become line breaks, and the
content of ``<script>`` / ``<style>`` is dropped rather than shown as text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements that start a new line of text when they open or close.
_BLOCK_TAGS = (
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 "
    "h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul"
)
_BLOCKS = frozenset(_BLOCK_TAGS.split())
_INVISIBLE = frozenset({"script", "style", "template", "head", "title"})
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{2,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _INVISIBLE:
            self._hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def strip_html(value: str) -> str:
    """``value`` without HTML: tags removed, entities decoded, whitespace tidied."""
    if "<" not in value and "&" not in value:
        return value.strip()
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    text = _SPACES.sub(" ", "".join(parser.parts).replace("\xa0", " "))
    lines = (line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()
