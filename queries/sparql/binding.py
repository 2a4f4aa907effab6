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
from .lexer import WHITESPACE, tokenize
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


# Characters after or before which a term needs no space to stand apart.
_APART = WHITESPACE + "(){}[],;"
# Keywords before a `{` that open a group the rewrite has to treat specially.
_GROUP_KEYWORDS = {"OPTIONAL": "optional", "MINUS": "minus", "EXISTS": "exists", "GRAPH": "graph"}


class _Group:
    """One `{ ... }` of the WHERE clause while `bind_in_text` walks it."""

    __slots__ = ("kind", "parent", "parens", "head")

    def __init__(self, kind: str, parent: "_Group | None"):
        # root, plain (also a UNION branch: both are evaluated on their own), graph, optional,
        # exists, minus, service, select, values
        self.kind = kind
        self.parent = parent
        self.parens = 0           # open parentheses inside this group
        self.head = ""            # what opened the outermost parenthesis: filter, bind or other

    def chain(self):
        group = self
        while group is not None:
            yield group
            group = group.parent


def _sees_binding(group: _Group) -> bool:
    """True when every solution reaching `group`'s content already holds the bound variable.

    The bound variable is joined at the start of the outermost group, so only that group and the
    EXISTS patterns evaluated against its solutions see it; a nested group is evaluated on its own.
    """
    while group.kind == "exists":
        group = group.parent
    return group.kind == "root"


def _occurrence_ok(group: _Group, expression: bool, literal: bool) -> bool:
    for outer in group.chain():
        if outer.kind in ("minus", "service", "select", "values"):
            return False
        if outer.kind in ("optional", "exists") and not _sees_binding(outer.parent):
            return False
    if not expression:
        # A literal may stand only where a variable of any kind may; kept to expressions.
        return not literal
    if group.head not in ("filter", "bind"):
        return False
    if _sees_binding(group):
        return True
    # An OPTIONAL's own FILTER is the condition of the left join: it sees the joined solution.
    return group.kind == "optional" and group.head == "filter" and _sees_binding(group.parent)


def bind_in_text(text: str, bindings: Mapping[str, Node]) -> str | None:
    """Write each bound term into the query in place of its variable, or None where that is not exact.

    The result means the same as the query with a `VALUES` block joined at the start of its WHERE
    group (`bind_as_values`), but the engine sees constants in its patterns and uses its indexes,
    where a VALUES block or a substitution is joined only after the whole pattern is evaluated.
    Tokens, not text, are replaced (queries/sparql/lexer.py): an occurrence of the variable is a VAR
    token, so a name inside a string, IRI or comment is never touched. A `BIND(term AS ?var)` opens
    the WHERE group, so the variable is still bound in the projection, ORDER BY and templates.

    None (bind another way) when an occurrence is where replacing it would change the answer: in a
    sub-select, MINUS or VALUES, after AS, inside BOUND(), in an OPTIONAL or EXISTS evaluated apart
    from the binding, in an expression of a nested group, or a literal in a triple pattern.

    >>> from rdflib import URIRef
    >>> print(bind_in_text("SELECT ?r ?s WHERE { ?r dt:requiresSkill ?s }", {"r": URIRef("https://e/r")}))
    SELECT ?r ?s WHERE { BIND(<https://e/r> AS ?r) <https://e/r> dt:requiresSkill ?s }
    """
    if not bindings:
        return text
    terms = {check_variable_name(k): (term_n3(v), isinstance(v, Literal)) for k, v in bindings.items()}
    tokens = tokenize(text)
    form = _form(tokens)
    if form is None:
        return None
    start = where_group_index(tokens, form)
    if start is None:
        return None
    if start + 1 < len(tokens) and tokens[start + 1].is_word("SELECT"):
        return None   # WHERE { SELECT ... }: the whole pattern is a sub-select with its own scope
    end = _matching_brace(tokens, start)
    outside = tokens[:start] + tokens[end:]
    if any(a.is_word("AS") and b.kind == "VAR" and b.text[1:] in terms for a, b in zip(outside, outside[1:])):
        return None   # (expr AS ?var) in the projection or GROUP BY: the variable is that expression
    root = _Group("root", None)
    group = root
    replace: list[int] = []
    values_pending = False
    for i in range(start + 1, end):
        tok = tokens[i]
        prev = tokens[i - 1]
        if tok.text == "{" and tok.kind == "PUNCT":
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if values_pending:
                kind = "values"
            elif nxt is not None and nxt.is_word("SELECT"):
                kind = "select"
            elif prev.kind == "WORD" and prev.upper in _GROUP_KEYWORDS:
                kind = _GROUP_KEYWORDS[prev.upper]
            elif i >= start + 2 and tokens[i - 2].is_word("GRAPH"):
                kind = "graph"
            elif any(t.kind == "WORD" and "SERVICE" in t.upper for t in tokens[max(start, i - 4):i]):
                kind = "service"
            else:
                kind = "plain"
            values_pending = False
            group = _Group(kind, group)
            continue
        if tok.text == "}" and tok.kind == "PUNCT":
            group = group.parent or root
            continue
        if tok.is_word("VALUES"):
            values_pending = True
        elif tok.text == "(" and tok.kind == "PUNCT":
            if group.parens == 0:
                before = tokens[max(start + 1, i - 2):i]
                if before and before[-1].is_word("BIND"):
                    group.head = "bind"
                elif any(t.is_word("FILTER") for t in before):
                    group.head = "filter"
                else:
                    group.head = "other"
            group.parens += 1
        elif tok.text == ")" and tok.kind == "PUNCT":
            group.parens = max(0, group.parens - 1)
        elif tok.kind == "VAR" and tok.text[1:] in terms:
            literal = terms[tok.text[1:]][1]
            if prev.is_word("AS") or values_pending or (prev.text == "(" and tokens[i - 2].is_word("BOUND")):
                return None
            replace.append(i)
            if not _occurrence_ok(group, group.parens > 0, literal):
                return None
    out, last = [], 0
    for i in replace:
        tok = tokens[i]
        after = tok.offset + len(tok.text)
        # spaces keep the term apart from its neighbours (`dt:p?x` becomes `dt:p <iri>`)
        left = "" if tok.offset == 0 or text[tok.offset - 1] in _APART else " "
        right = "" if after >= len(text) or text[after] in _APART else " "
        out.append(text[last:tok.offset])
        out.append(f"{left}{terms[tok.text[1:]][0]}{right}")
        last = after
    out.append(text[last:])
    rewritten = "".join(out)
    brace = tokens[start].offset + 1
    binds = " ".join(f"BIND({term} AS ?{name})" for name, (term, _) in terms.items())
    return rewritten[:brace] + f" {binds}" + rewritten[brace:]
