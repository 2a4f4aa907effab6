"""Content negotiation for the SPARQL endpoint: which result format fits a request's Accept header.

The Accept header is read as RFC 9110 says: media ranges with q-values, `type/*` and `*/*`
wildcards, q=0 meaning "not acceptable". For each format the endpoint can write, the most specific
range that matches it gives its q-value; the format with the highest q wins, then the one matched
by the more specific range, then the endpoint's own preference (the order of the offers). No
Accept header counts as `*/*`.

>>> choose("text/csv;q=0.5, application/sparql-results+json", SELECT_OFFERS)
Offer(media_type='application/sparql-results+json', fmt='json')
>>> choose("text/*", SELECT_OFFERS)
Offer(media_type='text/csv', fmt='csv')
>>> choose("image/png", SELECT_OFFERS) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Offer:
    """A media type the endpoint can answer with, and the `QueryResult.serialize` format that writes it."""

    media_type: str
    fmt: str


# In order of the endpoint's preference (the first is the default for */*).
SELECT_OFFERS: tuple[Offer, ...] = (
    Offer("application/sparql-results+json", "json"),
    Offer("application/sparql-results+xml", "xml"),
    Offer("text/csv", "csv"),
    Offer("text/tab-separated-values", "tsv"),
    Offer("application/json", "json"),
    Offer("application/xml", "xml"),
    Offer("text/xml", "xml"),
    Offer("text/plain", "table"),
)
GRAPH_OFFERS: tuple[Offer, ...] = (
    Offer("text/turtle", "ttl"),
    Offer("application/n-triples", "nt"),
    Offer("application/ld+json", "jsonld"),
    Offer("application/rdf+xml", "rdfxml"),
    Offer("application/x-turtle", "ttl"),
    Offer("application/json", "jsonld"),
    Offer("text/plain", "nt"),
)
# The service description (an RDF document): rdflib serializer names.
DESCRIPTION_OFFERS: tuple[Offer, ...] = (
    Offer("text/turtle", "turtle"),
    Offer("application/n-triples", "nt"),
    Offer("application/ld+json", "json-ld"),
    Offer("application/rdf+xml", "xml"),
    Offer("text/plain", "nt"),
)

# The names accepted by the non-standard `format=` override (download links), per result kind.
FORMAT_NAMES = {
    "json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv",
    "ttl": "ttl", "turtle": "ttl", "nt": "nt", "ntriples": "nt", "n-triples": "nt",
    "jsonld": "jsonld", "json-ld": "jsonld", "rdfxml": "rdfxml", "rdf": "rdfxml",
}

TEXT_TYPES = ("text/", "application/sparql-results+xml", "application/xml", "application/n-triples",
              "application/rdf+xml")


@dataclass(frozen=True)
class MediaRange:
    """One element of an Accept header."""

    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """How specifically this range matches `media_type`: 3 exact, 2 type/*, 1 */*, 0 no match."""
        mtype, _, msub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type == mtype and self.subtype == "*":
            return 2
        if self.type == mtype and self.subtype == msub:
            return 3
        return 0


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an Accept header; malformed elements are skipped, a missing header means */*.

    >>> parse_accept("text/csv;q=0.5, */*;q=0.1")
    [MediaRange(type='text', subtype='csv', q=0.5), MediaRange(type='*', subtype='*', q=0.1)]
    """
    if header is None or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for element in header.split(","):
        parts = [p.strip() for p in element.split(";")]
        mtype, sep, subtype = parts[0].lower().partition("/")
        if not sep or not mtype or not subtype or (mtype == "*" and subtype != "*"):
            continue
        q = 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(mtype, subtype, q))
    return ranges


def choose(accept: str | None, offers: tuple[Offer, ...]) -> Offer | None:
    """The offer the client prefers most, or None when none is acceptable (answer 406)."""
    ranges = parse_accept(accept)
    best: tuple | None = None
    for order, offer in enumerate(offers):
        matches = [(r.specificity(offer.media_type), r.q) for r in ranges if r.specificity(offer.media_type)]
        if not matches:
            continue
        specificity, q = max(matches)  # the most specific range decides the q-value
        if q <= 0:
            continue
        key = (q, specificity, -order)
        if best is None or key > best[0]:
            best = (key, offer)
    return best[1] if best else None


def content_type(media_type: str) -> str:
    """The Content-Type header for a body of `media_type` (UTF-8 declared for textual types)."""
    if media_type.startswith(TEXT_TYPES) and "charset" not in media_type:
        return f"{media_type}; charset=utf-8"
    return media_type


def offers_for(kind: str) -> tuple[Offer, ...]:
    """The offers for a result kind: "select"/"ask" or "graph"."""
    return GRAPH_OFFERS if kind == "graph" else SELECT_OFFERS


def override(fmt_name: str | None, kind: str) -> Offer | None:
    """The offer a `format=` parameter asks for, if the name is known and fits the result kind."""
    if not fmt_name:
        return None
    fmt = FORMAT_NAMES.get(fmt_name.strip().lower())
    for offer in offers_for(kind):
        if offer.fmt == fmt:
            return offer
    return None


def acceptable_anything(accept: str | None) -> bool:
    """True when some query result format (of any kind) is acceptable: checked before evaluating."""
    return choose(accept, SELECT_OFFERS) is not None or choose(accept, GRAPH_OFFERS) is not None


def all_media_types() -> list[str]:
    """Every media type the endpoint answers queries with (for 406 messages)."""
    seen: list[str] = []
    for offer in SELECT_OFFERS + GRAPH_OFFERS:
        if offer.media_type not in seen:
            seen.append(offer.media_type)
    return seen
