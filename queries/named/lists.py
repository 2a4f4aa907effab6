"""The lists a named query builds with GROUP_CONCAT, in one order on every server.

SPARQL leaves the order of GROUP_CONCAT's values open, and servers differ (Oxigraph follows its
index order, which changes with the store's layout; others hash). Ordering a subquery first is not
portable either: the standard does not carry a subquery's order into a group. So the named
queries are run with each GROUP_CONCAT's separator replaced by U+001F (a control character no
label holds), and the values of each list are then sorted in code-point order, as ORDER BY sorts
strings, and joined with the separator the query gives. The query text shown to users is
unchanged.

>>> concatenations('(GROUP_CONCAT(DISTINCT ?l; separator=", ") AS ?labels)')
[('labels', ', ')]
"""

from __future__ import annotations

import re

from rdflib import Literal

UNIT_SEPARATOR = "\x1f"
_GROUP_CONCAT = re.compile(
    r'GROUP_CONCAT\s*\(\s*(?:DISTINCT\s+)?\?\w+\s*;\s*separator\s*=\s*"(?P<sep>[^"\\]*)"\s*\)\s*AS\s*\?(?P<col>\w+)',
    re.I)


def concatenations(text: str) -> list[tuple[str, str]]:
    """The (result column, separator) of each `(GROUP_CONCAT(?x; separator="...") AS ?column)`."""
    return [(m.group("col"), m.group("sep")) for m in _GROUP_CONCAT.finditer(text)]


def runnable_text(text: str) -> str:
    """`text` with every GROUP_CONCAT separator replaced by U+001F, so the values can be told apart."""
    def swap(m: re.Match) -> str:
        start, end = m.span("sep")
        return m.group(0)[:start - m.start()] + UNIT_SEPARATOR + m.group(0)[end - m.start():]

    return _GROUP_CONCAT.sub(swap, text)


def sort_lists(result, lists: list[tuple[str, str]]):
    """Sort the values inside each list column of a SELECT result and join them with their separator.

    result: a QueryResult from `runnable_text`; lists: `concatenations` of the original text.
    Returns the result, changed in place.
    """
    if result.kind != "select" or not lists:
        return result
    separators = dict(lists)
    for row in result.rows:
        for column, separator in separators.items():
            value = row.get(column)
            if isinstance(value, Literal) and UNIT_SEPARATOR in str(value):
                joined = separator.join(sorted(str(value).split(UNIT_SEPARATOR)))
                row[column] = Literal(joined, lang=value.language, datatype=value.datatype)
    return result
