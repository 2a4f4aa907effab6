"""Checks that run on a query's tokens before anything is evaluated.

A query may not reach the network or the file system, may not read a graph the store does not
hold, and may not change data unless the caller allows updates. Oxigraph's SERVICE and LOAD
clients are compiled into the engine and bypass Python's audit hooks, so the first guard is to
refuse such queries before they reach the engine (the second, which does not depend on reading
the query right, is that the process evaluating it cannot open a network connection at all:
queries/engine/sandbox.py):

- SERVICE and LOAD are always refused, even with `allow_update`;
- FROM / FROM NAMED (and USING / USING NAMED in updates) must name graphs the store holds;
- SPARQL Update (INSERT, DELETE, CLEAR, DROP, CREATE, COPY, MOVE, ADD, WITH, USING) is refused
  unless `allow_update` is true;
- an undeclared prefix is reported as a syntax error naming the prefix;
- a query longer than MAX_QUERY_BYTES (1 MB; DATATEAM_QUERY_MAX_KB) is refused.

The checks agree with how Oxigraph reads the text, and refuse where the two could disagree:

- the tokens come from queries/sparql/lexer.py, which follows Oxigraph's own terminals (comments end at
  CR or LF, `<` is an IRI only if Oxigraph accepts it as one, a local name takes one run of dots);
- Oxigraph matches a keyword case-insensitively with no word boundary, so `SERVICESILENT<...>`
  is SERVICE SILENT and `SERVICEx:y` is SERVICE plus `x:y`. A bare word or a prefix label that
  *contains* SERVICE or LOAD is therefore refused, as is one that contains FROM, USING, NAMED,
  PREFIX or BASE without being exactly that word (`FROMNAMED<g>`, `PREFIXp:<...>`), and one that
  contains an update keyword makes the text an update;
- when Oxigraph cannot expand a prefixed name (the prefix's IRI plus the local part is not an IRI)
  it reads `p:` alone and the rest as code; so every reading of a prefixed name (each declared
  prefix that ends its label) must expand to a valid IRI, checked with pyoxigraph;
- when the text holds \\u escapes, the checks also run on the text with the escapes applied
  (Oxigraph 0.5 applies them only inside IRIs and strings, but other engines, which `--endpoint`
  may reach, decode them before parsing).

>>> info = inspect_query("SELECT ?r WHERE { ?r a dt:Role }", graphs=[])
>>> info.form, info.projection
('select', ['r'])
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from ...ontology.namespaces import PREFIXES
from .errors import QueryError, QuerySyntaxError, UnsafeQueryError
from .lexer import Token, decode_codepoint_escapes, iri_value, resolve_iri, tokenize

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "CLEAR", "DROP", "CREATE", "COPY", "MOVE", "ADD", "WITH", "USING", "LOAD")
NETWORK_KEYWORDS = ("SERVICE", "LOAD")
# Keywords whose meaning the checks follow (a dataset clause, a declaration): each must stand alone.
STANDALONE_KEYWORDS = ("FROM", "USING", "NAMED", "PREFIX", "BASE")
MAX_QUERY_BYTES = int(os.environ.get("DATATEAM_QUERY_MAX_KB", "1024")) * 1024


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


def check_length(text: str, limit: int | None = None) -> None:
    """Refuse a query text longer than `limit` bytes in UTF-8 (default MAX_QUERY_BYTES)."""
    limit = MAX_QUERY_BYTES if limit is None else limit
    if len(text) > limit or (len(text) * 4 > limit and len(text.encode("utf-8", "surrogatepass")) > limit):
        raise QueryError(f"the query is longer than {_size(limit)} and was not run; shorten it (bind values with "
                         "parameters) or raise the limit with DATATEAM_QUERY_MAX_KB")


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KB"
    return f"{limit} bytes"


def inspect_query(text: str, graphs: Iterable[str] | None = None, *, allow_update: bool = False,
                  predeclared: dict[str, str] | None = None, max_bytes: int | None = None,
                  base_iri: str | None = None) -> QueryInfo:
    """Check a query before evaluation and describe it.

    text: the SPARQL query or update. graphs: the IRIs of the store's named graphs, or a callable
    returning them, called only if the query has FROM/USING (FROM may only name these; None or empty
    means FROM is refused). allow_update: accept SPARQL Update (never LOAD).
    predeclared: the prefixes the engine declares (default: the project's PREFIXES).
    max_bytes: the longest text accepted (default MAX_QUERY_BYTES).
    base_iri: the base IRI the engine resolves relative IRIs against (None: it refuses them).

    Returns a QueryInfo. Raises UnsafeQueryError, QuerySyntaxError or QueryError (too long).
    """
    check_length(text, max_bytes)
    predeclared = dict(PREFIXES if predeclared is None else predeclared)
    tokens = tokenize(text, base_iri)
    if not tokens:
        raise QuerySyntaxError("the query is empty")
    graph_set = _GraphSet(graphs)
    _refuse_network_and_glued(tokens)
    if "\\u" in text or "\\U" in text:
        try:
            decoded = tokenize(decode_codepoint_escapes(text), base_iri)
        except QuerySyntaxError:
            decoded = []
        _refuse_network_and_glued(decoded, escaped=True)
        if not allow_update and _first_update_keyword(decoded) is not None:
            raise UnsafeQueryError("the query spells an update keyword with \\u escapes; updates are refused "
                                   "(the store is read-only)")
        if sum(t.is_word("FROM", "USING") for t in decoded) > sum(t.is_word("FROM", "USING") for t in tokens):
            raise UnsafeQueryError("the query spells FROM or USING with \\u escapes, which is refused; write the "
                                   "keyword as plain text")

    prefixes = _prologue(tokens, predeclared)
    form = _form(tokens)
    update_tok = _first_update_keyword(tokens)
    if update_tok is not None:
        form = "update"
        if not allow_update:
            raise UnsafeQueryError(
                f"SPARQL Update ({_keyword_in(update_tok, UPDATE_KEYWORDS)} at {_where(update_tok)}) is refused: the "
                "knowledge graph is read-only; to change your own persistent store use --store DIR with --allow-update")
    info = QueryInfo(form=form or "unknown", tokens=tokens, prefixes=prefixes)
    _check_prefixes(tokens, prefixes)
    _dataset_clauses(info, tokens, prefixes, graph_set)
    if form == "select":
        info.projection = _projection(tokens)
    return info


def _keyword_in(tok: Token, keywords: Iterable[str]) -> str:
    """The first of `keywords` that the token's text holds (the token itself when none)."""
    upper = tok.upper
    return next((k for k in keywords if k in upper), tok.text)


def _refuse_network_and_glued(tokens: list[Token], escaped: bool = False) -> None:
    how = " (written with \\u escapes)" if escaped else ""
    for tok in tokens:
        if tok.kind == "PNAME":
            label = tok.prefix.upper()
            keyword = next((k for k in NETWORK_KEYWORDS + STANDALONE_KEYWORDS if k in label), None)
            if keyword is not None:
                raise UnsafeQueryError(
                    f"the prefix {tok.prefix + ':'!r} at {_where(tok)}{how} is refused: it holds the keyword {keyword}, "
                    f"which Oxigraph reads as the keyword itself ({tok.text!r} as {keyword} followed by the rest); "
                    "give the prefix another name")
            continue
        if tok.kind != "WORD":
            continue
        word = tok.upper
        glued = "" if word in NETWORK_KEYWORDS else (f" (Oxigraph reads {tok.text!r} as the keyword followed by the "
                                                     "rest)")
        if "SERVICE" in word:
            raise UnsafeQueryError(f"SERVICE at {_where(tok)}{how} is refused{glued}: a query may not call another "
                                   "SPARQL endpoint or reach the network")
        if "LOAD" in word:
            raise UnsafeQueryError(f"LOAD at {_where(tok)}{how} is refused{glued}: a query may not read files or "
                                   "URLs; add data with --data FILE or `datateam import`")
        for keyword in STANDALONE_KEYWORDS:
            if keyword in word and word != keyword:
                raise UnsafeQueryError(
                    f"{tok.text!r} at {_where(tok)}{how} is refused: Oxigraph reads it as the keyword {keyword} "
                    f"followed by the rest; write {keyword} as a word of its own")


def _first_update_keyword(tokens: list[Token]) -> Token | None:
    for tok in tokens:
        if tok.kind == "WORD" and any(k in tok.upper for k in UPDATE_KEYWORDS):
            return tok
    return None


def _form(tokens: list[Token]) -> str | None:
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.is_word("PREFIX"):
            i += 3
            continue
        if tok.is_word("BASE", "VERSION"):
            i += 2
            continue
        if tok.kind == "WORD" and tok.upper in QUERY_FORMS:
            return tok.upper.lower()
        return None
    return None


def _prologue(tokens: list[Token], predeclared: dict[str, str]) -> dict[str, str]:
    """Collect the PREFIX declarations, resolved against the BASE in force as Oxigraph does."""
    prefixes = dict(predeclared)
    for i, tok in enumerate(tokens):
        if tok.is_word("PREFIX") and i + 2 < len(tokens):
            name, iri = tokens[i + 1], tokens[i + 2]
            if name.kind == "PNAME" and name.local == "" and iri.kind == "IRI":
                prefixes[name.prefix] = iri_value(iri)
    return prefixes


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
        _check_expansions(tok, prefixes)


def _check_expansions(tok: Token, prefixes: dict[str, str]) -> None:
    """Every way Oxigraph may read the prefixed name must give a valid IRI.

    Where Oxigraph reads a keyword at the start of the label (`GRAPHx:y` is GRAPH plus `x:y`), the
    prefix is the rest of the label; where the prefix's IRI plus the local part is no IRI, it reads
    `x:` alone and the local part as code. So each declared prefix that ends the label must
    expand with the local part to an IRI pyoxigraph accepts.
    """
    label, local = tok.prefix, tok.local
    if not local:
        return
    plain = local.replace("\\", "")
    for candidate, iri in prefixes.items():
        if not label.endswith(candidate):
            continue
        if resolve_iri(_escape_for_iri(iri + plain), None) is None:
            raise UnsafeQueryError(
                f"{tok.text!r} at {_where(tok)} is refused: {candidate + ':'!r} <{iri}> followed by {local!r} is not "
                "a valid IRI, and Oxigraph would then read the rest of the name as query text")


def _escape_for_iri(value: str) -> str:
    # resolve_iri applies \\u escapes; a backslash of the value itself must stay a character
    return value.replace("\\", "\\u005C")
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


def _resolve(tok: Token, prefixes: dict[str, str]) -> str | None:
    """The IRI an IRI or prefixed-name token stands for, as Oxigraph expands it (None otherwise)."""
    if tok.kind == "IRI":
        return iri_value(tok)
    if tok.kind == "PNAME" and tok.prefix in prefixes:
        return prefixes[tok.prefix] + tok.local.replace("\\", "")
    return None


def _dataset_clauses(info: QueryInfo, tokens: list[Token], prefixes: dict[str, str], graphs: "_GraphSet") -> None:
    for i, tok in enumerate(tokens):
        if not tok.is_word("FROM", "USING"):
            continue
        j = i + 1
        named = j < len(tokens) and tokens[j].is_word("NAMED")
        if named:
            j += 1
        target = tokens[j] if j < len(tokens) else None
        keyword = f"{tok.upper}{' NAMED' if named else ''}"
        iri = _resolve(target, prefixes) if target is not None else None
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
        check_length(text)
        tokens = tokenize(text)
    except QueryError:  # too long, or a syntax error: the checks before evaluation report it
        return None
    if _first_update_keyword(tokens) is not None:
        return "update"
    return _form(tokens)
