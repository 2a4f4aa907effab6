"""The prefixes every query gets predeclared (`datateam prefixes` lists them).

>>> list_prefixes()[0]
{'prefix': 'dt', 'iri': 'https://w3id.org/datateam-kg/ontology#'}
"""

from __future__ import annotations

from ...graph.text import format_rows
from ...ontology.namespaces import PREFIXES, sparql_prologue


def list_prefixes() -> list[dict[str, str]]:
    """One dict per predeclared prefix (prefix, iri), in the project's order."""
    return [{"prefix": prefix, "iri": iri} for prefix, iri in PREFIXES.items()]


def prefix_declarations() -> str:
    """The prefixes as SPARQL PREFIX lines, to paste into a tool that does not predeclare them."""
    return sparql_prologue()


def render_prefixes(fmt: str = "table") -> str:
    """The prefixes as "table", "json", "csv" or "tsv" rows, or as "sparql" PREFIX lines."""
    return prefix_declarations() if fmt == "sparql" else format_rows(list_prefixes(), ["prefix", "iri"], fmt)
