"""Compile the knowledge base from its YAML authoring files into one TriG named graph per source.

The facts are written by hand in `ontology/sources/*.yaml` (readable, reviewable, short); this
module validates them against the declared format (ontology/source_format.py: unknown keys, wrong
types and missing fields are errors naming the file, line and key), checks that every id they use
exists, turns them into RDF with the ontology's n-ary nodes and shortcut triples, and writes
`ontology/kb/<graph>.trig`, which is what the store loads. Run it after editing the YAML:

    python -m datateam.ontology.compile              # rewrite ontology/kb/*.trig (make kb)
    python -m datateam.ontology.compile --check      # exit 1 if the committed TriG is stale
    python -m datateam.ontology.compile --out DIR    # write the graphs to DIR instead

The output is deterministic: the same YAML gives the same bytes, whatever the hash seed.

Layout of the authoring files:
- `entities.yaml`: the catalogue: every role, skill, tool, category, responsibility, artifact,
  stage, workflow, deployment pattern and disputed question with its label, aliases and a
  definition in the project's words.
- one file per source document (`source: {...}` metadata plus the facts it states, each fact with
  its level, condition or stance where the source gives one; the source's own comparisons of roles;
  its answers to the disputed questions).
- `curation.yaml`: the project's own layer: handoffs the project infers where a worked example
  skips a step (each marked dt:stance dt:Inference).
- `esco-alignment.yaml`: skos:closeMatch / broadMatch links from roles to ESCO occupations.

An entity's type and label are written into the graph of every source that mentions it (so each
source graph says which entities it speaks of); definitions, aliases and classifications the
project wrote go to the curation graph only.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

from ..graph.files import write_atomically
from . import source_format as fmt
from .namespaces import ANSWER, ARTIFACT, ASSIGNMENT, CATEGORY, COMPARISON, DEPLOYMENT, DT, FAMILY, GRAPH, HANDOFF, PATTERN, POSITION, QUESTION, REQUIREMENT, RESPONSIBILITY, ROLE, SKILL, SOURCE, STAGE, TOOL, TOOL_USE, WORKFLOW, bind_prefixes

HERE = Path(__file__).resolve().parent
SOURCES_DIR = HERE / "sources"
KB_DIR = HERE / "kb"
SPECIAL_FILES = ("entities.yaml", "curation.yaml", "esco-alignment.yaml")

LEVELS = {"core": DT.Core, "working": DT.Working, "basic": DT.Basic}
MODES = {"sequential": DT.Sequential, "side-by-side": DT.SideBySide}
SIZES = {"small": DT.SmallOrganisation, "medium": DT.MediumOrganisation,
         "large": DT.LargeOrganisation, "any": DT.AnyOrganisation}
GUIDANCE = {"hiring-order": DT.HiringOrder, "staffing-threshold": DT.StaffingThreshold,
            "fallback-owner": DT.FallbackOwner, "team-structure": DT.TeamStructure,
            "collaboration": DT.CollaborationPractice, "anti-pattern": DT.AntiPattern}
SKILL_KINDS = {"technical": DT.TechnicalSkill, "soft": DT.SoftSkill, "knowledge": DT.KnowledgeArea}
CONDITIONS = {"small-team": DT.InSmallTeam, "no-product-manager": DT.WithoutProductManager}
STANCES = {"fallback": DT.Fallback, "reported-problem": DT.ReportedProblem,
           "anti-pattern-description": DT.AntiPatternDescription}
COMPARISON_KINDS = {"similar-roles": DT.SimilarRoles, "similar-skills": DT.SimilarSkills,
                    "sometimes-same-person": DT.SometimesSamePerson, "strong-collaboration": DT.StrongCollaboration,
                    "one-group": DT.OneGroup, "distinct-roles": DT.DistinctRoles}
# The prefixes a position's `rests_on` may use, and the namespace of each.
FACT_PREFIXES = {"req": REQUIREMENT, "tooluse": TOOL_USE, "assignment": ASSIGNMENT, "handoff": HANDOFF,
                 "pattern": PATTERN, "deploy": DEPLOYMENT}

# catalogue section -> (namespace, class, the singular used in messages)
KINDS = {
    "roles": (ROLE, DT.Role, "role"),
    "families": (FAMILY, DT.RoleFamily, "role family"),
    "skills": (SKILL, DT.Skill, "skill"),
    "tools": (TOOL, DT.Tool, "tool"),
    "categories": (CATEGORY, DT.ToolCategory, "tool category"),
    "responsibilities": (RESPONSIBILITY, DT.Responsibility, "responsibility"),
    "artifacts": (ARTIFACT, DT.Artifact, "artifact"),
    "stages": (STAGE, DT.LifecycleStage, "lifecycle stage"),
    "workflows": (WORKFLOW, DT.Workflow, "workflow"),
    "deployments": (DEPLOYMENT, DT.DeploymentPattern, "deployment pattern"),
    "questions": (QUESTION, DT.Question, "disputed question"),
}


class CompileError(Exception):
    """The authoring files break the format or are inconsistent; `problems` has one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def en(text: str) -> Literal:
    return Literal(" ".join(str(text).split()), lang="en")


