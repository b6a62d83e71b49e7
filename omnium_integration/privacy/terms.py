"""A person's values as search terms, and finding them in text and JSON.

A term is one of the person's values (a name, an e-mail, a phone number, an address
line, a loyalty id) at least ``SCRUB_MIN_TERM_LENGTH`` long. It is found
case-insensitively and as a whole: "Kari" is found in "Kari Nordmann" but not in
"Karin". A phone number is found with any spacing or punctuation between its digits
("+47 400 00 000" for "+4740000000"), and a number longer than eight digits also by its
last eight (the national number without the country code). Each term found is replaced
by ``[<SCRUB_PLACEHOLDER>:<random>]``, one random suffix per term and run, so a value
that had to be unique (an id) stays unique.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from typing import Any

from ..conf import app_settings

PHONE = re.compile(r"^\+?[\d\s().\-/]+$")
PHONE_MIN_DIGITS = 6
NATIONAL_DIGITS = 8
SEPARATORS = r"[\s().\-/]*"


def search_terms(values: Iterable[Any]) -> list[str]:
    """The distinct values worth searching for, longest first (blank and short ones out)."""
    shortest = int(app_settings.SCRUB_MIN_TERM_LENGTH)
    found: dict[str, str] = {}
    for value in values:
        text = " ".join(str(value or "").split())
        if len(text) >= shortest:
            found.setdefault(text.casefold(), text)
    return sorted(found.values(), key=lambda term: (-len(term), term))


def _digits_pattern(digits: str) -> str:
    return r"(?<!\d)(?:\+|00)?" + SEPARATORS.join(digits) + r"(?!\d)"


def term_pattern(term: str) -> str:
    """The regular expression that finds ``term`` (see the module docstring)."""
    digits = re.sub(r"\D", "", term)
    if PHONE.match(term) and len(digits) >= PHONE_MIN_DIGITS:
        patterns = [_digits_pattern(digits)]
        if len(digits) > NATIONAL_DIGITS:
            patterns.append(_digits_pattern(digits[-NATIONAL_DIGITS:]))
        return "|".join(patterns)
    body = r"\s+".join(re.escape(word) for word in term.split())
    start = r"(?<!\w)" if re.match(r"\w", term) else ""
    end = r"(?!\w)" if re.search(r"\w$", term) else ""
    return f"{start}{body}{end}"


class Matcher:
    """Finds a person's terms and replaces each with its placeholder."""

    def __init__(self, terms: Iterable[str]):
        self.terms = search_terms(terms)
        prefix = app_settings.SCRUB_PLACEHOLDER
        self._tokens = [f"[{prefix}:{secrets.token_hex(4)}]" for _ in self.terms]
        alternatives = [f"(?P<t{n}>{term_pattern(t)})" for n, t in enumerate(self.terms)]
        self._regex = re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def fragments(self) -> list[str]:
        """Substrings a database can look for to find rows that may hold a term.

        Wider than the terms (the regular expression decides): a phone number's last four
        digits, and each term also as JSON writes it with non-ASCII escaped.
        """
        found: set[str] = set()
        for term in self.terms:
            digits = re.sub(r"\D", "", term)
            if PHONE.match(term) and len(digits) >= PHONE_MIN_DIGITS:
                found.add(digits[-4:])
                continue
            found.update({term, term.lower(), term.upper()})
            escaped = json.dumps(term)[1:-1]
            if escaped != term:
                found.update({escaped, json.dumps(term.lower())[1:-1]})
        return sorted(found)

    def text(self, value: str) -> str:
        """``value`` with every term replaced."""
        if self._regex is None or not value:
            return value
        return self._regex.sub(lambda m: self._tokens[int(m.lastgroup[1:])], value)

    def data(self, value: Any) -> Any:
        """A JSON value with every term replaced in its strings (object keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.data(item) for item in value]
        if isinstance(value, dict):
            return {self.data(key): self.data(item) for key, item in value.items()}
        return value
