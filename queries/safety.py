"""Checks that run on a query's tokens before anything is evaluated.

A query may not reach the network or the file system, may not read a graph the store does not
hold, and may not change data unless the caller allows updates. Oxigraph's SERVICE and LOAD
clients are compiled into the engine and bypass Python's audit hooks, so the only reliable guard is
to refuse such queries before they reach the engine:

- SERVICE (any form, including `SERVICE:x`, which Oxigraph reads as SERVICE plus the IRI `:x`) and
  LOAD are always refused;
- FROM / FROM NAMED (and USING / USING NAMED in updates) must name graphs the store holds;
- SPARQL Update (INSERT, DELETE, CLEAR, DROP, CREATE, COPY, MOVE, ADD, WITH) is refused unless
  `allow_update` is true;
- a prefix label spelled like one of those keywords (`service:`, `load:`, ...) is refused, since an
  engine may read it as the keyword;
- an undeclared prefix is reported as a syntax error naming the prefix.

Every keyword of SPARQL that matters here can only appear as a bare word token, so the check works
on the tokens of queries/lexer.py: a keyword inside a string, an IRI or a comment is ignored, and
nothing the engine would read as a keyword is missed. When the text holds \\u escapes, the check
also runs on the text with the escapes applied, because some engines decode them before parsing.

>>> info = inspect_query("SELECT ?r WHERE { ?r a dt:Role }", graphs=[])
>>> info.form, info.projection
('select', ['r'])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from ..ontology.namespaces import PREFIXES
from .errors import QuerySyntaxError, UnsafeQueryError
from .lexer import Token, decode_codepoint_escapes, iri_value, tokenize

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "CLEAR", "DROP", "CREATE", "COPY", "MOVE", "ADD", "WITH", "USING", "LOAD")
NETWORK_KEYWORDS = ("SERVICE", "LOAD")
RESERVED_PREFIXES = {k.lower() for k in NETWORK_KEYWORDS + UPDATE_KEYWORDS + ("FROM", "NAMED")}


@dataclass
class QueryInfo:
    """What the checks learnt about a query.

    form: "select", "ask", "construct", "describe" or "update".
    projection: the SELECT variables in order (None for SELECT * and for other forms).
    from_graphs / from_named_graphs: the IRIs named by FROM / FROM NAMED (or USING in updates).
    prefixes: prefix label -> IRI, the predeclared ones plus those the query declares.
    tokens: the query's tokens.
    """

    form: str
    tokens: list[Token]
    projection: list[str] | None = None
    from_graphs: list[str] = field(default_factory=list)
    from_named_graphs: list[str] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)

    @property
    def has_dataset_clause(self) -> bool:
        """True when the query chooses its own dataset with FROM or FROM NAMED."""
        return bool(self.from_graphs or self.from_named_graphs)

    @property
    def is_update(self) -> bool:
        return self.form == "update"


def _where(tok: Token) -> str:
    return f"line {tok.line}, column {tok.column}"


def inspect_query(text: str, graphs: Iterable[str] | None = None, *, allow_update: bool = False,
                  predeclared: dict[str, str] | None = None) -> QueryInfo:
    """Check a query before evaluation and describe it.

    text: the SPARQL query or update. graphs: the IRIs of the store's named graphs, or a callable
    returning them, called only if the query has FROM/USING (FROM may only name these; None or empty
    means FROM is refused). allow_update: accept SPARQL Update.
    predeclared: the prefixes the engine declares (default: the project's PREFIXES).

    Returns a QueryInfo. Raises UnsafeQueryError or QuerySyntaxError.
    """
    predeclared = dict(PREFIXES if predeclared is None else predeclared)
    tokens = tokenize(text)
    if not tokens:
        raise QuerySyntaxError("the query is empty")
    graph_set = _GraphSet(graphs)
    _refuse_network_and_reserved(tokens)
    if "\\u" in text or "\\U" in text:
        try:
            decoded = tokenize(decode_codepoint_escapes(text))
        except QuerySyntaxError:
            decoded = []
        _refuse_network_and_reserved(decoded, escaped=True)
        if not allow_update and _first_update_keyword(decoded) is not None:
            raise UnsafeQueryError("the query spells an update keyword with \\u escapes; updates are refused "
                                   "(the store is read-only)")

    prefixes, base = _prologue(tokens, predeclared)
    form = _form(tokens)
    update_tok = _first_update_keyword(tokens)
    if update_tok is not None:
        form = "update"
        if not allow_update:
            raise UnsafeQueryError(
                f"SPARQL Update ({update_tok.upper} at {_where(update_tok)}) is refused: the knowledge graph is "
                "read-only; to change your own persistent store use --store DIR with --allow-update")
    info = QueryInfo(form=form or "unknown", tokens=tokens, prefixes=prefixes)
    _check_prefixes(tokens, prefixes)
    _dataset_clauses(info, tokens, prefixes, base, graph_set)
    if form == "select":
        info.projection = _projection(tokens)
    return info


def _refuse_network_and_reserved(tokens: list[Token], escaped: bool = False) -> None:
    how = " (written with \\u escapes)" if escaped else ""
    for tok in tokens:
        if tok.is_word("SERVICE"):
            raise UnsafeQueryError(f"SERVICE at {_where(tok)}{how} is refused: a query may not call another "
                                   "SPARQL endpoint or reach the network")
        if tok.is_word("LOAD"):
            raise UnsafeQueryError(f"LOAD at {_where(tok)}{how} is refused: a query may not read files or URLs; "
                                   "add data with --data FILE or `datateam import`")
        if tok.kind == "PNAME" and tok.prefix.lower() in RESERVED_PREFIXES:
            raise UnsafeQueryError(f"the prefix {tok.prefix + ':'!r} at {_where(tok)}{how} is refused: it is spelled "
                                   f"like the keyword {tok.prefix.upper()}, which a SPARQL engine may read as the "
                                   "keyword itself; give the prefix another name")


def _first_update_keyword(tokens: list[Token]) -> Token | None:
    for tok in tokens:
        if tok.kind == "WORD" and tok.upper in UPDATE_KEYWORDS:
            return tok
    return None


def _form(tokens: list[Token]) -> str | None:
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.is_word("PREFIX"):
            i += 3
            continue
        if tok.is_word("BASE"):
            i += 2
            continue
        if tok.kind == "WORD" and tok.upper in QUERY_FORMS:
            return tok.upper.lower()
        return None
    return None


def _prologue(tokens: list[Token], predeclared: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """Collect PREFIX declarations (anywhere: updates have one prologue per operation) and the BASE."""
    prefixes = dict(predeclared)
    base = None
    for i, tok in enumerate(tokens):
        if tok.is_word("PREFIX") and i + 2 < len(tokens):
            name, iri = tokens[i + 1], tokens[i + 2]
            if name.kind == "PNAME" and name.local == "" and iri.kind == "IRI":
                value = iri_value(iri)
                prefixes[name.prefix] = urljoin(base, value) if base else value
        elif tok.is_word("BASE") and i + 1 < len(tokens) and tokens[i + 1].kind == "IRI":
            value = iri_value(tokens[i + 1])
            base = urljoin(base, value) if base else value
    return prefixes, base


def _check_prefixes(tokens: list[Token], prefixes: dict[str, str]) -> None:
    for i, tok in enumerate(tokens):
        if tok.kind != "PNAME":
            continue
        if i > 0 and tokens[i - 1].is_word("PREFIX"):
            continue
        if tok.prefix not in prefixes:
            label = tok.prefix + ":"
            raise QuerySyntaxError(
                f"line {tok.line}, column {tok.column}: unknown prefix {label!r} in {tok.text!r}; declare it with "
                f"PREFIX {label} <...> (`datateam prefixes` lists the predeclared ones)",
                tok.line, tok.column, tok.text)


class _GraphSet:
    """The store's graph IRIs, fetched only when a FROM clause needs them (on a remote store the list
    costs a request). `graphs` is an iterable of IRIs or a callable returning one."""

    def __init__(self, graphs):
        self._source = graphs
        self._set: set[str] | None = None

    def _get(self) -> set[str]:
        if self._set is None:
            source = self._source() if callable(self._source) else self._source
            self._set = {str(g) for g in (source or ())}
        return self._set

    def __contains__(self, iri) -> bool:
        return iri in self._get()

    def __iter__(self):
        return iter(self._get())


def _resolve(tok: Token, prefixes: dict[str, str], base: str | None) -> str | None:
    if tok.kind == "IRI":
        value = iri_value(tok)
        return urljoin(base, value) if base else value
    if tok.kind == "PNAME" and tok.prefix in prefixes:
        return prefixes[tok.prefix] + tok.local.replace("\\", "")
    return None


def _dataset_clauses(info: QueryInfo, tokens: list[Token], prefixes: dict[str, str], base: str | None,
                     graphs: "_GraphSet") -> None:
    for i, tok in enumerate(tokens):
        if not tok.is_word("FROM", "USING"):
            continue
        j = i + 1
        named = j < len(tokens) and tokens[j].is_word("NAMED")
        if named:
            j += 1
        target = tokens[j] if j < len(tokens) else None
        keyword = f"{tok.upper}{' NAMED' if named else ''}"
        iri = _resolve(target, prefixes, base) if target is not None else None
        if iri is None:
            raise UnsafeQueryError(f"{keyword} at {_where(tok)} must name one of the store's graphs by IRI")
        if iri not in graphs:
            shown = ", ".join(_short(g) for g in sorted(graphs)) or "none"
            raise UnsafeQueryError(
                f"{keyword} <{iri}> at {_where(tok)} is refused: it names no graph of this store, and a query may "
                f"not fetch data from elsewhere (the store's graphs: {shown})")
        (info.from_named_graphs if named else info.from_graphs).append(iri)


def _short(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


def _projection(tokens: list[Token]) -> list[str] | None:
    """The variables a SELECT projects, in order; None for SELECT *."""
    start = next(i for i, t in enumerate(tokens) if t.is_word("SELECT"))
    out: list[str] = []
    depth = 0
    i = start + 1
    while i < len(tokens):
        tok = tokens[i]
        if depth == 0 and (tok.is_word("WHERE", "FROM") or tok.text == "{"):
            break
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
        elif depth == 0 and tok.text == "*":
            return None
        elif tok.kind == "VAR" and (depth == 0 or tokens[i - 1].is_word("AS")):
            out.append(tok.text[1:])
        i += 1
    return out


def where_group_index(tokens: list[Token], form: str) -> int | None:
    """Index of the `{` token that opens the query's WHERE group, or None when there is none.

    For CONSTRUCT the template is skipped; the short form `CONSTRUCT WHERE { ... }` has no group
    pattern to extend and returns None.
    """
    depth_paren = 0
    i = next((k for k, t in enumerate(tokens) if t.kind == "WORD" and t.upper in QUERY_FORMS), None)
    if i is None:
        return None
    i += 1
    if form == "construct":
        while i < len(tokens) and tokens[i].text != "{":
            if tokens[i].is_word("WHERE"):
                return None  # CONSTRUCT WHERE { triples }: short form
            i += 1
        i = _matching_brace(tokens, i) + 1
    while i < len(tokens):
        tok = tokens[i]
        if tok.text == "(":
            depth_paren += 1
        elif tok.text == ")":
            depth_paren -= 1
        elif depth_paren == 0 and tok.text == "{":
            return i
        i += 1
    return None


def _matching_brace(tokens: list[Token], i: int) -> int:
    depth = 0
    for k in range(i, len(tokens)):
        if tokens[k].text == "{":
            depth += 1
        elif tokens[k].text == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(tokens) - 1


def query_form(text: str) -> str | None:
    """The form of a query ("select", "ask", "construct", "describe", "update") or None if unclear.

    >>> query_form("PREFIX x: <http://x/> CONSTRUCT WHERE { ?s ?p ?o }")
    'construct'
    """
    try:
        tokens = tokenize(text)
    except QuerySyntaxError:
        return None
    if _first_update_keyword(tokens) is not None:
        return "update"
    return _form(tokens)