@dataclass
class Compiler:
    """Builds the Dataset from validated authoring files; `problems` collects every inconsistency found."""

    catalogue: fmt.Catalogue
    catalogue_lines: fmt.LineMap
    dataset: Dataset = field(default_factory=lambda: Dataset(default_union=True))
    problems: list[str] = field(default_factory=list)
    # (section, key) -> source ids mentioning it
    mentions: dict = field(default_factory=lambda: defaultdict(set))
    # source id -> the n-ary fact nodes ("req:...", "handoff:...") its graph states
    facts: dict = field(default_factory=lambda: defaultdict(set))

    # -- helpers ---------------------------------------------------------------------------
    def entries(self, section: str) -> dict:
        return getattr(self.catalogue, section)

    def iri(self, section: str, key: str, lines: fmt.LineMap, path: tuple) -> URIRef:
        namespace, _, word = KINDS[section]
        if key not in self.entries(section):
            self.problems.append(f"{lines.where(path)}: unknown {word} '{key}' (not in entities.yaml {section})")
        return namespace[key]

    def graph(self, graph_id: str):
        return self.dataset.graph(GRAPH[graph_id])

    def mention(self, source_id: str, section: str, key: str, lines: fmt.LineMap, path: tuple) -> URIRef:
        node = self.iri(section, key, lines, path)
        self.mentions[(section, key)].add(source_id)
        return node

    def state_fact(self, source_id: str, prefix: str, local: str, lines: fmt.LineMap, path: tuple) -> URIRef:
        """Record that `source_id` states the n-ary fact prefix:local; a second statement in one file is an error."""
        key = f"{prefix}:{local}"
        if key in self.facts[source_id]:
            self.problems.append(f"{lines.where(path)}: {key} is stated twice in this file")
        self.facts[source_id].add(key)
        return FACT_PREFIXES[prefix][local]

    def add_claim(self, g, src: URIRef, role: URIRef, shortcut: URIRef, item: URIRef, node: URIRef,
                  node_class: URIRef, item_property: URIRef, claim: fmt.Qualifiers) -> None:
        """A role-centred n-ary fact: the shortcut triple, the node with its role, item and source,
        the level (skills and tools) and the qualifiers."""
        g.add((role, shortcut, item))
        g.add((node, RDF.type, node_class))
        g.add((node, DT.role, role))
        g.add((node, item_property, item))
        g.add((node, DCTERMS.source, src))
        if getattr(claim, "level", None):
            g.add((node, DT.level, LEVELS[claim.level]))
        self.qualify(g, node, claim)

    @staticmethod
    def qualify(g, node: URIRef, claim: fmt.Qualifiers, inferred: bool = False) -> None:
        if claim.condition:
            g.add((node, DT.condition, CONDITIONS[claim.condition]))
        if claim.stance:
            g.add((node, DT.stance, STANCES[claim.stance]))
        if inferred:
            g.add((node, DT.stance, DT.Inference))
        if claim.note:
            g.add((node, SKOS.note, en(claim.note)))

    # -- the catalogue's descriptive triples -------------------------------------------------
    def describe_entities(self, seed_sources: set[str]) -> None:
        curation = self.graph("curation")
        for section, (namespace, cls, _) in KINDS.items():
            for key, entry in self.entries(section).items():
                node = namespace[key]
                lines, path = self.catalogue_lines, (section, key)
                sources = sorted(self.mentions.get((section, key), set()) & seed_sources)
                for source_id in sources or ["curation"]:
                    g = self.graph(source_id)
                    g.add((node, RDF.type, cls))
                    if section == "skills":
                        g.add((node, RDF.type, SKILL_KINDS[entry.kind]))
                    if section == "roles" and entry.stakeholder:
                        g.add((node, RDF.type, DT.Stakeholder))
                    g.add((node, SKOS.prefLabel, en(entry.label)))
                    g.add((node, DCTERMS.source, SOURCE[source_id]))
                # The project's definition and aliases: once, in the curation graph.
                curation.add((node, SKOS.definition, en(entry.definition)))
                for alias in entry.aliases:
                    curation.add((node, SKOS.altLabel, en(alias)))
                self.editorial(section, key, node, entry, curation, lines, path)

    def editorial(self, section, key, node, entry, g, lines, path) -> None:
        """Structural classification kept in the curation graph."""
        if section == "roles":
            g.add((node, DT.roleFamily, self.iri("families", entry.family, lines, path + ("family",))))
        if section == "stages":
            g.add((node, DT.stageOrder, Literal(entry.order)))
        for broader in entry.broader:
            g.add((node, SKOS.broader, self.iri(section, broader, lines, path + ("broader",))))
        if section in ("skills", "categories") and entry.stage:
            g.add((node, DT.atStage, self.iri("stages", entry.stage, lines, path + ("stage",))))
        if section in ("responsibilities", "deployments"):
            g.add((node, DT.atStage, self.iri("stages", entry.stage, lines, path + ("stage",))))
            for artifact in entry.produces:
                g.add((node, DT.produces, self.iri("artifacts", artifact, lines, path + ("produces",))))
        if section == "tools":
            for category in entry.categories:
                g.add((node, DT.inCategory, self.iri("categories", category, lines, path + ("categories",))))
        if section == "workflows" and entry.deployment:
            g.add((node, DT.usesDeployment, self.iri("deployments", entry.deployment, lines, path + ("deployment",))))
        if section == "questions":
            for role_key in entry.concerns:
                g.add((node, DT.concernsRole, self.iri("roles", role_key, lines, path + ("concerns",))))
            for answer_key, label in entry.answers.items():
                answer = ANSWER[f"{key}--{answer_key}"]
                g.add((answer, RDF.type, DT.Answer))
                g.add((answer, DT.onQuestion, node))
                g.add((answer, SKOS.prefLabel, en(label)))
                g.add((answer, DCTERMS.source, SOURCE["curation"]))

    def add_source_metadata(self, g, source_id: str, meta) -> None:
        src = SOURCE[source_id]
        g.add((src, RDF.type, DT.Source))
        g.add((src, DCTERMS.identifier, Literal(source_id)))
        g.add((src, DCTERMS.title, en(meta.title)))
        g.add((src, SKOS.prefLabel, en(meta.title)))
        g.add((src, DCTERMS.description, en(meta.summary)))
        g.add((src, DT.sourceKind, Literal(meta.kind)))
        g.add((GRAPH[source_id], PROV.wasDerivedFrom, src))

    # -- one source document ------------------------------------------------------------------
    def add_source(self, data: fmt.SourceFile, lines: fmt.LineMap) -> str:
        meta = data.source
        source_id = meta.id
        g = self.graph(source_id)
        src = SOURCE[source_id]
        self.add_source_metadata(g, source_id, meta)
        if meta.seed_file:
            g.add((src, DT.seedFile, Literal(meta.seed_file)))
        for creator in meta.creators:
            g.add((src, DCTERMS.creator, Literal(creator)))
        if meta.publisher:
            g.add((src, DCTERMS.publisher, Literal(meta.publisher)))
        if meta.issued:
            g.add((src, DCTERMS.issued, Literal(meta.issued.isoformat(), datatype=XSD.date)))
        if meta.bibliographic_note:
            g.add((src, SKOS.note, en(meta.bibliographic_note)))
        g.add((GRAPH[source_id], DCTERMS.source, src))

        def role(key, path):
            return self.mention(source_id, "roles", key, lines, path)

        def members(key, path) -> list[str]:
            """A role key, or the members of one of this file's groups."""
            if key in data.groups:
                return list(data.groups[key].roles)
            self.iri("roles", key, lines, path)
            return [key]

        for key, group in data.groups.items():
            if key in self.catalogue.roles:
                self.problems.append(f"{lines.where(('groups', key))}: a group cannot share a role's id '{key}'")
            for i, member in enumerate(group.roles):
                role(member, ("groups", key, "roles", i))

        for key, entry in data.roles.items():
            node = role(key, ("roles", key))
            for alias in entry.aliases:
                g.add((node, SKOS.altLabel, en(alias)))
            for i, broader in enumerate(entry.broader):
                g.add((node, SKOS.broader, role(broader, ("roles", key, "broader", i))))
            for i, related in enumerate(entry.related):
                g.add((node, SKOS.related, role(related, ("roles", key, "related", i))))

        for group_key, skills in data.skills.items():
            for role_key in members(group_key, ("skills", group_key)):
                r = role(role_key, ("skills", group_key))
                for skill_key, claim in skills.items():
                    path = ("skills", group_key, skill_key)
                    skill = self.mention(source_id, "skills", skill_key, lines, path)
                    req = self.state_fact(source_id, "req", f"{role_key}--{skill_key}", lines, path)
                    self.add_claim(g, src, r, DT.requiresSkill, skill, req, DT.SkillRequirement, DT.skill, claim)

        for group_key, by_category in data.tools.items():
            for role_key in members(group_key, ("tools", group_key)):
                r = role(role_key, ("tools", group_key))
                for category_key, items in by_category.items():
                    category = None
                    if category_key != "uncategorised":
                        category = self.mention(source_id, "categories", category_key, lines,
                                                ("tools", group_key, category_key))
                    for i, item in enumerate(items):
                        (tool_key, claim), = item.items()
                        path = ("tools", group_key, category_key, i)
                        tool = self.mention(source_id, "tools", tool_key, lines, path)
                        local = f"{role_key}--{tool_key}"
                        use = TOOL_USE[local]
                        if f"tooluse:{local}" not in self.facts[source_id]:
                            self.state_fact(source_id, "tooluse", local, lines, path)
                        self.add_claim(g, src, r, DT.usesTool, tool, use, DT.ToolUse, DT.tool, claim)
                        if category is not None:
                            g.add((use, DT.asCategory, category))
                            g.add((tool, DT.inCategory, category))

        for category_key, tools in data.tool_categories.items():
            category = self.mention(source_id, "categories", category_key, lines, ("tool_categories", category_key))
            for i, tool_key in enumerate(tools):
                tool = self.mention(source_id, "tools", tool_key, lines, ("tool_categories", category_key, i))
                g.add((tool, DT.inCategory, category))

        for i, tool_key in enumerate(data.mentioned_tools):
            self.mention(source_id, "tools", tool_key, lines, ("mentioned_tools", i))

        for group_key, items in data.responsibilities.items():
            for role_key in members(group_key, ("responsibilities", group_key)):
                r = role(role_key, ("responsibilities", group_key))
                for i, item in enumerate(items):
                    (resp_key, claim), = item.items()
                    path = ("responsibilities", group_key, i)
                    resp = self.mention(source_id, "responsibilities", resp_key, lines, path)
                    node = self.state_fact(source_id, "assignment", f"{role_key}--{resp_key}", lines, path)
                    self.add_claim(g, src, r, DT.hasResponsibility, resp, node, DT.ResponsibilityAssignment,
                                   DT.responsibility, claim)
                    entry = self.catalogue.responsibilities.get(resp_key)
                    for artifact in (entry.produces if entry else []):
                        self.mention(source_id, "artifacts", artifact, lines, path)

        for key, entry in data.workflows.items():
            wf = self.mention(source_id, "workflows", key, lines, ("workflows", key))
            if entry.example:
                g.add((wf, DT.example, en(entry.example)))

        for i, h in enumerate(data.handoffs):
            for from_key in members(h.from_, ("handoffs", i, "from")):
                for to_key in members(h.to, ("handoffs", i, "to")):
                    self.add_handoff(g, source_id, h, from_key, to_key, lines, ("handoffs", i))

        for i, pair in enumerate(data.works_with):
            for a_key in members(pair[0], ("works_with", i, 0)):
                for b_key in members(pair[1], ("works_with", i, 1)):
                    g.add((role(a_key, ("works_with", i, 0)), DT.worksWith, role(b_key, ("works_with", i, 1))))

        for key, entry in data.deployments.items():
            path = ("deployments", key)
            dep = self.mention(source_id, "deployments", key, lines, path)
            self.state_fact(source_id, "deploy", key, lines, path)
            for relation, prop in (("owned_by", DT.ownedBy), ("supported_by", DT.supportedBy)):
                for j, role_key in enumerate(getattr(entry, relation)):
                    for member in members(role_key, path + (relation, j)):
                        g.add((dep, prop, role(member, path + (relation, j))))
            if entry.example:
                g.add((dep, DT.example, en(entry.example)))
            catalogued = self.catalogue.deployments.get(key)
            if catalogued:
                for artifact in catalogued.produces:
                    self.mention(source_id, "artifacts", artifact, lines, path)
                self.mention(source_id, "stages", catalogued.stage, lines, path)

        for key, entry in data.team_patterns.items():
            self.add_team_pattern(g, source_id, key, entry, members, lines, ("team_patterns", key))

        for key, entry in data.comparisons.items():
            self.add_comparison(g, source_id, key, entry, data, lines, ("comparisons", key))

        for key, entry in data.positions.items():
            self.add_position(g, source_id, key, entry, lines, ("positions", key))
        return source_id

    def add_handoff(self, g, source_id: str, h: fmt.Handoff, from_key: str, to_key: str,
                    lines: fmt.LineMap, path: tuple, inferred: bool = False) -> None:
        src = self.mention(source_id, "roles", from_key, lines, path + ("from",))
        dst = self.mention(source_id, "roles", to_key, lines, path + ("to",))
        artifact = self.mention(source_id, "artifacts", h.artifact, lines, path + ("artifact",))
        stage = self.mention(source_id, "stages", h.stage, lines, path + ("stage",))
        node = self.state_fact(source_id, "handoff", f"{from_key}--{to_key}--{h.artifact}", lines, path)
        g.add((node, RDF.type, DT.Handoff))
        g.add((node, DT.fromRole, src))
        g.add((node, DT.toRole, dst))
        g.add((node, DT.artifact, artifact))
        g.add((node, DT.atStage, stage))
        g.add((node, DT.mode, MODES[h.mode]))
        g.add((node, DCTERMS.source, SOURCE[source_id]))
        self.qualify(g, node, h, inferred=inferred)
        if h.workflow:
            g.add((node, DT.partOfWorkflow, self.mention(source_id, "workflows", h.workflow, lines, path + ("workflow",))))
            if h.step is None:
                self.problems.append(f"{lines.where(path)}: a handoff in a workflow needs 'step'")
            else:
                g.add((node, DT.stepNumber, Literal(h.step)))
        elif h.step is not None:
            self.problems.append(f"{lines.where(path + ('step',))}: 'step' needs 'workflow'")
        g.add((src, DT.handsOffTo, dst))

    def add_team_pattern(self, g, source_id: str, key: str, entry: fmt.TeamPattern, members, lines, path) -> None:
        node = self.state_fact(source_id, "pattern", key, lines, path)
        g.add((node, RDF.type, DT.TeamPattern))
        g.add((node, SKOS.prefLabel, en(entry.label)))
        g.add((node, SKOS.definition, en(entry.definition)))
        g.add((node, DCTERMS.source, SOURCE[source_id]))
        g.add((node, DT.guidanceKind, GUIDANCE[entry.kind]))
        for size in entry.size if isinstance(entry.size, list) else [entry.size]:
            g.add((node, DT.organisationSize, SIZES[size]))
        for relation, prop in (("recommends", DT.recommendsRole), ("concerns", DT.concernsRole)):
            for i, role_key in enumerate(getattr(entry, relation)):
                for member in members(role_key, path + (relation, i)):
                    g.add((node, prop, self.mention(source_id, "roles", member, lines, path + (relation, i))))
        if entry.applies_when:
            g.add((node, DT.appliesWhen, en(entry.applies_when)))
        if entry.min_events_per_day:
            g.add((node, DT.minEventsPerDay, Literal(entry.min_events_per_day)))

    def add_comparison(self, g, source_id: str, key: str, entry: fmt.Comparison, data: fmt.SourceFile,
                       lines, path) -> None:
        """One dt:RoleComparison; a group named beside other roles gives one statement per member."""
        plain = [r for r in entry.roles if r not in data.groups]
        groups = [r for r in entry.roles if r in data.groups]
        if len(groups) > 1:
            self.problems.append(f"{lines.where(path + ('roles',))}: a comparison may name at most one group")
            return
        if groups and not plain:
            sets = [list(data.groups[groups[0]].roles)]
            locals_ = [f"{source_id}--{key}"]
        elif groups:
            members = data.groups[groups[0]].roles
            sets = [[m, *plain] for m in members]
            locals_ = [f"{source_id}--{key}--{m}" for m in members]
        elif len(plain) >= 2:
            sets, locals_ = [plain], [f"{source_id}--{key}"]
        else:
            self.problems.append(f"{lines.where(path + ('roles',))}: a comparison needs two roles or a group")
            return
        for roles, local in zip(sets, locals_):
            node = COMPARISON[local]
            g.add((node, RDF.type, DT.RoleComparison))
            for i, role_key in enumerate(roles):
                g.add((node, DT.comparesRole, self.mention(source_id, "roles", role_key, lines, path + ("roles",))))
            for kind in entry.kinds:
                g.add((node, DT.comparisonKind, COMPARISON_KINDS[kind]))
            if entry.condition:
                g.add((node, DT.condition, CONDITIONS[entry.condition]))
            g.add((node, SKOS.note, en(entry.note)))
            g.add((node, DCTERMS.source, SOURCE[source_id]))

    def add_position(self, g, source_id: str, question_key: str, entry: fmt.Position, lines, path) -> None:
        question = self.iri("questions", question_key, lines, path)
        catalogued = self.catalogue.questions.get(question_key)
        if catalogued and entry.answer not in catalogued.answers:
            self.problems.append(f"{lines.where(path + ('answer',))}: '{entry.answer}' is not one of the answers "
                                 f"entities.yaml gives for {question_key}: {', '.join(catalogued.answers)}")
        node = POSITION[f"{question_key}--{source_id}"]
        g.add((node, RDF.type, DT.Position))
        g.add((node, DT.onQuestion, question))
        g.add((node, DT.answer, ANSWER[f"{question_key}--{entry.answer}"]))
        g.add((node, SKOS.note, en(entry.note)))
        g.add((node, DCTERMS.source, SOURCE[source_id]))
        for i, ref in enumerate(entry.rests_on):
            if ref not in self.facts[source_id]:
                self.problems.append(f"{lines.where(path + ('rests_on', i))}: {ref} is not a fact this source states")
                continue
            prefix, local = ref.split(":", 1)
            g.add((node, DT.restsOn, FACT_PREFIXES[prefix][local]))

    # -- the curation source and the ESCO alignment ----------------------------------------------
    def add_curation(self, data: fmt.CurationFile, lines: fmt.LineMap) -> None:
        g = self.graph("curation")
        self.add_source_metadata(g, "curation", data.source)
        for i, h in enumerate(data.handoffs):
            self.add_handoff(g, "curation", h, h.from_, h.to, lines, ("handoffs", i), inferred=True)

    def add_esco_alignment(self, data: fmt.AlignmentFile, lines: fmt.LineMap) -> None:
        meta = data.source
        g = self.graph(meta.id)
        src = SOURCE[meta.id]
        self.add_source_metadata(g, meta.id, meta)
        g.add((src, DCTERMS.publisher, Literal(meta.publisher)))
        g.add((src, SKOS.note, en(meta.attribution)))
        for key, entry in data.roles.items():
            role = self.iri("roles", key, lines, ("roles", key))
            for relation, prop in (("close", SKOS.closeMatch), ("broad", SKOS.broadMatch)):
                for match in getattr(entry, relation):
                    concept = URIRef(match.uri)
                    g.add((role, prop, concept))
                    g.add((concept, SKOS.prefLabel, en(match.label)))
                    g.add((concept, SKOS.inScheme, URIRef("http://data.europa.eu/esco/concept-scheme/occupations")))
                    if match.version_note:
                        g.add((concept, SKOS.editorialNote, en(match.version_note)))
            if entry.none:
                g.add((role, DT.noEscoEquivalent, Literal(True)))
            if entry.note:
                g.add((role, SKOS.editorialNote, en(entry.note)))
            g.add((role, DCTERMS.source, src))


