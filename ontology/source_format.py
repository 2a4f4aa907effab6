"""The declared format of the knowledge base's authoring files (ontology/sources/*.yaml).

Every file is read with its line numbers and validated against a pydantic model before anything is
compiled. The models forbid unknown keys, check every type strictly (a step is an integer, a note
is text) and require what must be there, so a typo or a lost note is an error that names the file,
the line and the key, never a fact that silently disappears. Two traps of YAML are caught on the
way in: a duplicate key (PyYAML keeps the last one without a word), and a comma inside a
`{...}` flow mapping, which starts a new key and cuts the text before it short.

    load_source_file(path) -> (SourceFile, LineMap)        one source document's facts
    load_catalogue(path)   -> (Catalogue, LineMap)         entities.yaml
    load_curation(path)    -> (CurationFile, LineMap)      curation.yaml
    load_alignment(path)   -> (AlignmentFile, LineMap)     esco-alignment.yaml

Shorthands stay available where they read well: a skill or tool with only a level is written
`sql: core` (or bare, `sql`), a responsibility by its key alone; a qualified fact is written as a
mapping in block style with `condition`, `stance` and `note`.

A role key in a source file may also name one of the file's `groups` (roles a source describes as
one group, such as "DevOps engineers or sometimes SREs"): the fact is stated once and holds for
every member.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

# ---------------------------------------------------------------------------------------------
# Reading YAML with line numbers


class SourceFormatError(Exception):
    """An authoring file breaks the declared format; `problems` holds one `file:line: ...` text per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class LineMap:
    """Where each value of a YAML file sits: path (tuple of keys and list indexes) -> 1-based line."""

    filename: str
    lines: dict[tuple, int] = field(default_factory=dict)
    flow_mappings: set[tuple] = field(default_factory=set)

    def line_of(self, path: tuple) -> int:
        """The line of `path`, or of its nearest ancestor that has one (1 for the document)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1

    def where(self, path: tuple) -> str:
        """`file:line: key.path` for messages."""
        return f"{self.filename}:{self.line_of(path)}: {path_text(path)}"


def path_text(path: tuple) -> str:
    """A readable key path: handoffs[3].note (list items counted from 1, as a reader counts them)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


