"""Checks that bytes are a well-formed PDF (header, objects, cross-reference table, trailer)."""

from __future__ import annotations

import re


def assert_valid_pdf(data: bytes) -> None:
    """Fail unless ``data`` is a PDF whose xref table points at each of its objects."""
    assert data.startswith(b"%PDF-1."), data[:20]
    assert data.rstrip().endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data).group(1))
    assert data[startxref:].startswith(b"xref"), "startxref does not point at the xref table"
    header = re.match(rb"xref\s+0 (\d+)\s+", data[startxref:])
    count = int(header.group(1))
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf]) ?\r?\n", data[startxref + header.end() :])
    assert len(entries) >= count
    for number, (offset, _, kind) in enumerate(entries[:count]):
        if kind == b"n":
            assert data[int(offset) :].startswith(b"%d 0 obj" % number), f"object {number}"
    trailer = data[data.rindex(b"trailer") :]
    assert re.search(rb"/Size %d\b" % count, trailer)
    assert re.search(rb"/Root \d+ 0 R", trailer)
    for match in re.finditer(rb"<< /Length (\d+) >>\nstream\n", data):
        end = match.end() + int(match.group(1))
        assert data[end:].startswith(b"\nendstream"), "a stream's /Length is wrong"