def _read(loader, path: Path, problems: list[str]):
    try:
        return loader(path)
    except fmt.SourceFormatError as exc:
        problems.extend(exc.problems)
        return None


def compile_dataset(sources_dir: Path = SOURCES_DIR) -> Dataset:
    """Build the knowledge-base Dataset from the authoring files; raise CompileError listing every problem.

    Every file is checked against its declared format first (unknown keys, wrong types, missing
    fields, duplicate keys), then every id is checked against the catalogue.
    """
    sources_dir = Path(sources_dir)
    problems: list[str] = []
    for name in SPECIAL_FILES:
        if not (sources_dir / name).is_file():
            problems.append(f"{name}: missing from {sources_dir}")
    if problems:
        raise CompileError(problems)
    catalogue = _read(fmt.load_catalogue, sources_dir / "entities.yaml", problems)
    curation = _read(fmt.load_curation, sources_dir / "curation.yaml", problems)
    alignment = _read(fmt.load_alignment, sources_dir / "esco-alignment.yaml", problems)
    documents = []
    for path in sorted(sources_dir.glob("*.yaml")):
        if path.name not in SPECIAL_FILES:
            loaded = _read(fmt.load_source_file, path, problems)
            if loaded:
                documents.append(loaded)
    if problems:
        raise CompileError(problems)
    compiler = Compiler(*catalogue)
    seed_sources: set[str] = set()
    for data, lines in documents:
        if data.source.id in seed_sources or data.source.id in ("curation", alignment[0].source.id):
            compiler.problems.append(f"{lines.where(('source', 'id'))}: source id '{data.source.id}' is used twice")
        seed_sources.add(compiler.add_source(data, lines))
    compiler.add_curation(*curation)
    compiler.add_esco_alignment(*alignment)
    compiler.describe_entities(seed_sources)
    if compiler.problems:
        raise CompileError(list(dict.fromkeys(compiler.problems)))
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
    return dict(sorted(out.items()))


