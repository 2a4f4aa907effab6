"""A SPARQL tokenizer that reads the text the way Oxigraph's parser does.

The safety checks (queries/sparql/safety.py), parameter binding (queries/sparql/binding.py) and syntax error
messages work on these tokens rather than on the raw text, so that a keyword inside a string, an
IRI or a comment is never mistaken for a real one, and a real one is never missed. "The way
Oxigraph reads it" is the point: a check on tokens that the engine cuts differently can be walked
around. The terminals below follow the grammar of the spargebra crate (lib/spargebra/src/parser.rs,
the rust-peg grammar of Oxigraph 0.5) rather than the SPARQL 1.1 text where the two differ:

- white space is space, tab, CR and LF only (a form feed is a syntax error there);
- a `#` comment ends at CR or at LF;
- names, variables and blank nodes are read greedily without giving characters back, and a
  prefixed name's local part takes at most one run of dots (`p:a.b.c` is `p:a.b` `.` `c`);
- PN_CHARS_BASE stops at U+FFFD (no characters beyond the Basic Multilingual Plane);
- `<` starts an IRI only when the text up to the next `>` is an IRI Oxigraph accepts (after its
  `\\u` escapes and the BASE in force); otherwise it is the less-than operator and the text after
  it is read as code, as Oxigraph does. Whether an IRI is accepted is decided by pyoxigraph itself;
- strings take only the escapes Oxigraph takes (an unknown escape leaves the string unclosed).

What the tokenizer cannot know from the characters alone is where Oxigraph's keywords start:
Oxigraph matches a keyword case-insensitively without a word boundary (`SERVICESILENT<...>` is
SERVICE SILENT <...>). The tokenizer keeps such a run as one WORD or PNAME token and the safety
checks look for keywords inside those tokens (queries/sparql/safety.py).

Token kinds:
  IRI      <http://...>                     value = the IRI as Oxigraph resolves it
  PNAME    prefix:local or prefix:           prefix / local attributes
  VAR      ?x or $x                          value = the name without ? or $
  BNODE    _:label
  STRING   any of the four quoted forms      value = the raw text with quotes
  LANGTAG  @en-GB
  NUMBER   1, 1.5, 1e3
  WORD     a bare word: keyword, function name, a, true, false
  PUNCT    { } ( ) [ ] . , ; * + - / ! = != < > <= >= && || ^^ ^ | ? ~
  OTHER    any character SPARQL does not know (left for the real parser to report)

>>> [t.kind for t in tokenize("SELECT ?x WHERE { ?x a dt:Role }")]
['WORD', 'VAR', 'WORD', 'PUNCT', 'VAR', 'WORD', 'PNAME', 'PUNCT']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .errors import QuerySyntaxError

# PN_CHARS_BASE as Oxigraph 0.5 has it (the SPARQL text adds U+10000-U+EFFFF), as a class body.
_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
         "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD")
_U = _BASE + "_"
_CHARS = _U + r"\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"

# Possessive quantifiers (*+, ++, ?+) give the greedy, never-backtracking repetition of a PEG.
PN_PREFIX = rf"[{_BASE}][{_CHARS}]*+(?:\.++[{_CHARS}]++)*+"
PN_LOCAL = rf"(?:[{_U}:0-9]|{_PLX})(?:[{_CHARS}:]|{_PLX})*+(?:\.++(?:[{_CHARS}:]|{_PLX})++)?+"

_PNAME = re.compile(rf"((?:{PN_PREFIX})?+):((?:{PN_LOCAL})?+)")
_VAR = re.compile(rf"[?$][{_U}0-9][{_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*+")
_BNODE = re.compile(rf"_:[{_U}0-9][{_CHARS}]*+(?:\.++[{_CHARS}]++)*+")
# A character that no IRI may hold even before escapes are applied (a backslash may start one).
_RAW_NOT_IN_IRI = re.compile(r'[\x00-\x20<"{}|^`]')
_LANGTAG = re.compile(r"@[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+(?:--[a-zA-Z]++)?+")
_NUMBER = re.compile(r"(?>[0-9]++\.[0-9]*+|\.[0-9]++|[0-9]++)[eE][+-]?[0-9]++|[0-9]*+\.[0-9]++|[0-9]++")
_WORD = re.compile(rf"[{_U}][{_U}0-9]*+")
_PUNCT = re.compile(r"\^\^|&&|\|\||!=|<=|>=|[{}()\[\].,;*+\-/!=<>^|?~]")
_SPACE = re.compile(r"[ \t\r\n]++")
WHITESPACE = " \t\r\n"
_STRING_ESCAPE = re.compile(r"\\(?:[tbnrf\"'\\]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})")
# Characters no IRI may hold (oxiri refuses each of them), checked after \u escapes are applied.
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


@dataclass(frozen=True)
class Token:
    """One token: its kind, its exact text, where it starts (offset, 1-based line and column).

    value: for an IRI token, the IRI as Oxigraph reads it (escapes applied, resolved against the
    BASE in force); None for other kinds.
    """

    kind: str
    text: str
    offset: int
    line: int
    column: int
    value: str | None = None

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
    """Offset just after the string literal starting at `start`, or -1 when Oxigraph would not read one.

    Oxigraph tries the long forms first ('''...''' and \"\"\"...\"\"\"), then the short ones; a short
    string may not hold a raw CR or LF; a backslash must start one of the escapes it knows.
    """
    quote = text[start]
    long = text.startswith(quote * 3, start)
    end = _scan_string(text, start + 3, quote, True) if long else -1
    if end < 0:
        end = _scan_string(text, start + 1, quote, False)
    return end


def _scan_string(text: str, i: int, quote: str, long: bool) -> int:
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            m = _STRING_ESCAPE.match(text, i)
            if not m:
                return -1
            i = m.end()
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


def _unescape_iri(inner: str) -> str | None:
    """Apply an IRI's \\uXXXX / \\UXXXXXXXX escapes as Oxigraph does; None when it would refuse them.

    Oxigraph reads the hex digits with Rust's u32::from_str_radix, which also takes a leading '+'.
    """
    if "\\" not in inner:
        return inner
    out: list[str] = []
    i = 0
    while True:
        j = inner.find("\\", i)
        if j < 0:
            out.append(inner[i:])
            return "".join(out)
        out.append(inner[i:j])
        kind = inner[j + 1:j + 2]
        size = 4 if kind == "u" else 8 if kind == "U" else 0
        digits = inner[j + 2:j + 2 + size]
        if not size or len(digits) != size or not re.fullmatch(r"\+?[0-9A-Fa-f]+", digits):
            return None
        code = int(digits, 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        out.append(chr(code))
        i = j + 2 + size


@lru_cache(maxsize=4096)
def resolve_iri(inner: str, base: str | None) -> str | None:
    """The IRI Oxigraph reads for `<inner>` with `base` in force, or None when it refuses it.

    pyoxigraph decides: without a base, NamedNode (oxiri's Iri::parse, as Oxigraph's parser);
    with one, Oxigraph's own parser resolves the IRI in a query that only binds it.
    """
    value = _unescape_iri(inner)
    if value is None or _NOT_IN_IRI.search(value):
        return None
    import pyoxigraph as ox

    if base is None:
        try:
            return ox.NamedNode(value).value
        except ValueError:
            return None
    resolved = _resolve_batch([value], base)
    return resolved.get(value) if resolved is not None else _resolve_one(value, base)


def _resolve_one(value: str, base: str) -> str | None:
    import pyoxigraph as ox

    try:
        solutions = ox.Store().query(f"SELECT (<{value}> AS ?iri) {{}}", base_iri=base)
        return next(iter(solutions))[0].value
    except (SyntaxError, ValueError):
        return None


def _maybe_relative(value: str) -> bool:
    """False when `value` cannot be a valid relative IRI reference (so, with no scheme, no IRI at all).

    A relative reference put after "http:" is an absolute IRI (RFC 3987's irelative-part is within
    ihier-part), except that a relative path's first segment may not hold ':'.
    """
    import pyoxigraph as ox

    first = re.split(r"[/?#]", value, maxsplit=1)[0]
    if ":" in first:
        return False
    try:
        ox.NamedNode("http:" + value)
    except ValueError:
        return False
    return True


def _resolve_batch(values: list[str], base: str) -> dict[str, str | None] | None:
    """Resolve many IRI texts against `base` with one Oxigraph parse; None when the parse fails."""
    import pyoxigraph as ox

    out: dict[str, str | None] = {}
    candidates = []
    for value in dict.fromkeys(values):
        try:
            ox.NamedNode(value)
        except ValueError:
            if not _maybe_relative(value):
                out[value] = None
                continue
        candidates.append(value)
    for start in range(0, len(candidates), _BATCH):
        chunk = candidates[start:start + _BATCH]
        rows = " ".join(f"({k} <{v}>)" for k, v in enumerate(chunk))
        try:
            solutions = list(ox.Store().query(f"SELECT ?k ?iri WHERE {{ VALUES (?k ?iri) {{ {rows} }} }}",
                                              base_iri=base))
        except (SyntaxError, ValueError):
            return None
        if len(solutions) != len(chunk):
            return None
        out.update((chunk[int(sol[0].value)], sol[1].value) for sol in solutions)
    return out


_BATCH = 2000


class _Candidates:
    """Where an IRI that Oxigraph could accept may end, for each `<` of a text, in linear time.

    Oxigraph reads `<` up to the next `>` as an IRI candidate. A candidate holding a space, a quote,
    a brace, another `<`, ... is never an IRI, so it is refused without being copied or parsed;
    both positions are found with pointers that only move forward (many `<` before one far `>`,
    as in `?a<1||?a<2||...`, must not cost the length of the text each)."""

    def __init__(self, text: str):
        self.text = text
        self._gt = -1  # the position of the next '>' at or after the last query (len: none)
        self._bad = -1  # the same for a character no IRI may hold

    def end(self, start: int) -> int | None:
        """For the `<` at `start`: the offset just after its `>`, or None when it cannot be an IRI."""
        text = self.text
        if self._gt <= start:
            found = text.find(">", start + 1)
            self._gt = len(text) if found < 0 else found
        if self._gt >= len(text):
            return None
        if self._bad <= start:
            m = _RAW_NOT_IN_IRI.search(text, start + 1)
            self._bad = m.start() if m else len(text)
        if self._bad < self._gt:
            return None
        return self._gt + 1

    def after(self, start: int):
        """(start, end) of every `<` at or after `start` that may begin an IRI."""
        i = self.text.find("<", start)
        while i >= 0:
            end = self.end(i)
            if end is not None:
                yield i, end
            i = self.text.find("<", i + 1)


class _Resolutions:
    """IRI resolutions for one text with a BASE in force: the IRIs still ahead are resolved in
    batches (a text of many relative IRIs would otherwise cost one parse each)."""

    def __init__(self, text: str):
        self.text = text
        self.known: dict[tuple[str, str], str | None] = {}

    def resolve(self, inner: str, base: str | None, offset: int) -> str | None:
        if base is None:
            return resolve_iri(inner, None)
        key = (inner, base)
        if key not in self.known:
            self._prefetch(base, offset)
        if key not in self.known:
            self.known[key] = resolve_iri(inner, base)
        return self.known[key]

    def _prefetch(self, base: str, offset: int) -> None:
        pending: dict[str, str] = {}
        for start, end in _Candidates(self.text).after(offset):
            inner = self.text[start + 1:end - 1]
            if (inner, base) in self.known:
                continue
            value = _unescape_iri(inner)
            if value is None or _NOT_IN_IRI.search(value):
                self.known[(inner, base)] = None
            else:
                pending[inner] = value
            if len(pending) >= 20 * _BATCH:
                break
        resolved = _resolve_batch(list(pending.values()), base)
        if resolved is None:  # some text Oxigraph refuses after all: each is resolved on its own
            return
        for inner, value in pending.items():
            self.known[(inner, base)] = resolved.get(value)


def tokenize(text: str, base: str | None = None) -> list[Token]:
    """Split SPARQL text into tokens (comments and white space dropped), as Oxigraph reads it.

    base: the base IRI the query is parsed with (Oxigraph's `base_iri`); relative IRIs are read
    as IRIs against it, and as text Oxigraph refuses when there is none.

    Raises QuerySyntaxError for a string that is never closed; every other oddity is left to the
    SPARQL parser, which reports it with its own position.
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    line, line_start = 1, 0
    resolutions = _Resolutions(text)
    candidates = _Candidates(text)

    def add(kind: str, end: int, value: str | None = None) -> None:
        tokens.append(Token(kind, text[i:end], i, line, i - line_start + 1, value))

    while i < n:
        c = text[i]
        if c in WHITESPACE:
            m = _SPACE.match(text, i)
            chunk = m.group()
            if "\n" in chunk:
                line += chunk.count("\n")
                line_start = i + chunk.rindex("\n") + 1
            i = m.end()
            continue
        if c == "#":
            while i < n and text[i] not in "\r\n":
                i += 1
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
            end = candidates.end(i)
            if end is not None:
                value = resolutions.resolve(text[i + 1:end - 1], base, i)
                if value is not None:
                    if len(tokens) > 0 and tokens[-1].is_word("BASE"):
                        base = value
                    add("IRI", end, value)
                    i = end
                    continue
            # not an IRI Oxigraph accepts: the less-than operator, and the text after it is code
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
        if m:
            add("PNAME", m.end())
            i = m.end()
            continue
        if c in "0123456789.":
            m = _NUMBER.match(text, i)
            if m:
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
    """The IRI of an IRI token: as Oxigraph resolved it, else the text between the brackets with \\u escapes decoded."""
    if token.value is not None:
        return token.value
    inner = token.text[1:-1]
    return re.sub(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
                  lambda m: _safe_chr(int(m.group(1) or m.group(2), 16)), inner)


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
