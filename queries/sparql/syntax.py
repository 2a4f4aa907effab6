"""SPARQL syntax errors as users see them: line, column, the token there and what was expected.

Oxigraph reports the farthest point its parser reached; for some mistakes that is the end of the
text, so rdflib's parser (which only parses, never evaluates) is asked where the mistake is.

>>> str(syntax_error("SELECT * WHERE { ?s ?p }", "error at 1:24: expected one of Prefix, '('"))
"line 1, column 24: unexpected '}'; expected one of Prefix, '('"
"""

from __future__ import annotations

import re

from .errors import QuerySyntaxError
from .lexer import token_at
from .safety import query_form

_POSITION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.S)


def syntax_error(text: str, message: str) -> QuerySyntaxError:
    """Turn Oxigraph's parser message into a QuerySyntaxError with line, column and the token there."""
    m = _POSITION.match(message.strip())
    if not m:
        return QuerySyntaxError(f"invalid SPARQL: {message.splitlines()[0] if message else 'syntax error'}")
    line, column, rest = int(m.group(1)), int(m.group(2)), m.group(3)
    token = token_at(text, line, column)
    if token is None:
        # Oxigraph's parser reports the farthest point it reached, which for some mistakes is the end
        # of the text; rdflib's parser usually stops where the mistake is.
        located = _rdflib_position(text)
        if located is not None:
            line, column, token = located
            return QuerySyntaxError(f"line {line}, column {column}: unexpected {token!r}{_expected(rest)}",
                                    line, column, token)
    found = f"unexpected {token!r}" if token is not None else "unexpected end of the query"
    return QuerySyntaxError(f"line {line}, column {column}: {found}{_expected(rest)}", line, column, token)


def _rdflib_position(text: str) -> tuple[int, int, str] | None:
    """Where rdflib's SPARQL parser (which only parses, never evaluates) finds the first mistake."""
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    from pyparsing import ParseException

    parse = parseUpdate if query_is_update(text) else parseQuery
    try:
        parse(text)
    except ParseException as exc:
        token = token_at(text, exc.lineno, exc.col)
        if token is not None:
            return exc.lineno, exc.col, token
    except Exception:  # rdflib rejects what it cannot read in many ways; Oxigraph's message stands then
        return None
    return None


def query_is_update(text: str) -> bool:
    """True when the text is a SPARQL Update rather than a query."""
    return query_form(text) == "update"


def _expected(rest: str) -> str:
    rest = " ".join(rest.split())
    if "Prefix not found" in rest:
        return " (unknown prefix)"
    m = re.match(r"expected (one of )?(.*)", rest)
    if not m:
        return f" ({rest})" if rest else ""
    items = [i.strip() for i in re.split(r",\s*(?![^\[]*\])", m.group(2))]
    words = [i for i in items if re.fullmatch(r"[A-Za-z_]+|'[^']*'|\"[^\"]*\"", i)]
    if not words:
        return ""
    shown = ", ".join(words[:10]) + (", ..." if len(words) > 10 else "")
    return f"; expected {'one of ' if len(words) > 1 else ''}{shown}"
