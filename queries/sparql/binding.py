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
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from .errors import QueryParameterError
from .lexer import tokenize
from .safety import _matching_brace, _form, where_group_index

_VARNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')

# Bounds on parameter values, checked before any value becomes an RDF term. A decimal written
# with a huge exponent ("1e9999999999") is a few bytes of text but ten billion digits once
# written out as xsd:decimal (which has no exponent form); the bounds keep every value to what
# Oxigraph represents exactly (xsd:integer is 64-bit, xsd:decimal has 18 fractional digits and
# fewer than 39 in all), so a value is either bound faithfully or refused on one line.
MAX_VALUE_LENGTH = 2048          # characters of any parameter value
MAX_NUMBER_LENGTH = 64           # characters of a number as written
INTEGER_RANGE = (-(2 ** 63), 2 ** 63 - 1)
DECIMAL_INTEGER_DIGITS = 20      # digits before the point
DECIMAL_FRACTION_DIGITS = 18     # digits after the point
_INTEGER_TEXT = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL_TEXT = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


def check_value_length(value: str, where: str) -> str:
    """Return `value` if it is at most MAX_VALUE_LENGTH characters, else raise QueryParameterError."""
    if len(value) > MAX_VALUE_LENGTH:
        raise QueryParameterError(f"{where}: the value is {len(value):,} characters long; "
                                  f"at most {MAX_VALUE_LENGTH:,} are accepted")
    return value


def integer_literal(value: str, where: str) -> Literal:
    """An xsd:integer from text, within the 64-bit range Oxigraph computes with.

    >>> integer_literal(" 7 ", "--param n")
    rdflib.term.Literal('7', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
    """
    text = value.strip()
    if len(text) > MAX_NUMBER_LENGTH or not _INTEGER_TEXT.match(text):
        raise QueryParameterError(f"{where}: {_shown(value)} is not an integer")
    number = int(text)
    low, high = INTEGER_RANGE
    if not low <= number <= high:
        raise QueryParameterError(f"{where}: {_shown(value)} is out of range (an integer from {low} to {high})")
    return Literal(number, datatype=XSD.integer)


def decimal_literal(value: str, where: str) -> Literal:
    """An xsd:decimal from text ("0.5", "1", "2.5e-1"), bounded in digits and exponent.

    The exponent is looked at before the number is written out, so "1e9999999999" is refused at
    once instead of becoming ten billion digits.

    >>> decimal_literal("2.5e-1", "--param share")
    rdflib.term.Literal('0.25', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#decimal'))
    """
    text = value.strip()
    if len(text) > MAX_NUMBER_LENGTH or not _DECIMAL_TEXT.match(text):
        raise QueryParameterError(f"{where}: {_shown(value)} is not a number")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise QueryParameterError(f"{where}: {_shown(value)} is not a number") from None
    sign, digits, exponent = number.as_tuple()
    digits = list(digits)
    while len(digits) > 1 and digits[-1] == 0:  # 2.50 -> 2.5, 1E+3 stays 1E+3
        digits.pop()
        exponent += 1
    while len(digits) > 1 and digits[0] == 0:
        digits.pop(0)
    if digits == [0]:
        exponent = 0
    whole = max(0, len(digits) + exponent)      # digits before the point
    fraction = max(0, -exponent)                # digits after the point
    if whole > DECIMAL_INTEGER_DIGITS or fraction > DECIMAL_FRACTION_DIGITS:
        raise QueryParameterError(
            f"{where}: {_shown(value)} is out of range (a decimal with at most {DECIMAL_INTEGER_DIGITS} digits "
            f"before the point and {DECIMAL_FRACTION_DIGITS} after)")
    return Literal(Decimal((sign, tuple(digits), exponent)), datatype=XSD.decimal)


def iri_term(value: str, where: str) -> URIRef:
    """An absolute IRI checked by Oxigraph's IRI parser (RFC 3987), or a one-line QueryParameterError."""
    if _IRI_FORBIDDEN.search(value):
        bad = _IRI_FORBIDDEN.search(value).group()
        raise QueryParameterError(f"{where}: {_shown(value)} is not a valid IRI ({bad!r} is not allowed in an IRI)")
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        raise QueryParameterError(f"{where}: {_shown(value)} is not a valid IRI ({_first_line(exc)})") from None
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value):
        raise QueryParameterError(f"{where}: {_shown(value)} is not an absolute IRI (it needs a scheme such as https:)")
    return URIRef(value)


def _shown(value: str, limit: int = 80) -> str:
    """A value for a message: quoted with escapes, long ones shortened."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def term_n3(term: Node) -> str:
    """Write one RDF term for a VALUES block; refuse what cannot be written safely.

    >>> term_n3(Literal('"x" } ; DROP ALL #'))
    '"\\\\"x\\\\" } ; DROP ALL #"'
    """
    if isinstance(term, URIRef):
        return iri_term(str(term), "a bound IRI").n3()
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