def read_yaml(path: Path) -> tuple[Any, LineMap]:
    """Parse a YAML file into plain Python data and a LineMap; raise SourceFormatError on bad YAML or a duplicate key."""
    path = Path(path)
    lines = LineMap(path.name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceFormatError([f"{path.name}: cannot read: {exc.strerror or exc}"]) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, lines
        data = _build(node, (), lines, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise SourceFormatError([f"{path.name}:{line}: not valid YAML: {exc.problem or exc}"]) from None
    finally:
        loader.dispose()
    return data, lines


def _build(node, path: tuple, lines: LineMap, loader) -> Any:
    if isinstance(node, yaml.MappingNode):
        if node.flow_style:
            lines.flow_mappings.add(path)
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise SourceFormatError([f"{lines.filename}:{key_node.start_mark.line + 1}: {path_text(path)}: "
                                         "a key must be plain text"])
            key = loader.construct_object(key_node)
            key = key if isinstance(key, str) else str(key)
            if key in out:
                raise SourceFormatError([f"{lines.filename}:{key_node.start_mark.line + 1}: {path_text(path + (key,))}: "
                                         f"duplicate key {key!r} (the first one, on line "
                                         f"{lines.lines[path + (key,)]}, would be lost)"])
            lines.lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, path + (key,), lines, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            lines.lines[path + (i,)] = item.start_mark.line + 1
            items.append(_build(item, path + (i,), lines, loader))
        return items
    return loader.construct_object(node, deep=True)


# ---------------------------------------------------------------------------------------------
# Validation errors in plain words


def _walk(data: Any, loc: tuple) -> tuple:
    """The longest prefix of `loc` that exists in `data` (pydantic adds union and alias tags that do not)."""
    real: list = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        elif part == "from_" and isinstance(current, dict) and "from" in current:
            part, current = "from", current["from"]
        else:
            break
        real.append(part)
    return tuple(real)


def format_errors(exc: ValidationError, data: Any, lines: LineMap) -> list[str]:
    """One `file:line: key: what is wrong` line per problem pydantic found (duplicates folded)."""
    out: list[str] = []
    for err in exc.errors(include_url=False):
        loc = tuple("from" if part == "from_" else part for part in err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            parent, key = loc[:-1], loc[-1]
            message = f"unknown key {key!r}"
            if parent in lines.flow_mappings and isinstance(key, str) and " " in key:
                message += (" (inside {...} a comma starts a new key, which cuts the text before it short: "
                            "write the mapping in block style or quote the text)")
            text = f"{lines.filename}:{lines.line_of(loc)}: {path_text(parent)}: {message}"
        elif kind == "missing":
            parent, key = _walk(data, loc[:-1]), loc[-1]
            text = f"{lines.filename}:{lines.line_of(parent)}: {path_text(parent)}: missing required key {key!r}"
        else:
            real = _walk(data, loc)
            value = err.get("input")
            shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
            text = f"{lines.where(real)}: {err['msg']} (got {shown})"
        if text not in out:
            out.append(text)
    return out


# ---------------------------------------------------------------------------------------------
# The models

Level = Literal["core", "working", "basic"]
Mode = Literal["sequential", "side-by-side"]
Size = Literal["small", "medium", "large", "any"]
ConditionKey = Literal["small-team", "no-product-manager"]
StanceKey = Literal["fallback", "reported-problem", "anti-pattern-description"]
GuidanceKey = Literal["hiring-order", "staffing-threshold", "fallback-owner", "team-structure", "collaboration",
                      "anti-pattern"]
ComparisonKey = Literal["similar-roles", "similar-skills", "sometimes-same-person", "strong-collaboration",
                        "one-group", "distinct-roles"]
SkillKind = Literal["technical", "soft", "knowledge"]
Text = Annotated[str, Field(min_length=1)]
Key = Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class Strict(BaseModel):
    """Unknown keys are errors and values are not coerced (a number is not text, text is not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


def _none_as_empty(value):
    return {} if value is None else value


def _level_shorthand(value):
    """`null` -> {}, `core` -> {level: core}; a mapping stays as it is."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"level": value}
    return value


class Qualifiers(Strict):
    """What limits a fact: a condition it holds under, or the stance the source takes to it, and a note saying which."""

    condition: ConditionKey | None = None
    stance: StanceKey | None = None
    note: Text | None = None

    def qualified(self) -> bool:
        return self.condition is not None or self.stance is not None


class Claim(Qualifiers):
    """A skill requirement or tool use: a level where the source gives one, and its qualifiers."""

    level: Level | None = None


ClaimValue = Annotated[Claim, BeforeValidator(_level_shorthand)]
QualifierValue = Annotated[Qualifiers, BeforeValidator(_none_as_empty)]


def _single_key(value):
    """A list item written `name` or `{name: ...}` becomes {name: ...}."""
    if isinstance(value, str):
        return {value: None}
    return value


ToolItem = Annotated[dict[Key, ClaimValue], BeforeValidator(_single_key), Field(min_length=1, max_length=1)]
ResponsibilityItem = Annotated[dict[Key, QualifierValue], BeforeValidator(_single_key),
                               Field(min_length=1, max_length=1)]


class SourceMeta(Strict):
    id: Key
    seed_file: Text | None = None
    title: Text
    kind: Text
    creators: list[Text] = []
    publisher: Text | None = None
    issued: datetime.date | None = None
    summary: Text
    bibliographic_note: Text | None = None


class RoleMention(Strict):
    aliases: list[Text] = []
    broader: list[Key] = []
    related: list[Key] = []


class RoleGroup(Strict):
    roles: Annotated[list[Key], Field(min_length=2)]


class Handoff(Qualifiers):
    from_: Key = Field(alias="from")
    to: Key
    artifact: Key
    stage: Key
    mode: Mode
    workflow: Key | None = None
    step: int | None = None

    @field_validator("step")
    @classmethod
    def _positive(cls, value):
        if value is not None and value < 1:
            raise ValueError("a step number starts at 1")
        return value


class Deployment(Strict):
    owned_by: list[Key] = []
    supported_by: list[Key] = []
    example: Text | None = None


class WorkflowExample(Strict):
    example: Text | None = None


class TeamPattern(Strict):
    label: Text
    kind: GuidanceKey
    size: Size | Annotated[list[Size], Field(min_length=1)]
    recommends: list[Key] = []
    concerns: list[Key] = []
    applies_when: Text | None = None
    min_events_per_day: Annotated[int, Field(ge=1)] | None = None   # the data volume from which it applies
    definition: Text


class Comparison(Strict):
    """A source's own comparison of roles: two or more roles, or one of the file's groups."""

    roles: Annotated[list[Key], Field(min_length=1)]
    kinds: Annotated[list[ComparisonKey], Field(min_length=1)]
    condition: ConditionKey | None = None
    note: Text


class Position(Strict):
    """A source's answer to one of the catalogue's disputed questions."""

    answer: Key
    note: Text
    rests_on: Annotated[list[Annotated[str, Field(pattern=r"^(req|tooluse|assignment|handoff|pattern|deploy):[a-z0-9-]+$")]],
                        Field(min_length=1)]


class SourceFile(Strict):
    """One source document's facts (000-... .yaml)."""

    source: SourceMeta
    roles: dict[Key, Annotated[RoleMention, BeforeValidator(_none_as_empty)]] = {}
    groups: dict[Key, RoleGroup] = {}
    skills: dict[Key, Annotated[dict[Key, ClaimValue], BeforeValidator(_none_as_empty)]] = {}
    tools: dict[Key, dict[Key, list[ToolItem]]] = {}
    tool_categories: dict[Key, list[Key]] = {}
    mentioned_tools: list[Key] = []
    responsibilities: dict[Key, list[ResponsibilityItem]] = {}
    workflows: dict[Key, Annotated[WorkflowExample, BeforeValidator(_none_as_empty)]] = {}
    handoffs: list[Handoff] = []
    works_with: list[Annotated[list[Key], Field(min_length=2, max_length=2)]] = []
    deployments: dict[Key, Deployment] = {}
    team_patterns: dict[Key, TeamPattern] = {}
    comparisons: dict[Key, Comparison] = {}
    positions: dict[Key, Position] = {}


class CurationSource(Strict):
    id: Literal["curation"]
    title: Text
    kind: Literal["curation"]
    summary: Text


class CurationFile(Strict):
    """The project's own editorial layer: metadata, and handoffs the project infers (no source narrates them)."""

    source: CurationSource
    handoffs: list[Handoff] = []

    @field_validator("handoffs")
    @classmethod
    def _no_stance(cls, handoffs):
        for h in handoffs:
            if h.qualified():
                raise ValueError("curation handoffs are inferences by definition; give them no condition or stance")
        return handoffs


class EscoMatch(Strict):
    uri: Annotated[str, Field(pattern=r"^http://data\.europa\.eu/esco/occupation/[0-9a-f-]+$")]
    label: Text
    version_note: Text | None = None


class EscoRole(Strict):
    close: list[EscoMatch] = []
    broad: list[EscoMatch] = []
    none: bool = False
    note: Text | None = None


class AlignmentSource(Strict):
    id: Key
    title: Text
    kind: Text
    publisher: Text
    attribution: Text
    summary: Text


class AlignmentFile(Strict):
    source: AlignmentSource
    roles: dict[Key, Annotated[EscoRole, BeforeValidator(_none_as_empty)]] = {}


class Entry(Strict):
    label: Text
    definition: Text
    aliases: list[Text] = []
    broader: list[Key] = []


class FamilyEntry(Entry):
    pass


class RoleEntry(Entry):
    family: Key
    stakeholder: bool = False


class SkillEntry(Entry):
    kind: SkillKind
    stage: Key | None = None     # the lifecycle stage the skill mostly serves; none for general skills


class CategoryEntry(Entry):
    stage: Key | None = None     # the lifecycle stage the category's tools mostly serve


class ToolEntry(Entry):
    categories: list[Key] = []   # the project's own filing, for tools no source files under a category


class StageEntry(Entry):
    order: Annotated[int, Field(ge=1)]


class ArtifactEntry(Entry):
    pass


class WorkflowEntry(Entry):
    deployment: Key | None = None


class DeploymentEntry(Entry):
    stage: Key
    produces: list[Key] = []


class ResponsibilityEntry(Entry):
    stage: Key
    produces: list[Key] = []


class QuestionEntry(Entry):
    """A question the sources answer differently; `answers` are the possible answers (key -> label)."""

    concerns: Annotated[list[Key], Field(min_length=1)]
    answers: Annotated[dict[Key, Text], Field(min_length=2)]


class Catalogue(Strict):
    """entities.yaml: every entity with its label, aliases and a definition in the project's words."""

    families: dict[Key, FamilyEntry]
    roles: dict[Key, RoleEntry]
    skills: dict[Key, SkillEntry]
    categories: dict[Key, CategoryEntry]
    tools: dict[Key, ToolEntry]
    stages: dict[Key, StageEntry]
    artifacts: dict[Key, ArtifactEntry]
    workflows: dict[Key, WorkflowEntry]
    deployments: dict[Key, DeploymentEntry]
    responsibilities: dict[Key, ResponsibilityEntry]
    questions: dict[Key, QuestionEntry] = {}


# ---------------------------------------------------------------------------------------------
# Loading


def _load(path: Path, model: type[BaseModel]):
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise SourceFormatError([f"{lines.filename}:1: the file must be a mapping of sections"])
    try:
        return model.model_validate(data), lines
    except ValidationError as exc:
        raise SourceFormatError(format_errors(exc, data, lines)) from None


def load_source_file(path: Path) -> tuple[SourceFile, LineMap]:
    """Read and validate one source document's file; raise SourceFormatError naming file, line and key."""
    return _load(path, SourceFile)


def load_catalogue(path: Path) -> tuple[Catalogue, LineMap]:
    """Read and validate entities.yaml."""
    return _load(path, Catalogue)


def load_curation(path: Path) -> tuple[CurationFile, LineMap]:
    """Read and validate curation.yaml."""
    return _load(path, CurationFile)


def load_alignment(path: Path) -> tuple[AlignmentFile, LineMap]:
    """Read and validate esco-alignment.yaml."""
    return _load(path, AlignmentFile)


def json_schemas() -> dict[str, dict]:
    """The JSON Schema of each kind of authoring file (for editors and for the documentation)."""
    return {name: model.model_json_schema(by_alias=True) for name, model in (
        ("source", SourceFile), ("entities", Catalogue), ("curation", CurationFile), ("esco-alignment", AlignmentFile))}
