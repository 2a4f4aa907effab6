"""Conditions and stances: how a source qualifies a fact it states.

A source may state a fact only under a condition ("in a small company"), or put it forward as a
fallback, as a problem it reports, or as its picture of an anti-pattern; the curation graph marks
the project's own inferences. The qualifier sits in the stating source's graph on the fact's n-ary
node (skill requirement, tool use, responsibility assignment, handoff), so another source can state
the same fact plainly. This module reads those qualifiers in one query and says what they mean:

- a *limiting* qualifier (a condition, a fallback, a reported problem, an anti-pattern description)
  means the claim is not the source's plain view: a fact every stating source limits is
  *conditional*, and the analyses leave it out unless asked;
- the *inference* stance marks the project's own reading; such facts stay in, shown as inferred.

>>> q = read_qualifiers(kg)
>>> sorted(q.of("https://w3id.org/datateam-kg/requirement/data-engineer--machine-learning",
...             "https://w3id.org/datateam-kg/graph/olx-interview").conditions)
['only in a small company or team']
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ...ontology.namespaces import DT

LIMITING_STANCES = frozenset({str(DT.Fallback), str(DT.ReportedProblem), str(DT.AntiPatternDescription)})
INFERENCE = str(DT.Inference)


@dataclass(frozen=True)
class Qualifier:
    """What one source's graph says about one fact node: condition and stance labels and its note."""

    conditions: tuple[str, ...] = ()
    stances: tuple[str, ...] = ()
    stance_ids: tuple[str, ...] = ()
    note: str | None = None
    condition_ids: tuple[str, ...] = ()

    @property
    def limiting(self) -> bool:
        """True when the claim is not the source's plain view (a condition or a limiting stance)."""
        return bool(self.conditions) or any(s in LIMITING_STANCES for s in self.stance_ids)

    def limiting_unless(self, accepted: frozenset | set = frozenset()) -> bool:
        """Whether the claim is limited when the conditions in `accepted` (IRIs) are known to hold.

        A claim limited only by accepted conditions counts (a small-team fact for a small team); a
        limiting stance (fallback, reported problem, anti-pattern) never does.
        """
        if any(s in LIMITING_STANCES for s in self.stance_ids):
            return True
        return any(c not in accepted for c in self.condition_ids)

    @property
    def inferred(self) -> bool:
        """True when the claim is the project's inference (curation graph)."""
        return INFERENCE in self.stance_ids

    def text(self) -> str:
        """The qualifier in a few words: 'only in a small company or team; fallback'."""
        return "; ".join(self.conditions + self.stances)

    def as_dict(self, source: str) -> dict:
        return {"source": source, "conditions": list(self.conditions), "stances": list(self.stances),
                "limiting": self.limiting, "inferred": self.inferred, "note": self.note, "text": self.text()}


PLAIN = Qualifier()


@dataclass
class Qualifiers:
    """All qualifiers of the knowledge graph: (fact node, graph) -> Qualifier."""

    by_node: dict[tuple[str, str], Qualifier] = field(default_factory=dict)

    def of(self, node: str, graph: str) -> Qualifier:
        """The qualifier `graph` states on `node` (PLAIN when it states none)."""
        return self.by_node.get((str(node), str(graph)), PLAIN)

    def __len__(self) -> int:
        return len(self.by_node)


def read_qualifiers(kg) -> Qualifiers:
    """Read every dt:condition and dt:stance (with its label and the node's note) in one query."""
    rows = kg.select("""
        SELECT ?node ?g ?p ?value ?label ?note WHERE {
          VALUES ?p { dt:condition dt:stance }
          GRAPH ?g { ?node ?p ?value OPTIONAL { ?node skos:note ?note } }
          OPTIONAL { ?value rdfs:label ?label FILTER(lang(?label) = "" || langMatches(lang(?label), "en")) }
        }""")
    parts: dict[tuple[str, str], dict] = defaultdict(lambda: {"conditions": {}, "stances": {}, "note": None})
    for row in rows:
        key = (str(row["node"]), str(row["g"]))
        entry = parts[key]
        value = str(row["value"])
        text = str(row["label"]) if "label" in row else value.rsplit("#", 1)[-1]
        if str(row["p"]) == str(DT.condition):
            entry["conditions"][value] = text
        else:
            entry["stances"][value] = text
        if "note" in row:
            note = str(row["note"])
            entry["note"] = min(entry["note"] or note, note)
    out = {}
    for key, entry in parts.items():
        stances = sorted(entry["stances"].items(), key=lambda kv: kv[1])
        conditions = sorted(entry["conditions"].items(), key=lambda kv: kv[1])
        out[key] = Qualifier(tuple(label for _, label in conditions), tuple(label for _, label in stances),
                             tuple(iri for iri, _ in stances), entry["note"], tuple(iri for iri, _ in conditions))
    return Qualifiers(out)


def split_claims(claims: dict[str, Qualifier], accepted: frozenset | set = frozenset()) -> tuple[set[str], set[str]]:
    """Split {graph: qualifier} into (graphs whose claim counts, graphs whose claim is limited).

    The counting claims are the plain and the inferred ones (and those limited only by a condition
    in `accepted`); when there are none, the fact is conditional and only limited claims remain.
    """
    counting = {g for g, q in claims.items() if not q.limiting_unless(accepted)}
    limited = set(claims) - counting
    return counting, limited


def fact_text(fact: dict) -> str:
    """One left-out or included conditional fact as text: 'data engineer requires machine learning (olx-interview: only in ...)'."""
    views = "; ".join(f"{q['source']}: {q['text']}" for q in fact["qualifiers"])
    return f"{fact['text']} ({views})"


def conditional_summary(facts: list[dict], included: bool, option: str = "--include-conditional") -> str | None:
    """The line an analysis prints about conditional facts, or None when there are none.

    >>> conditional_summary([], included=False) is None
    True
    """
    if not facts:
        return None
    n = len(facts)
    noun = "fact" if n == 1 else "facts"
    listed = "; ".join(fact_text(f) for f in facts)
    if included:
        return f"{n} conditional {noun} included (as asked): {listed}"
    return f"{n} conditional {noun} left out: {listed}. {option} counts {'it' if n == 1 else 'them'}."


__all__ = ["INFERENCE", "LIMITING_STANCES", "PLAIN", "Qualifier", "Qualifiers", "conditional_summary", "fact_text",
           "read_qualifiers", "split_claims"]
