"""Checking data against the SHACL shapes (ontology/shapes.ttl) and reporting violations in plain words.

Each violation names the node (its label and short id), the property and what is wrong; for a
user's file it also gives the file and line where the node is described, e.g.

    my-roles.ttl:12: role "chief data wrangler" (ex:cdw): needs a definition (skos:definition)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from oxrdflib._converter import from_ox
from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH, SKOS

from ...ontology.namespaces import BASE, PREFIXES
from ..errors import ValidationError
from ..text import printable
from .memory import KnowledgeGraph, load_shipped
from .rdf_files import ONTOLOGY_FILE, SHAPES_FILE, parse_file, user_graph_iri

TYPE_WORDS = {
    "Role": "role", "Stakeholder": "role", "Skill": "skill", "TechnicalSkill": "skill", "SoftSkill": "skill",
    "KnowledgeArea": "skill", "Tool": "tool", "ToolCategory": "tool category", "Responsibility": "responsibility",
    "Artifact": "artifact", "LifecycleStage": "stage", "Handoff": "handoff", "SkillRequirement": "skill requirement",
    "ToolUse": "tool use", "TeamPattern": "team pattern", "DeploymentPattern": "deployment pattern",
    "Source": "source", "ResponsibilityAssignment": "responsibility assignment", "RoleComparison": "role comparison",
    "Question": "disputed question", "Answer": "answer", "Position": "position",
}


@dataclass
class Violation:
    """One SHACL result in plain words."""

    focus: str
    label: str | None
    kind: str
    path: str | None
    value: str | None
    message: str
    file: str | None = None
    line: int | None = None

    def text(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else f"{self.file}: " if self.file else ""
        name = f'{self.kind} "{self.label}" ({short(self.focus)})' if self.label else f"{self.kind} {short(self.focus)}"
        value = f" [value: {short(self.value)}]" if self.value and self.value not in self.message else ""
        return f"{where}{name}: {self.message}{value}"

    def as_dict(self) -> dict:
        return {"message": self.text(), "focus": self.focus, "label": self.label, "kind": self.kind,
                "path": self.path, "value": self.value, "file": self.file, "line": self.line}


def short(iri: str | None) -> str:
    """Write an IRI with the project's prefixes where one fits (longest namespace first)."""
    if iri is None:
        return ""
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri if not iri.startswith("http") else f"<{iri}>"


def _shapes() -> Graph:
    graph = Graph()
    graph.parse(SHAPES_FILE, format="turtle")
    return graph


def quads_to_graph(quads) -> Graph:
    """Merge quads (from any named graphs) into one rdflib Graph: the union that the shapes check."""
    graph = Graph()
    for quad in quads:
        graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
    return graph


def validate_graph(data: Graph) -> list[Violation]:
    """Validate one rdflib Graph (the union of everything to check) and return its violations."""
    conforms, report, _ = shacl_validate(data, shacl_graph=_shapes(), inference="none", advanced=False,
                                         allow_warnings=True)
    if conforms:
        return []
    violations = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        message = report.value(result, SH.resultMessage)
        violations.append(Violation(
            focus=str(focus), label=_label(data, focus), kind=_kind(data, focus),
            path=short(str(path)) if isinstance(path, URIRef) else None,
            value=str(value) if value is not None else None,
            message=str(message) if message is not None else "violates a shape",
        ))
    return sorted(violations, key=lambda v: (v.kind, v.label or v.focus, v.message))


def _label(data: Graph, node) -> str | None:
    labels = [o for o in data.objects(node, SKOS.prefLabel)]
    english = [o for o in labels if getattr(o, "language", None) in ("en", None)]
    return str((english or labels)[0]) if labels else None


def _kind(data: Graph, node) -> str:
    for cls in data.objects(node, RDF.type):
        word = TYPE_WORDS.get(str(cls).rsplit("#", 1)[-1])
        if word and str(cls).startswith(BASE):
            return word
    return "node"


