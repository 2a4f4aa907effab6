"""Compile the knowledge base from its YAML authoring files into one TriG named graph per source.

The facts are written by hand in `ontology/sources/*.yaml` (readable, reviewable, short); this
module turns them into RDF with the ontology's n-ary nodes and shortcut triples and writes
`ontology/kb/<graph>.trig`, which is what the store loads. Run it after editing the YAML:

    python -m datateam.ontology.compile          # rewrite ontology/kb/*.trig
    python -m datateam.ontology.compile --check  # exit 1 if the committed TriG is stale

Layout of the authoring files:
- `entities.yaml`: the catalogue: every role, skill, tool, category, responsibility, artifact,
  stage, workflow and deployment pattern with its label, aliases and a definition in our words.
- one file per source document (`source: {...}` metadata plus the facts it states).
- `curation.yaml`: classifications no source states (role families, skill kinds, lifecycle
  stages of responsibilities, categories of tools no source files under one).
- `esco-alignment.yaml`: skos:closeMatch / broadMatch links from roles to ESCO occupations.

An entity's type, label and definition are written into the graph of every source that mentions
it (so each source graph is self-describing); catalogue aliases and editorial classifications go
to the curation graph.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

from .namespaces import (
    ARTIFACT,
    CATEGORY,
    DEPLOYMENT,
    DT,
    FAMILY,
    GRAPH,
    HANDOFF,
    PATTERN,
    REQUIREMENT,
    RESPONSIBILITY,
    ROLE,
    SKILL,
    SOURCE,
    STAGE,
    TOOL,
    TOOL_USE,
    WORKFLOW,
    bind_prefixes,
)

HERE = Path(__file__).resolve().parent
SOURCES_DIR = HERE / "sources"
KB_DIR = HERE / "kb"

LEVELS = {"core": DT.Core, "working": DT.Working, "basic": DT.Basic}
MODES = {"sequential": DT.Sequential, "side-by-side": DT.SideBySide}
SIZES = {"small": DT.SmallOrganisation, "medium": DT.MediumOrganisation,
         "large": DT.LargeOrganisation, "any": DT.AnyOrganisation}
GUIDANCE = {"hiring-order": DT.HiringOrder, "staffing-threshold": DT.StaffingThreshold,
            "fallback-owner": DT.FallbackOwner, "team-structure": DT.TeamStructure,
            "collaboration": DT.CollaborationPractice, "anti-pattern": DT.AntiPattern}
SKILL_KINDS = {"technical": DT.TechnicalSkill, "soft": DT.SoftSkill, "knowledge": DT.KnowledgeArea}

# catalogue section -> (namespace, class)
KINDS = {
    "roles": (ROLE, DT.Role),
    "families": (FAMILY, DT.RoleFamily),
    "skills": (SKILL, DT.Skill),
    "tools": (TOOL, DT.Tool),
    "categories": (CATEGORY, DT.ToolCategory),
    "responsibilities": (RESPONSIBILITY, DT.Responsibility),
    "artifacts": (ARTIFACT, DT.Artifact),
    "stages": (STAGE, DT.LifecycleStage),
    "workflows": (WORKFLOW, DT.Workflow),
    "deployments": (DEPLOYMENT, DT.DeploymentPattern),
}


class CompileError(Exception):
    """The authoring files are inconsistent (an unknown id, a missing field, ...)."""


def en(text: str) -> Literal:
    return Literal(" ".join(str(text).split()), lang="en")


@dataclass
class Compiler:
    """Builds the Dataset from the authoring files; `errors` collects every problem found."""

    catalogue: dict
    dataset: Dataset = field(default_factory=lambda: Dataset(default_union=True))
    errors: list[str] = field(default_factory=list)
    # entity IRI -> source ids mentioning it
    mentions: dict = field(default_factory=lambda: defaultdict(set))

    # -- helpers ---------------------------------------------------------------------------
    def iri(self, section: str, key: str, where: str) -> URIRef:
        namespace, _ = KINDS[section]
        if key not in self.catalogue.get(section, {}):
            self.errors.append(f"{where}: unknown {section[:-1] if section != 'responsibilities' else 'responsibility'} '{key}'")
        return namespace[key]

    def graph(self, graph_id: str):
        return self.dataset.graph(GRAPH[graph_id])

    def mention(self, source_id: str, section: str, key: str, where: str) -> URIRef:
        node = self.iri(section, key, where)
        self.mentions[(section, key)].add(source_id)
        return node

    # -- the catalogue's descriptive triples -------------------------------------------------
    def describe_entities(self, seed_sources: set[str]) -> None:
        curation = self.graph("curation")
        for section, entries in self.catalogue.items():
            if section not in KINDS:
                self.errors.append(f"entities.yaml: unknown section '{section}'")
                continue
            namespace, cls = KINDS[section]
            for key, entry in entries.items():
                node = namespace[key]
                where = f"entities.yaml {section}.{key}"
                for required in ("label", "definition"):
                    if not entry.get(required):
                        self.errors.append(f"{where}: missing {required}")
                sources = sorted(self.mentions.get((section, key), set()) & seed_sources)
                targets = sources or ["curation"]
                for source_id in targets:
                    g = self.graph(source_id)
                    g.add((node, RDF.type, cls))
                    if section == "skills":
                        kind = entry.get("kind")
                        if kind not in SKILL_KINDS:
                            self.errors.append(f"{where}: kind must be one of {sorted(SKILL_KINDS)}")
                        else:
                            g.add((node, RDF.type, SKILL_KINDS[kind]))
                    if section == "roles" and entry.get("stakeholder"):
                        g.add((node, RDF.type, DT.Stakeholder))
                    g.add((node, SKOS.prefLabel, en(entry.get("label", key))))
                    g.add((node, SKOS.definition, en(entry.get("definition", ""))))
                    g.add((node, DCTERMS.source, SOURCE[source_id]))
                for alias in entry.get("aliases", []) or []:
                    curation.add((node, SKOS.altLabel, en(alias)))
                self.editorial(section, key, node, entry, curation, where)

    def editorial(self, section, key, node, entry, g, where) -> None:
        """Structural classification kept in the curation graph."""
        if section == "roles" and entry.get("family"):
            g.add((node, DT.roleFamily, self.iri("families", entry["family"], where)))
        if section == "stages":
            g.add((node, DT.stageOrder, Literal(int(entry["order"]))))
        for broader in entry.get("broader", []) or []:
            g.add((node, SKOS.broader, self.iri(section, broader, where)))
        if section == "responsibilities":
            if entry.get("stage"):
                g.add((node, DT.atStage, self.iri("stages", entry["stage"], where)))
            else:
                self.errors.append(f"{where}: missing stage")
            for artifact in entry.get("produces", []) or []:
                g.add((node, DT.produces, self.iri("artifacts", artifact, where)))
        if section == "deployments":
            g.add((node, DT.atStage, self.iri("stages", entry["stage"], where)))
            for artifact in entry.get("produces", []) or []:
                g.add((node, DT.produces, self.iri("artifacts", artifact, where)))
        if section == "tools":
            for category in entry.get("categories", []) or []:
                g.add((node, DT.inCategory, self.iri("categories", category, where)))
        if section == "workflows" and entry.get("deployment"):
            g.add((node, DT.usesDeployment, self.iri("deployments", entry["deployment"], where)))

    # -- one source document ------------------------------------------------------------------
    def add_source(self, data: dict, filename: str) -> str:
        meta = data.get("source") or {}
        source_id = meta.get("id")
        if not source_id:
            raise CompileError(f"{filename}: missing source.id")
        g = self.graph(source_id)
        src = SOURCE[source_id]
        g.add((src, RDF.type, DT.Source))
        g.add((src, DCTERMS.identifier, Literal(source_id)))
        g.add((src, DCTERMS.title, en(meta["title"])))
        g.add((src, SKOS.prefLabel, en(meta["title"])))
        g.add((src, DCTERMS.description, en(meta["summary"])))
        g.add((src, DT.sourceKind, Literal(meta["kind"])))
        if meta.get("seed_file"):
            g.add((src, DT.seedFile, Literal(meta["seed_file"])))
        for creator in meta.get("creators", []) or []:
            g.add((src, DCTERMS.creator, Literal(creator)))
        if meta.get("publisher"):
            g.add((src, DCTERMS.publisher, Literal(meta["publisher"])))
        if meta.get("issued"):
            g.add((src, DCTERMS.issued, Literal(str(meta["issued"]), datatype=XSD.date)))
        if meta.get("bibliographic_note"):
            g.add((src, SKOS.note, en(meta["bibliographic_note"])))
        g.add((GRAPH[source_id], PROV.wasDerivedFrom, src))
        g.add((GRAPH[source_id], DCTERMS.source, src))

        where = filename
        for key, entry in (data.get("roles") or {}).items():
            role = self.mention(source_id, "roles", key, f"{where} roles")
            for alias in (entry or {}).get("aliases", []) or []:
                g.add((role, SKOS.altLabel, en(alias)))
            for broader in (entry or {}).get("broader", []) or []:
                g.add((role, SKOS.broader, self.mention(source_id, "roles", broader, f"{where} roles.{key}")))
            for related in (entry or {}).get("related", []) or []:
                g.add((role, SKOS.related, self.mention(source_id, "roles", related, f"{where} roles.{key}")))

        for role_key, skills in (data.get("skills") or {}).items():
            role = self.mention(source_id, "roles", role_key, f"{where} skills")
            for skill_key, level in (skills or {}).items():
                skill = self.mention(source_id, "skills", skill_key, f"{where} skills.{role_key}")
                req = REQUIREMENT[f"{role_key}--{skill_key}"]
                g.add((role, DT.requiresSkill, skill))
                g.add((req, RDF.type, DT.SkillRequirement))
                g.add((req, DT.role, role))
                g.add((req, DT.skill, skill))
                g.add((req, DCTERMS.source, SOURCE[source_id]))
                self.add_level(g, req, level, f"{where} skills.{role_key}.{skill_key}")

        for role_key, by_category in (data.get("tools") or {}).items():
            role = self.mention(source_id, "roles", role_key, f"{where} tools")
            for category_key, tools in (by_category or {}).items():
                category = None
                if category_key != "uncategorised":
                    category = self.mention(source_id, "categories", category_key, f"{where} tools.{role_key}")
                for item in tools or []:
                    tool_key, level = (next(iter(item.items())) if isinstance(item, dict) else (item, None))
                    tool = self.mention(source_id, "tools", tool_key, f"{where} tools.{role_key}.{category_key}")
                    use = TOOL_USE[f"{role_key}--{tool_key}"]
                    g.add((role, DT.usesTool, tool))
                    g.add((use, RDF.type, DT.ToolUse))
                    g.add((use, DT.role, role))
                    g.add((use, DT.tool, tool))
                    g.add((use, DCTERMS.source, SOURCE[source_id]))
                    if category is not None:
                        g.add((use, DT.asCategory, category))
                        g.add((tool, DT.inCategory, category))
                    self.add_level(g, use, level, f"{where} tools.{role_key}.{tool_key}")

        for category_key, tools in (data.get("tool_categories") or {}).items():
            category = self.mention(source_id, "categories", category_key, f"{where} tool_categories")
            for tool_key in tools or []:
                tool = self.mention(source_id, "tools", tool_key, f"{where} tool_categories.{category_key}")
                g.add((tool, DT.inCategory, category))

        for tool_key in (data.get("mentioned_tools") or []):
            self.mention(source_id, "tools", tool_key, f"{where} mentioned_tools")

        for role_key, responsibilities in (data.get("responsibilities") or {}).items():
            role = self.mention(source_id, "roles", role_key, f"{where} responsibilities")
            for resp_key in responsibilities or []:
                resp = self.mention(source_id, "responsibilities", resp_key, f"{where} responsibilities.{role_key}")
                g.add((role, DT.hasResponsibility, resp))
                for artifact in self.catalogue["responsibilities"].get(resp_key, {}).get("produces", []) or []:
                    self.mention(source_id, "artifacts", artifact, f"{where} responsibilities.{role_key}")

        for i, h in enumerate(data.get("handoffs") or [], start=1):
            self.add_handoff(g, source_id, h, f"{where} handoffs[{i}]")

        for pair in data.get("works_with") or []:
            a, b = (self.mention(source_id, "roles", k, f"{where} works_with") for k in pair)
            g.add((a, DT.worksWith, b))

        for key, entry in (data.get("deployments") or {}).items():
            dep = self.mention(source_id, "deployments", key, f"{where} deployments")
            for role_key in entry.get("owned_by", []) or []:
                g.add((dep, DT.ownedBy, self.mention(source_id, "roles", role_key, f"{where} deployments.{key}")))
            for role_key in entry.get("supported_by", []) or []:
                g.add((dep, DT.supportedBy, self.mention(source_id, "roles", role_key, f"{where} deployments.{key}")))
            if entry.get("example"):
                g.add((dep, DT.example, en(entry["example"])))
            for artifact in self.catalogue["deployments"].get(key, {}).get("produces", []) or []:
                self.mention(source_id, "artifacts", artifact, f"{where} deployments.{key}")
            self.mention(source_id, "stages", self.catalogue["deployments"].get(key, {}).get("stage", ""), where)

        for key, entry in (data.get("workflows") or {}).items():
            wf = self.mention(source_id, "workflows", key, f"{where} workflows")
            if entry and entry.get("example"):
                g.add((wf, DT.example, en(entry["example"])))

        for key, entry in (data.get("team_patterns") or {}).items():
            self.add_team_pattern(g, source_id, key, entry, f"{where} team_patterns.{key}")
        return source_id

    def add_level(self, g, node, level, where) -> None:
        if level is None:
            return
        if level not in LEVELS:
            self.errors.append(f"{where}: level '{level}' is not one of {sorted(LEVELS)}")
            return
        g.add((node, DT.level, LEVELS[level]))

    def add_handoff(self, g, source_id: str, h: dict, where: str) -> None:
        for required in ("from", "to", "artifact", "stage", "mode"):
            if not h.get(required):
                self.errors.append(f"{where}: missing {required}")
                return
        src = self.mention(source_id, "roles", h["from"], where)
        dst = self.mention(source_id, "roles", h["to"], where)
        artifact = self.mention(source_id, "artifacts", h["artifact"], where)
        stage = self.mention(source_id, "stages", h["stage"], where)
        node = HANDOFF[f"{h['from']}--{h['to']}--{h['artifact']}"]
        g.add((node, RDF.type, DT.Handoff))
        g.add((node, DT.fromRole, src))
        g.add((node, DT.toRole, dst))
        g.add((node, DT.artifact, artifact))
        g.add((node, DT.atStage, stage))
        if h["mode"] not in MODES:
            self.errors.append(f"{where}: mode '{h['mode']}' is not one of {sorted(MODES)}")
        else:
            g.add((node, DT.mode, MODES[h["mode"]]))
        g.add((node, DCTERMS.source, SOURCE[source_id]))
        if h.get("note"):
            g.add((node, SKOS.note, en(h["note"])))
        if h.get("workflow"):
            g.add((node, DT.partOfWorkflow, self.mention(source_id, "workflows", h["workflow"], where)))
            if h.get("step") is None:
                self.errors.append(f"{where}: a workflow step needs 'step'")
            else:
                g.add((node, DT.stepNumber, Literal(int(h["step"]))))
        g.add((src, DT.handsOffTo, dst))

    def add_team_pattern(self, g, source_id: str, key: str, entry: dict, where: str) -> None:
        node = PATTERN[key]
        for required in ("label", "definition", "kind", "size"):
            if not entry.get(required):
                self.errors.append(f"{where}: missing {required}")
                return
        g.add((node, RDF.type, DT.TeamPattern))
        g.add((node, SKOS.prefLabel, en(entry["label"])))
        g.add((node, SKOS.definition, en(entry["definition"])))
        g.add((node, DCTERMS.source, SOURCE[source_id]))
        if entry["kind"] not in GUIDANCE:
            self.errors.append(f"{where}: kind '{entry['kind']}' is not one of {sorted(GUIDANCE)}")
        else:
            g.add((node, DT.guidanceKind, GUIDANCE[entry["kind"]]))
        sizes = entry["size"] if isinstance(entry["size"], list) else [entry["size"]]
        for size in sizes:
            if size not in SIZES:
                self.errors.append(f"{where}: size '{size}' is not one of {sorted(SIZES)}")
            else:
                g.add((node, DT.organisationSize, SIZES[size]))
        for role_key in entry.get("recommends", []) or []:
            g.add((node, DT.recommendsRole, self.mention(source_id, "roles", role_key, where)))
        for role_key in entry.get("concerns", []) or []:
            g.add((node, DT.concernsRole, self.mention(source_id, "roles", role_key, where)))
        if entry.get("condition"):
            g.add((node, DT.condition, en(entry["condition"])))

    # -- the ESCO alignment and the curation source ----------------------------------------------
    def add_esco_alignment(self, data: dict) -> None:
        meta = data["source"]
        g = self.graph(meta["id"])
        src = SOURCE[meta["id"]]
        g.add((src, RDF.type, DT.Source))
        g.add((src, DCTERMS.identifier, Literal(meta["id"])))
        g.add((src, DCTERMS.title, en(meta["title"])))
        g.add((src, SKOS.prefLabel, en(meta["title"])))
        g.add((src, DCTERMS.description, en(meta["summary"])))
        g.add((src, DT.sourceKind, Literal(meta["kind"])))
        g.add((src, DCTERMS.publisher, Literal(meta["publisher"])))
        g.add((src, SKOS.note, en(meta["attribution"])))
        g.add((GRAPH[meta["id"]], PROV.wasDerivedFrom, src))
        for key, entry in (data.get("roles") or {}).items():
            role = self.iri("roles", key, "esco-alignment.yaml")
            for relation, prop in (("close", SKOS.closeMatch), ("broad", SKOS.broadMatch)):
                for match in entry.get(relation, []) or []:
                    concept = URIRef(match["uri"])
                    g.add((role, prop, concept))
                    g.add((concept, SKOS.prefLabel, en(match["label"])))
                    g.add((concept, SKOS.inScheme, URIRef("http://data.europa.eu/esco/concept-scheme/occupations")))
                    if match.get("version_note"):
                        g.add((concept, SKOS.editorialNote, en(match["version_note"])))
            if entry.get("none"):
                g.add((role, DT.noEscoEquivalent, Literal(True)))
            if entry.get("note"):
                g.add((role, SKOS.editorialNote, en(entry["note"])))
            g.add((role, DCTERMS.source, src))

    def add_curation_source(self, data: dict) -> None:
        meta = data["source"]
        g = self.graph("curation")
        src = SOURCE["curation"]
        g.add((src, RDF.type, DT.Source))
        g.add((src, DCTERMS.identifier, Literal("curation")))
        g.add((src, DCTERMS.title, en(meta["title"])))
        g.add((src, SKOS.prefLabel, en(meta["title"])))
        g.add((src, DCTERMS.description, en(meta["summary"])))
        g.add((src, DT.sourceKind, Literal(meta["kind"])))
        g.add((GRAPH["curation"], PROV.wasDerivedFrom, src))


def load_yaml(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def compile_dataset(sources_dir: Path = SOURCES_DIR) -> Dataset:
    """Build the knowledge-base Dataset from the authoring files; raise CompileError listing every problem."""
    catalogue = load_yaml(sources_dir / "entities.yaml")
    compiler = Compiler(catalogue)
    seed_sources = set()
    for path in sorted(sources_dir.glob("*.yaml")):
        if path.name in ("entities.yaml", "curation.yaml", "esco-alignment.yaml"):
            continue
        seed_sources.add(compiler.add_source(load_yaml(path), path.name))
    compiler.add_curation_source(load_yaml(sources_dir / "curation.yaml"))
    compiler.add_esco_alignment(load_yaml(sources_dir / "esco-alignment.yaml"))
    compiler.describe_entities(seed_sources)
    if compiler.errors:
        raise CompileError("\n".join(sorted(set(compiler.errors))))
    return compiler.dataset


def graph_files(dataset: Dataset) -> dict[str, str]:
    """Serialize each named graph of `dataset` to TriG text, keyed by the graph's short id."""
    out = {}
    for graph in dataset.graphs():
        ident = str(graph.identifier)
        if not ident.startswith(str(GRAPH)) or len(graph) == 0:
            continue
        single = Dataset()
        bind_prefixes(single)
        target = single.graph(graph.identifier)
        for triple in graph:
            target.add(triple)
        with warnings.catch_warnings():
            # rdflib's own TriG serializer calls its deprecated Dataset.contexts API.
            warnings.simplefilter("ignore", DeprecationWarning)
            out[ident[len(str(GRAPH)):]] = single.serialize(format="trig")
    return out


def main(argv: list[str] | None = None) -> int:
    """Rewrite ontology/kb/*.trig from the YAML sources (or, with --check, report whether it is stale)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if ontology/kb is not up to date")
    args = parser.parse_args(argv)
    try:
        files = graph_files(compile_dataset())
    except CompileError as exc:
        print(f"knowledge base does not compile:\n{exc}", file=sys.stderr)
        return 1
    KB_DIR.mkdir(exist_ok=True)
    existing = {p.stem: p for p in KB_DIR.glob("*.trig")}
    stale = sorted(k for k, text in files.items() if k not in existing or existing[k].read_text(encoding="utf-8") != text)
    extra = sorted(set(existing) - set(files))
    if args.check:
        if stale or extra:
            print(f"ontology/kb is stale: {', '.join(stale + extra)}; run python -m datateam.ontology.compile", file=sys.stderr)
            return 1
        return 0
    for key, text in files.items():
        tmp = KB_DIR / f".{key}.trig.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(KB_DIR / f"{key}.trig")
    for key in extra:
        existing[key].unlink()
    print(f"wrote {len(files)} graphs to {KB_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
