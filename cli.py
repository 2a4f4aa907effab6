"""The `datateam` command line: thin click commands over graph/ and queries/.

Every command parses its options, calls a plain Python function and prints the result. Errors the
user can fix are printed on one line (no traceback unless --debug) with a non-zero exit status.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from pathlib import Path

import click

from . import __version__
from .graph.errors import AmbiguousNameError, DatateamError, NameNotFoundError, ValidationError
from .graph.render import to_delimited, to_json, to_table

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# ---------------------------------------------------------------------------------------------
# Shared state and options


class State:
    """Options shared by all commands (given before or after the command name) and the open graph."""

    def __init__(self):
        self.data_files: list[Path] = []
        self.store: str | None = None
        self.endpoint: str | None = None
        self.debug = False
        self._kg = None

    def knowledge_graph(self, *, writable: bool = False):
        """Open the knowledge graph the options point to (embedded default, --store or --endpoint)."""
        if self._kg is None:
            from .graph.store import open_knowledge_graph

            self._kg = open_knowledge_graph(self.data_files, store_path=self.store, endpoint=self.endpoint,
                                            writable=writable)
        return self._kg


def _state() -> State:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = State()
    return root.obj


def _set_data(ctx, param, value):
    if value:
        _state().data_files.extend(Path(v) for v in value)
    return value


def _set_store(ctx, param, value):
    if value:
        _state().store = value
    return value


def _set_endpoint(ctx, param, value):
    if value:
        _state().endpoint = value
    return value


def _set_debug(ctx, param, value):
    if value:
        _state().debug = True
    return value


def graph_options(func):
    """Add --data, --store, --endpoint and --debug to a command (they also work before the command name)."""
    options = [
        click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False), expose_value=False,
                     callback=_set_data, help="Merge your own Turtle/TriG file (repeatable); validated first."),
        click.option("--store", type=click.Path(file_okay=False), expose_value=False, callback=_set_store,
                     help="Use a persistent on-disk store (default: $DATATEAM_STORE, else in-memory)."),
        click.option("--endpoint", metavar="URL", expose_value=False, callback=_set_endpoint,
                     help="Run against a remote SPARQL 1.1 endpoint instead of the embedded store."),
        click.option("--debug", is_flag=True, expose_value=False, callback=_set_debug,
                     help="Show tracebacks on errors."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def format_option(*choices: str, default: str = "table"):
    return click.option("--format", "-f", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help="Output format.")


output_option = click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
                             help="Write to FILE instead of standard output (written atomically).")


def emit(text: str | bytes, output: str | None = None) -> None:
    """Print text, or write it to `output` through a temporary file renamed on success."""
    if output is None:
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
            sys.stdout.flush()
        else:
            click.echo(text, nl=False)
        return
    write_atomically(Path(output), text)
    click.echo(f"wrote {output}", err=True)


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write a file so that readers see either the old or the complete new content, never a part."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise DatateamError(f"{path}: directory {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def note_shadowed(entity, name: str) -> None:
    """Tell the user (on stderr) when a name also matched entities in lower-priority graphs."""
    note = entity.shadow_note(name)
    if note:
        click.echo(note, err=True)


def print_rows(rows: list[dict], columns: list[str], fmt: str, output: str | None, headers=None) -> None:
    """Print rows as a table, CSV, TSV or JSON."""
    if fmt == "json":
        emit(to_json(rows), output)
    elif fmt == "csv":
        emit(to_delimited(rows, columns), output)
    elif fmt == "tsv":
        emit(to_delimited(rows, columns, "\t"), output)
    else:
        emit(to_table(rows, columns, headers), output)


# ---------------------------------------------------------------------------------------------
# The group


class DatateamGroup(click.Group):
    """A click group that turns DatateamError into a one-line message and an exit status."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DatateamError as exc:
            if _debug_requested(ctx):
                raise
            click.echo(f"error: {exc}", err=True)
            if isinstance(exc, ValidationError):
                for line in exc.violations:
                    click.echo(f"  {line}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


def _debug_requested(ctx) -> bool:
    state = ctx.find_root().obj
    return bool((state and state.debug) or os.environ.get("DATATEAM_DEBUG"))


@click.group(cls=DatateamGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", "-V", prog_name="datateam")
@graph_options
def main():
    """datateam: who does what in a data team, as a knowledge graph.

    Roles, skills, tools, responsibilities and handoffs from five source documents, queryable with
    SPARQL, comparable with overlap analysis and explorable as an interactive page.

    \b
    Examples:
      datateam roles
      datateam show "data engineer"
      datateam --store kg import esco ../shared/data/esco-v1.1.1
    """
    _state()
    if not _state().store and os.environ.get("DATATEAM_STORE"):
        _state().store = os.environ["DATATEAM_STORE"]
    if not _state().endpoint and os.environ.get("DATATEAM_ENDPOINT"):
        _state().endpoint = os.environ["DATATEAM_ENDPOINT"]


# ---------------------------------------------------------------------------------------------
# Core commands (issue 2): roles, show, validate, export


@main.command()
@graph_options
@format_option("table", "json", "csv", "tsv")
@output_option
def roles(fmt, output):
    """List every role with its aliases, definition and skill/tool counts.

    \b
    Example:
      datateam roles --format csv -o roles.csv
    """
    from .graph.describe import list_roles

    rows = list_roles(_state().knowledge_graph())
    if fmt in ("table",):
        table_rows = [dict(r, aliases=", ".join(r["aliases"]), definition=_one_line(r["definition"], 70))
                      for r in rows]
        print_rows(table_rows, ["label", "aliases", "skills", "tools", "definition"], fmt, output,
                   headers=["role", "aliases", "skills", "tools", "definition"])
    else:
        print_rows(rows, ["id", "label", "aliases", "definition", "skills", "tools", "family"], fmt, output)


def _one_line(text: str, width: int) -> str:
    text = " ".join((text or "").split())
    first = text.split(". ")[0].rstrip(".")
    return first if len(first) <= width else first[: width - 1] + "…"


@main.command()
@click.argument("name")
@graph_options
@click.option("--type", "types", multiple=True,
              type=click.Choice(["role", "skill", "tool", "category", "responsibility", "artifact", "stage",
                                 "deployment", "workflow", "team-pattern", "family", "source"]),
              help="Only consider entities of this type (repeatable).")
@format_option("table", "json")
@output_option
def show(name, types, fmt, output):
    """Show everything known about a role, skill, tool, responsibility or artifact.

    NAME is a label, an alias or an id, matched case-insensitively ("data engineer", "DE", "airflow",
    "role:data-engineer"). An unknown name exits with status 2 and the nearest matches.

    \b
    Examples:
      datateam show "data engineer"
      datateam show airflow --format json
    """
    from .graph.describe import describe
    from .graph.names import resolve

    kg = _state().knowledge_graph()
    entity = resolve(kg, name, list(types) or None)
    note_shadowed(entity, name)
    details = describe(kg, entity)
    if fmt == "json":
        emit(to_json(details), output)
    else:
        from .graph.describe import format_details

        emit(format_details(details), output)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--debug", is_flag=True, expose_value=False, callback=_set_debug, help="Show tracebacks on errors.")
@format_option("text", "json", default="text")
def validate(files, fmt):
    """Check data files (or, without FILES, the shipped knowledge base) against the SHACL shapes.

    Prints each violation in plain words (the node's label, the property, what is wrong) and exits 1
    when there is any.

    \b
    Examples:
      datateam validate
      datateam validate my-company-roles.ttl
    """
    from .graph.validate import validate_files

    report = validate_files([Path(f) for f in files])
    if fmt == "json":
        click.echo(to_json(report), nl=False)
    else:
        for line in report["violations"]:
            click.echo(line["message"])
        what = ", ".join(files) if files else "the shipped knowledge base"
        if report["conforms"]:
            click.echo(f"{what}: conforms ({report['triples']} triples checked)")
        else:
            click.echo(f"{what}: {len(report['violations'])} violation(s)", err=True)
    if not report["conforms"]:
        sys.exit(1)


EXPORT_FORMATS = ["ttl", "trig", "nquads", "nt", "jsonld", "graphml", "gexf", "csv"]


@main.command()
@graph_options
@click.option("--format", "-f", "fmt", type=click.Choice(EXPORT_FORMATS), required=True, help="Export format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), required=True, help="File to write.")
def export(fmt, output):
    """Export the knowledge graph as RDF, a networkx graph file or CSV.

    ttl/nt merge all graphs; trig/nquads keep one named graph per source; graphml/gexf write the
    typed networkx projection; csv writes one row per edge of the projection.

    \b
    Examples:
      datateam export --format trig -o kb.trig
      datateam export --format graphml -o kb.graphml
    """
    from .graph.exporting import export_graph

    content = export_graph(_state().knowledge_graph(), fmt)
    emit(content, output)


# --- query layer commands (issue 3) ---------------------------------------------------------


# --- analysis commands (issue 4) ------------------------------------------------------------


# --- explorer commands (issue 5) ------------------------------------------------------------


# --- import and store commands (issue 6) ----------------------------------------------------


if __name__ == "__main__":
    main()
