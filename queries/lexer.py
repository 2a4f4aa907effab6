"""A SPARQL 1.1 tokenizer: the query text as a list of tokens with their line and column.

The safety checks (queries/safety.py), parameter binding (queries/binding.py) and syntax error
messages work on these tokens rather than on the raw text, so that a keyword inside a string, an
IRI or a comment is never mistaken for a real one, and a real one is never missed.

Token kinds:
  IRI      <http://...>                     value = the text between the brackets
  PNAME    prefix:local or prefix:           prefix / local attributes
  VAR      ?x or $x                          value = the name without ? or $
  BNODE    _:label
  STRING   any of the four quoted forms      value = the raw text with quotes
  LANGTAG  @en-GB
  NUMBER   1, 1.5, 1e3
  WORD     a bare word: keyword, function name, a, true, false
  PUNCT    { } ( ) [ ] . , ; * + - / ! = != < > <= >= && || ^^ ^ | ?
  OTHER    any character SPARQL does not know (left for the real parser to report)

>>> [t.kind for t in tokenize("SELECT ?x WHERE { ?x a dt:Role }")]
['WORD', 'VAR', 'WORD', 'PUNCT', 'VAR', 'WORD', 'PNAME', 'PUNCT']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import QuerySyntaxError

# PN_CHARS_BASE of the SPARQL grammar, as a regex character class body.
_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
         "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_U = _BASE + "_"
_CHARS = _U + r"\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"

PN_PREFIX = rf"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
PN_LOCAL = rf"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"

_PNAME = re.compile(rf"({PN_PREFIX})?:({PN_LOCAL})?")
_VAR = re.compile(rf"[?$]([{_U}0-9][{_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*)")
_BNODE = re.compile(rf"_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?")
_IRI = re.compile(r"<([^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>")
_LANGTAG = re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
_NUMBER = re.compile(r"[0-9]+\.[0-9]*[eE][+-]?[0-9]+|(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(rf"[{_U}][{_U}0-9]*")
_PUNCT = re.compile(r"\^\^|&&|\|\||!=|<=|>=|[{}()\[\].,;*+\-/!=<>^|?]")
_SPACE = re.compile(r"[ \t\r\n\f]+")


@dataclass(frozen=True)
class Token:
    """One token: its kind, its exact text, where it starts (offset, 1-based line and column)."""

    kind: str
    text: str
    offset: int
    line: int
    column: int

    @property
    def upper(self) -> str:
        """The text in upper case (keywords are case-insensitive)."""
        return self.text.upper()

    @property
    def prefix(self) -> str | None:
        """For a PNAME, the prefix label (without the colon)."""
        return self.text.split(":", 1)[0] if self.kind == "PNAME" else None

    @property
    def local(self) -> str | None:
        """For a PNAME, the local part."""
        return self.text.split(":", 1)[1] if self.kind == "PNAME" else None

    def is_word(self, *words: str) -> bool:
        """True when this is a bare word equal (case-insensitively) to one of `words`."""
        return self.kind == "WORD" and self.upper in words


def _string_end(text: str, start: int) -> int:
    """Offset just after the string literal starting at `start`, or -1 when it is not terminated."""
    quote = text[start]
    long = text.startswith(quote * 3, start)
    i = start + (3 if long else 1)
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if long:
            if text.startswith(quote * 3, i):
                return i + 3
        else:
            if c == quote:
                return i + 1
            if c in "\r\n":
                return -1
        i += 1
    return -1


def tokenize(text: str) -> list[Token]:
    """Split SPARQL text into tokens (comments and white space dropped).

    Raises QuerySyntaxError for a string that is never closed; every other oddity is left to the
    SPARQL parser, which reports it with its own position.
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    line, line_start = 1, 0

    def add(kind: str, end: int) -> None:
        tokens.append(Token(kind, text[i:end], i, line, i - line_start + 1))

    while i < n:
        c = text[i]
        m = _SPACE.match(text, i)
        if m:
            chunk = m.group()
            if "\n" in chunk:
                line += chunk.count("\n")
                line_start = i + chunk.rindex("\n") + 1
            i = m.end()
            continue
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if c in "\"'":
            end = _string_end(text, i)
            if end < 0:
                col = i - line_start + 1
                raise QuerySyntaxError(f"line {line}, column {col}: string starting with {text[i:i + 12]!r} is never closed",
                                       line, col, text[i:i + 12])
            add("STRING", end)
            # long strings may span lines
            chunk = text[i:end]
            if "\n" in chunk:
                line += chunk.count("\n")
                line_start = i + chunk.rindex("\n") + 1
            i = end
            continue
        if c == "<":
            m = _IRI.match(text, i)
            if m:
                add("IRI", m.end())
                i = m.end()
                continue
        if c in "?$":
            m = _VAR.match(text, i)
            if m:
                add("VAR", m.end())
                i = m.end()
                continue
        if c == "_" and text.startswith("_:", i):
            m = _BNODE.match(text, i)
            if m:
                add("BNODE", m.end())
                i = m.end()
                continue
        if c == "@":
            m = _LANGTAG.match(text, i)
            if m:
                add("LANGTAG", m.end())
                i = m.end()
                continue
        m = _PNAME.match(text, i)
        if m and m.end() > i and ":" in m.group():
            add("PNAME", m.end())
            i = m.end()
            continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUMBER.match(text, i)
            add("NUMBER", m.end())
            i = m.end()
            continue
        m = _WORD.match(text, i)
        if m:
            add("WORD", m.end())
            i = m.end()
            continue
        m = _PUNCT.match(text, i)
        if m:
            add("PUNCT", m.end())
            i = m.end()
            continue
        add("OTHER", i + 1)
        i += 1
    return tokens


def iri_value(token: Token) -> str:
    """The IRI inside an IRI token, with \\u escapes decoded."""
    inner = token.text[1:-1]
    return re.sub(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
                  lambda m: chr(int(m.group(1) or m.group(2), 16)), inner)


def decode_codepoint_escapes(text: str) -> str:
    """Apply \\uXXXX and \\UXXXXXXXX escapes to the whole text, as some SPARQL engines do before parsing."""
    return re.sub(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
                  lambda m: _safe_chr(int(m.group(1) or m.group(2), 16)), text)


def _safe_chr(code: int) -> str:
    try:
        return chr(code)
    except ValueError:
        return "\ufffd"


def position(text: str, line: int, column: int) -> int:
    """The offset of a 1-based line and column (columns counted in characters)."""
    lines = text.split("\n")
    if line < 1 or line > len(lines):
        return len(text)
    return sum(len(x) + 1 for x in lines[: line - 1]) + max(column - 1, 0)


def token_at(text: str, line: int, column: int) -> str | None:
    """The token starting at (or containing) a line and column, or None at the end of the text."""
    offset = position(text, line, column)
    if offset >= len(text.rstrip()):
        return None
    try:
        tokens = tokenize(text)
    except QuerySyntaxError:
        tokens = []
    for tok in tokens:
        if tok.offset <= offset < tok.offset + len(tok.text):
            return tok.text
        if tok.offset > offset:
            return tok.text
    rest = text[offset:].split()
    return rest[0] if rest else None
