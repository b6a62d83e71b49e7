"""Looking for a person in the integration's tables, the way an auditor would.

The tables and columns are found in the database's own catalogue (every table of the
``omnium_integration`` app, every text-like and JSON column), not from the models, so a
table another change adds is searched too.
"""

from __future__ import annotations

import contextlib
import json

from django.db import connection

APP_TABLE_PREFIX = "omnium_integration_"
TEXT_TYPES = {"CharField", "TextField", "JSONField", "EmailField", "SlugField", "URLField"}


def app_text_columns() -> list[tuple[str, str]]:
    """``(table, column)`` for every text or JSON column of the app's tables."""
    introspection = connection.introspection
    found = []
    with connection.cursor() as cursor:
        for table in sorted(introspection.table_names(cursor)):
            if not table.startswith(APP_TABLE_PREFIX):
                continue
            for column in introspection.get_table_description(cursor, table):
                kind = introspection.get_field_type(column.type_code, column)
                if kind in TEXT_TYPES:
                    found.append((table, column.name))
    return found


def _readable(value) -> list[str]:
    """The value as text, and, for JSON, decoded (SQLite stores non-ASCII escaped)."""
    if not isinstance(value, str):
        return [json.dumps(value, ensure_ascii=False, default=str)]
    texts = [value]
    with contextlib.suppress(ValueError):
        texts.append(json.dumps(json.loads(value), ensure_ascii=False))
    return texts


def find_in_app_tables(terms: list[str]) -> list[tuple[str, str, str]]:
    """``(table, column, term)`` for each term found anywhere (case-insensitively)."""
    quote = connection.ops.quote_name
    hits = []
    with connection.cursor() as cursor:
        for table, column in app_text_columns():
            cursor.execute(f"SELECT {quote(column)} FROM {quote(table)}")  # noqa: S608
            for (value,) in cursor.fetchall():
                if value is None:
                    continue
                texts = [text.casefold() for text in _readable(value)]
                hits += [
                    (table, column, term)
                    for term in terms
                    if any(term.casefold() in text for text in texts)
                ]
    return sorted(set(hits))