# ---------------------------------------------------------------------------------------------
# Files


def _shipped_quads() -> list[ox.Quad]:
    kg = KnowledgeGraph()
    load_shipped(kg)
    return list(kg.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))  # the merge


def locate(iri: str, path: Path) -> int | None:
    """The line of `path` where `iri` is described: first as a statement's subject, else its first mention.

    The IRI is recognised as <iri>, through a prefix the file declares, or as a JSON-LD string.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    forms = [f"<{iri}>"]
    for prefix, ns in re.findall(r"@?prefix\s+([\w-]*):\s*<([^>]*)>", text, flags=re.IGNORECASE):
        if iri.startswith(ns) and len(iri) > len(ns):
            forms.append(f"{prefix}:{iri[len(ns):]}")
    forms.append(f'"{iri}"')
    pattern = "|".join(re.escape(f) for f in forms)
    lines = text.splitlines()
    as_subject = re.compile(rf"^\s*(?:{pattern})(?=[\s;,.]|$)")
    anywhere = re.compile(rf"(?:{pattern})(?![\w-]|\.\w)")
    for regex in (as_subject, anywhere):
        for number, line in enumerate(lines, start=1):
            if regex.search(line):
                return number
    return None


def user_violations(user_quads: list[ox.Quad], files: list[Path]) -> list[Violation]:
    """Violations of the shipped knowledge base merged with the user's quads, placed in their files."""
    data = quads_to_graph(_shipped_quads() + list(user_quads))
    violations = validate_graph(data)
    subjects_by_file = {}
    for path in files:
        graph_iri = user_graph_iri(path)
        subjects_by_file[path] = {str(q.subject.value) for q in user_quads
                                  if isinstance(q.subject, ox.NamedNode) and str(q.graph_name.value) == str(graph_iri)}
    for v in violations:
        for path in files:
            if v.focus in subjects_by_file[path] or locate(v.focus, path):
                v.file = str(path)
                v.line = locate(v.focus, path)
                break
    return violations


def check_user_data(kg, user_quads: list[ox.Quad], files: list[Path]) -> None:
    """Raise ValidationError if the user's data (with the shipped knowledge base) violates the shapes."""
    violations = user_violations(user_quads, files)
    if violations:
        names = ", ".join(str(f) for f in files)
        raise ValidationError(f"{names}: {len(violations)} shape violation(s); nothing was loaded",
                              [v.text() for v in violations])


def validate_files(files: list[Path]) -> dict:
    """Validate user files (with the shipped knowledge base) or, with no files, the shipped knowledge base.

    Returns {"conforms": bool, "triples": int, "violations": [dict with message, focus, label, ...]}.
    Syntax errors in a file raise DataFileError naming the file and line.
    """
    files = [Path(f) for f in files]
    if files:
        user_quads = [q for f in files for q in parse_file(f, user_graph_iri(f))]
        violations = user_violations(user_quads, files)
        triples = len(quads_to_graph(user_quads))
    else:
        data = quads_to_graph(_shipped_quads())
        violations = validate_graph(data)
        triples = len(data)
    return {"conforms": not violations, "triples": triples, "violations": [v.as_dict() for v in violations]}


__all__ = ["Violation", "validate_graph", "validate_files", "check_user_data", "user_violations", "locate",
           "ONTOLOGY_FILE"]


def format_validation(report: dict, files=()) -> tuple[str, str]:
    """A validate_files(...) report as text: (what goes to standard output, what goes to standard error).

    Each violation is one line on standard output; the summary names the files (or the shipped
    knowledge base) and goes to standard output when the data conforms, to standard error when not.
    """
    lines = "".join(printable(line["message"]) + "\n" for line in report["violations"])
    what = printable(", ".join(str(f) for f in files)) if files else "the shipped knowledge base"
    if report["conforms"]:
        return lines + f"{what}: conforms ({report['triples']} triples checked)\n", ""
    return lines, f"{what}: {len(report['violations'])} violation(s)\n"