def write_graphs(files: dict[str, str], directory: Path) -> None:
    """Write `files` as DIR/<id>.trig (each through a temporary file) and remove other .trig files there."""
    directory.mkdir(parents=True, exist_ok=True)
    for key, text in files.items():
        write_atomically(directory / f"{key}.trig", text)
    for stale in directory.glob("*.trig"):
        if stale.stem not in files:
            stale.unlink()


def main(argv: list[str] | None = None) -> int:
    """Rewrite ontology/kb/*.trig from the YAML sources (or, with --check, report whether it is stale)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if ontology/kb is not up to date")
    parser.add_argument("--sources", type=Path, default=SOURCES_DIR, help="the authoring files (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=KB_DIR, help="where to write the graphs (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        files = graph_files(compile_dataset(args.sources))
    except CompileError as exc:
        print(f"the knowledge base does not compile ({len(exc.problems)} problem(s)):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if args.check:
        existing = {p.stem: p.read_text(encoding="utf-8") for p in args.out.glob("*.trig")}
        stale = sorted(k for k in files.keys() | existing.keys() if files.get(k) != existing.get(k))
        if stale:
            print(f"{args.out} is stale: {', '.join(stale)}; run make kb (python -m datateam.ontology.compile)",
                  file=sys.stderr)
            return 1
        return 0
    write_graphs(files, args.out)
    print(f"wrote {len(files)} graphs to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
