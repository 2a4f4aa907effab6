"""Binding query parameters as RDF terms, never by pasting strings into the query.

Two ways, both safe:
- Oxigraph substitutions (SEP-0007): the engine replaces the variable by the term after parsing.
  Oxigraph requires a substituted variable to be in the SELECT projection; `substitution_possible`
  says whether that holds.
- `bind_as_values`: a `VALUES` block added at the start of the WHERE group, with each term written
  by rdflib's `.n3()` (which escapes quotes, backslashes and line breaks), for engines without
  substitutions (remote endpoints) and for variables that are not projected.

>>> from rdflib import Literal
>>> print(bind_as_values('SELECT ?x WHERE { ?x rdfs:label ?l }', {"l": Literal("data", lang="en")}))
SELECT ?x WHERE { VALUES (?l) { ("data"@en) } ?x rdfs:label ?l }
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from .errors import QueryParameterError
from .lexer import tokenize
from .safety import _matching_brace, _form, where_group_index

_VARNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def term_n3(term: Node) -> str:
    """Write one RDF term for a VALUES block; refuse what cannot be written safely.

    >>> term_n3(Literal('"x" } ; DROP ALL #'))
    '"\\\\"x\\\\" } ; DROP ALL #"'
    """
    if isinstance(term, URIRef):
        if _IRI_FORBIDDEN.search(str(term)):
            raise QueryParameterError(f"{str(term)!r} is not a valid IRI")
        return term.n3()
    if isinstance(term, Literal):
        return term.n3()
    if isinstance(term, BNode):
        raise QueryParameterError("a blank node cannot be bound as a parameter (VALUES takes IRIs and literals)")
    raise QueryParameterError(f"cannot bind {term!r}: not an RDF term")


def check_variable_name(name: str) -> str:
    """Return the variable name without a leading ? or $, or raise QueryParameterError."""
    bare = name[1:] if name[:1] in "?$" else name
    if not _VARNAME.match(bare):
        raise QueryParameterError(f"{name!r} is not a valid SPARQL variable name")
    return bare


def bind_as_values(text: str, bindings: Mapping[str, Node]) -> str:
    """Return `text` with a VALUES block binding each variable, inside the query's WHERE clause.

    text: a SELECT, ASK, CONSTRUCT (template form) or DESCRIBE ... WHERE query.
    bindings: variable name (with or without ?) -> rdflib term (IRI or literal).
    The block is placed first in the outermost group pattern, so it joins with the whole pattern;
    a WHERE clause that is a sub-select is wrapped in braces first.

    Raises QueryParameterError when the query has no WHERE group to extend or a term cannot be
    written.
    """
    if not bindings:
        return text
    names = [check_variable_name(k) for k in bindings]
    values = [term_n3(v) for v in bindings.values()]
    tokens = tokenize(text)
    form = _form(tokens)
    if form is None:
        raise QueryParameterError("parameters can only be bound in SELECT, ASK, CONSTRUCT or DESCRIBE queries")
    index = where_group_index(tokens, form)
    if index is None:
        raise QueryParameterError(
            f"cannot bind parameters: this {form.upper()} query has no WHERE {{ ... }} group to add them to "
            "(write CONSTRUCT { ... } WHERE { ... } or add a WHERE clause)")
    block = f"VALUES ({' '.join('?' + n for n in names)}) {{ ({' '.join(values)}) }}"
    brace = tokens[index]
    after = brace.offset + 1
    nxt = tokens[index + 1] if index + 1 < len(tokens) else None
    if nxt is not None and nxt.is_word("SELECT"):
        close = tokens[_matching_brace(tokens, index)]
        return (text[:after] + f" {block} {{" + text[after:close.offset] + "} " + text[close.offset:])
    return text[:after] + f" {block}" + text[after:]
