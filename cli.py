"""The `datateam` command line: thin click commands over graph/ and queries/.

Every command parses its options, calls a plain Python function and prints the result. Errors the
user can fix are printed on one line (no traceback unless --debug) with a non-zero exit status.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import click

from . import __version__
from .graph import defaults
from .graph.errors import DatateamError, ValidationError
from .graph.files import new_temporary_file, write_atomically
from .graph.text import printable, to_json

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
        self.quiet_attributions = False  # set by commands that print the attribution themselves
        self.failed = False  # set when the command ends with an error: no attribution then
        self._kg = None

    def knowledge_graph(self, *, writable: bool = False):
        """Open the knowledge graph the options point to (embedded default, --store or --endpoint).

        When the command ends, the attribution lines of any imported framework (ESCO, O*NET) whose
        data it may have shown are printed on standard error, and a persistent store is closed
        (releasing its lock) even when the process lives on (tests, notebooks).
        """
        if self._kg is None:
            from .graph.store.factory import open_knowledge_graph

            kg = open_knowledge_graph(self.data_files, store_path=self.store, endpoint=self.endpoint,
                                      writable=writable)
            self._kg = click.get_current_context().find_root().with_resource(self._opened(kg))
        return self._kg

    @contextlib.contextmanager
    def _opened(self, kg):
        try:
            yield kg
        finally:
            self._kg = None
            self._finish(kg)

    def _finish(self, kg) -> None:
        try:
            if not self.failed and not getattr(kg, "closed", False) and not self.quiet_attributions:
                from .graph.importers import attributions

                for line in attributions(kg):
                    click.echo(line, err=True)
        finally:
            close = getattr(kg, "close", None)
            if close is not None and not getattr(kg, "closed", False):
                close()


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


def graph_options(func=None, *, root: bool = False):
    """Add --data, --store, --endpoint and --debug to a command (they also work before the command name).

    On the root group (root=True) --store and --endpoint also read $DATATEAM_STORE and
    $DATATEAM_ENDPOINT; given again after the command name, the later value wins.
    """
    if func is None:
        return lambda f: graph_options(f, root=root)
    options = [
        click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False), expose_value=False,
                     callback=_set_data, help="Merge your own Turtle/TriG file (repeatable); validated first."),
        click.option("--store", type=click.Path(file_okay=False), expose_value=False, callback=_set_store,
                     envvar="DATATEAM_STORE" if root else None,
                     help="Use a persistent on-disk store (default: $DATATEAM_STORE, else in-memory)."),
        click.option("--endpoint", metavar="URL", expose_value=False, callback=_set_endpoint,
                     envvar="DATATEAM_ENDPOINT" if root else None,
                     help="Run against a remote SPARQL 1.1 endpoint instead of the embedded store."),
        debug_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


debug_option = click.option("--debug", is_flag=True, expose_value=False, callback=_set_debug,
                            help="Show tracebacks on errors.")


def format_option(*choices: str, default: str = "table"):
    """The --format/-f option of a command that offers `choices`."""
    return click.option("--format", "-f", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help="Output format.")


output_option = click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
                             help="Write to FILE instead of standard output (written atomically).")
INCLUDE_CONDITIONAL = click.option(
    "--include-conditional", is_flag=True,
    help="Also count facts the sources state only under a condition or as a fallback, a reported problem or "
         "an anti-pattern (by default they are left out, and the output lists them).")


def emit(text: str | bytes, output: str | None = None) -> None:
    """Print text, or write it to `output` through a temporary file renamed on success."""
    if output is None:
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
            sys.stdout.flush()
        else:
            click.echo(text, nl=False)
        return
    write_atomically(output, text)
    click.echo(f"wrote {printable(output)}", err=True)


def note_shadowed(entity, name: str) -> None:
    """Tell the user (on stderr) when a name also matched entities in lower-priority graphs."""
    note = entity.shadow_note(name)
    if note:
        click.echo(printable(note), err=True)


# ---------------------------------------------------------------------------------------------
# The group


class DatateamGroup(click.Group):
    """A click group that turns errors into a one-line message and an exit status.

    A DatateamError prints its message; any other exception (a bug, or input no check foresaw)
    prints its type and first line. Either way control characters are escaped (the message may
    echo a URL, a name or bytes of a file), and --debug shows the traceback instead.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DatateamError as exc:
            if ctx.find_root().obj is not None:
                ctx.find_root().obj.failed = True
            if _debug_requested(ctx):
                raise
            click.echo(f"error: {printable(str(exc))}", err=True)
            if isinstance(exc, ValidationError):
                for line in exc.violations:
                    click.echo(f"  {printable(line)}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except MemoryError:
            if ctx.find_root().obj is not None:
                ctx.find_root().obj.failed = True
            if _debug_requested(ctx):
                raise
            click.echo("error: out of memory", err=True)
            ctx.exit(1)
        except Exception as exc:  # noqa: BLE001 - the last wall: one line, the traceback with --debug
            if ctx.find_root().obj is not None:
                ctx.find_root().obj.failed = True
            if _debug_requested(ctx):
                raise
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            click.echo(f"error: {type(exc).__name__}{': ' + printable(detail[:500]) if detail else ''} "
                       "(unexpected; run with --debug for the traceback)", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            if ctx.find_root().obj is not None:
                ctx.find_root().obj.failed = True
            click.echo("interrupted", err=True)
            ctx.exit(130)


def _debug_requested(ctx) -> bool:
    state = ctx.find_root().obj
    return bool((state and state.debug) or os.environ.get("DATATEAM_DEBUG"))


GC_THRESHOLDS = (100_000, 50, 50)


@click.group(cls=DatateamGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", "-V", prog_name="datateam")
@graph_options(root=True)
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
    # A command on a framework store makes a million small objects that live until it ends; at
    # Python's default thresholds the collector traverses them all every ~70,000 allocations, a
    # third of `coverage`'s time (0.35 s of 1.0 s, measured). Cycles are still collected, less often.
    gc.set_threshold(*GC_THRESHOLDS)
    _state()


# ---------------------------------------------------------------------------------------------
# Roles, entities, validation and export


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
    from .graph.analysis.describe import list_roles, render_roles

    emit(render_roles(list_roles(_state().knowledge_graph()), fmt), output)


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
    from .graph.analysis.describe import describe, render_details
    from .graph.lookup.names import resolve

    kg = _state().knowledge_graph()
    entity = resolve(kg, name, list(types) or None)
    note_shadowed(entity, name)
    emit(render_details(describe(kg, entity), fmt), output)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@debug_option
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
    from .graph.store.validate import format_validation, validate_files

    report = validate_files([Path(f) for f in files])
    if fmt == "json":
        click.echo(to_json(report), nl=False)
    else:
        out, err = format_validation(report, files)
        click.echo(out, nl=False)
        click.echo(err, nl=False, err=True)
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
    from .graph.output.export import export_graph

    content = export_graph(_state().knowledge_graph(), fmt)
    emit(content, output)


@main.command()
@graph_options
@click.option("--html", type=click.Path(dir_okay=False), default=None,
              help="Also write the full explorer page to this HTML file.")
@click.option("--by", type=click.Choice(["skills", "tools", "responsibilities", "all"]), default="all",
              show_default=True, help="What the overlap summary compares.")
@click.option("--top", type=click.IntRange(1, 100), default=defaults.OVERVIEW_TOP, show_default=True,
              help="How many role pairs to list.")
@click.option("--min-shared", type=click.IntRange(min=1), default=defaults.OVERVIEW_MIN_SHARED, show_default=True,
              metavar="N",
              help="List only role pairs that share at least N items (small roles with one item each "
                   "would otherwise top the list).")
@INCLUDE_CONDITIONAL
@format_option("table", "json")
def overview(html, by, top, min_shared, include_conditional, fmt):
    """Summarise the knowledge graph: sources, roles, how they overlap, and the explorer page.

    This is the main job `make run` performs.

    \b
    Example:
      datateam overview --html out/explorer.html
    """
    from .graph.output.overview import build_overview, format_overview

    if html and not Path(html).parent.exists():
        Path(html).parent.mkdir(parents=True)
    result = build_overview(_state().knowledge_graph(), html=Path(html) if html else None, by=by, top=top,
                            min_shared=min_shared, include_conditional=include_conditional)
    emit(to_json(result) if fmt == "json" else format_overview(result))


# ---------------------------------------------------------------------------------------------
# SPARQL from the command line and the named queries

QUERY_FORMATS = ["table", "csv", "tsv", "json", "xml", "ttl", "nt", "jsonld", "rdfxml"]


@main.command()
@click.argument("source", required=False, metavar="[FILE | NAME]")
@click.option("-e", "--expression", metavar="TEXT", help="The query itself, instead of a FILE or NAME.")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind a parameter as an RDF term (repeatable); names of roles, tools, ... are resolved.")
@click.option("--format", "-f", "fmt", type=click.Choice(QUERY_FORMATS), default=None,
              help="table/csv/tsv/json/xml for SELECT and ASK, ttl/nt/jsonld/rdfxml for CONSTRUCT and DESCRIBE "
                   "[default: from the --output extension, else table on a terminal, csv otherwise; ttl for graphs].")
@output_option
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=defaults.QUERY_TIMEOUT,
              show_default=True, metavar="SECONDS", help="Seconds the query may run before it is stopped.")
@click.option("--reasoning", type=click.Choice(["none", "rdfs", "owlrl"]), default="none", show_default=True,
              help="Also see what the ontology entails (subclasses, inverses, symmetric and transitive links).")
@click.option("--max-rows", type=click.IntRange(min=1), default=None, metavar="N",
              help="Keep at most this many rows (or triples).")
@click.option("--allow-update", is_flag=True,
              help="Allow SPARQL Update; only on your own persistent store (--store DIR).")
@click.option("--base", "base_iri", metavar="IRI", default=None,
              help="Resolve relative IRIs such as <s> against this base [default: https://w3id.org/datateam-kg/]; "
                   "a BASE in the query wins.")
@graph_options
def query(source, expression, params, fmt, output, timeout, reasoning, max_rows, allow_update, base_iri):
    """Run a SPARQL query: from a FILE, a named query NAME, or -e TEXT.

    The project's prefixes are predeclared (`datateam prefixes`) and the default graph is the RDF
    merge of all source graphs (each triple once); GRAPH ?g { ... } tells the sources apart. SERVICE, LOAD and FROM naming
    other graphs are refused, updates too unless --allow-update, and the query is stopped after
    --timeout seconds. A named query's parameters are bound as RDF terms; a role, tool or skill
    parameter takes a name as `datateam show` does.

    \b
    Examples:
      datateam query tools-of-role --param role="data engineer"
      datateam query -e 'SELECT ?tool WHERE { role:data-engineer dt:usesTool ?tool }'
      datateam query my-query.rq --format json -o result.json
      datateam query --reasoning owlrl -e 'SELECT ?r WHERE { role:data-scientist dt:worksWith ?r }'
    """
    from .queries.engine.execute import DEFAULT_BASE_IRI, run_query
    from .queries.named.library import bind_parameters, parse_param_args, read_query_source, run_named_query
    from .queries.sparql.results import choose_format
    from .queries.sparql.safety import query_form

    state = _state()
    base_iri = _absolute_iri(base_iri, "--base") if base_iri is not None else DEFAULT_BASE_IRI
    if allow_update and not state.store:
        raise DatateamError("--allow-update changes data and works only on your own persistent store: "
                            "add --store DIR (the shipped knowledge base and --endpoint are read-only)")
    text, named = read_query_source(source, expression, stdin_text=lambda: sys.stdin.read())
    form = query_form(text)
    out_fmt = choose_format(fmt, output, form, sys.stdout.isatty() and output is None)
    with _remote_deadline(state, timeout):
        kg = state.knowledge_graph(writable=allow_update)
        bindings = bind_parameters(kg, named, parse_param_args(params))
        options = dict(bindings=bindings, timeout=timeout, reasoning=reasoning, allow_update=allow_update,
                       max_rows=max_rows, base_iri=base_iri)
        if named is not None and form != "update":  # its GROUP_CONCAT lists come sorted
            result = run_named_query(kg, named, **options)
        else:
            result = run_query(kg, text, **options)
    if result.kind == "graph" and out_fmt not in ("ttl", "nt", "jsonld", "rdfxml"):
        out_fmt = "ttl"
    emit(result.serialize(out_fmt), output)
    if result.truncated:
        click.echo(f"note: the result was cut at {max_rows} rows (--max-rows)", err=True)
    if result.kind == "update":
        row = result.rows[0]
        click.echo(f"update applied: {row['triples_before']} -> {row['triples_after']} triples", err=True)
        if "dropped_from_default" in row:
            click.echo(f"note: {row['dropped_from_default']} triple(s) written outside any named graph were dropped: "
                       "the default graph is the merge of the named graphs; write inside GRAPH <...>", err=True)


def _absolute_iri(value: str, option: str) -> str:
    """`value` if it is an absolute IRI (as Oxigraph reads one), else a one-line error naming the option."""
    import pyoxigraph as ox

    try:
        return ox.NamedNode(value).value
    except ValueError:
        raise DatateamError(f"{option} {value!r} is not an absolute IRI (e.g. https://example.org/base/)") from None


def _remote_deadline(state: State, seconds: float):
    """With --endpoint, one deadline over every request the command sends (names, graph list, query)."""
    if not state.endpoint:
        return contextlib.nullcontext()
    from .graph.store.http_client import deadline

    return deadline(seconds)


@main.command()
@click.argument("name", required=False)
@format_option("table", "json", "csv", "tsv")
@output_option
@debug_option
def queries(name, fmt, output):
    """List the named queries with their parameters, or show one query's text.

    Run one with `datateam query NAME --param KEY=VALUE`; a parameter left out takes its default,
    and an optional one left out matches everything.

    \b
    Examples:
      datateam queries
      datateam queries tools-of-role
    """
    from .queries.named.library import load_named_query, render_named_queries

    emit(load_named_query(name).text if name else render_named_queries(fmt), output)


@main.command()
@format_option("table", "json", "csv", "tsv", "sparql")
@output_option
@debug_option
def prefixes(fmt, output):
    """List the prefixes every query gets predeclared.

    --format sparql prints them as PREFIX lines for tools that do not predeclare them.

    \b
    Examples:
      datateam prefixes
      datateam prefixes --format sparql -o prefixes.rq
    """
    from .queries.sparql.prefixes import render_prefixes

    emit(render_prefixes(fmt), output)


# ---------------------------------------------------------------------------------------------
# The SPARQL endpoint and the Graph Store upload


@main.command()
@graph_options
@click.option("--host", default=defaults.SERVER_HOST, show_default=True,
              help="Address to listen on; the default answers this machine only.")
@click.option("--port", type=click.IntRange(0, 65535), default=defaults.SERVER_PORT, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--timeout", type=float, default=None,
              help=f"Seconds a query may run before it is stopped [default: {defaults.QUERY_TIMEOUT:g}].")
@click.option("--max-rows", type=click.IntRange(min=1), default=defaults.SERVER_MAX_ROWS, show_default=True,
              help="Cut SELECT results (and CONSTRUCT triples) after this many.")
@click.option("--cors", is_flag=True,
              help="Let web pages of other origins query the endpoint (CORS headers; no cross-origin refusal).")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME[:PORT]",
              help="Also answer requests whose Host header is NAME (e.g. behind a reverse proxy); repeatable. "
                   "Loopback names and the --host address are always answered.")
@click.option("--max-connections", type=click.IntRange(min=1), default=defaults.SERVER_MAX_CONNECTIONS, show_default=True,
              help="Open connections at most (fewer if the descriptor limit is lower).")
@click.option("--client-queries", type=click.IntRange(min=1), default=None,
              help="Queries one client address may have evaluated at once; 32 more may wait "
                   "[default: one per core, 2 to 4].")
@click.option("--memory-limit", type=click.IntRange(min=1), metavar="MB", envvar="DATATEAM_SERVER_MEMORY_MB",
              help="Address space the server process may use, in MB (or $DATATEAM_SERVER_MEMORY_MB) "
                   "[default: what it uses after loading + 4096].")
@click.option("--open", "open_browser", is_flag=True, help="Open the query page in a web browser.")
@click.option("--explorer", type=click.Path(exists=True, dir_okay=False),
              help="Serve this page (written by `datateam explore -o FILE`) at /explorer.")
@click.option("--quiet", is_flag=True, help="Do not log one line per request.")
def serve(host, port, timeout, max_rows, cors, allow_hosts, max_connections, client_queries, memory_limit,
          open_browser, explorer, quiet):
    """Serve the knowledge graph as a read-only SPARQL 1.1 endpoint with a query page.

    The endpoint is /sparql (GET and POST, results by content negotiation, a service description
    without a query); the page at / runs named or typed queries and works offline. Every query
    goes through the same safety checks, time limit and row cap as `datateam query`. Pages of
    other origins may not run queries (unless --cors), and a Host header that does not name this
    server is refused (see --allow-host). Ctrl-C (or SIGTERM) stops the server after the queries
    in flight finish.

    \b
    Examples:
      datateam serve --open
      datateam serve --port 8080 --timeout 10 --max-rows 5000
      datateam serve --allow-host kg.example.org        # behind a reverse proxy for that name
      curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * WHERE { ?r a dt:Role }' http://127.0.0.1:8000/sparql
    """
    from .queries.engine.limits import HttpLimits
    from .queries.server.http_server import make_server, serve as run_server, startup_lines

    kg = _state().knowledge_graph()
    limits = HttpLimits(max_connections=max_connections,
                        **({"client_queries": client_queries} if client_queries else {}))
    server = make_server(kg, host, port, timeout=timeout, max_rows=max_rows, cors=cors, explorer=explorer,
                         log=not quiet, allow_hosts=allow_hosts, limits=limits,
                         memory_limit=memory_limit if memory_limit is not None else "auto")
    for line in startup_lines(server, host, max_connections):
        click.echo(line, err=True)
    run_server(server, on_ready=(lambda srv: open_in_browser(srv.url)) if open_browser else None)
    click.echo("stopped", err=True)


@main.command()
@click.argument("url")
@click.option("--graph-store", metavar="URL",
              help="Graph Store Protocol endpoint (default: guessed from URL: Oxigraph /query -> /store, "
                   "Fuseki /sparql -> /data).")
@click.option("--auth", metavar="USER:PASSWORD", envvar="DATATEAM_PUSH_AUTH",
              help="HTTP Basic credentials (or $DATATEAM_PUSH_AUTH).")
@click.option("--timeout", type=float, default=defaults.PUSH_TIMEOUT, show_default=True,
              help="Seconds allowed per request.")
@graph_options
@format_option("table", "json", "csv", "tsv")
@output_option
def push(url, graph_store, auth, timeout, fmt, output):
    """Upload the knowledge graph to a SPARQL server, one named graph per source (Graph Store Protocol).

    URL is the server's SPARQL query endpoint. Each named graph (ontology, sources, curation, your
    --data files, imports in --store) replaces the graph of the same name on the server, so pushing
    again never duplicates. The triples each graph holds afterwards are counted and checked.

    \b
    Examples:
      datateam push http://127.0.0.1:7878/query
      datateam push http://localhost:3030/kg/sparql --auth admin:secret
      datateam --endpoint http://127.0.0.1:7878/query roles
    """
    from .graph.output.push import parse_auth, push_knowledge_graph, push_summary, render_push, shared_blank_nodes_warning

    if _state().endpoint:
        raise DatateamError("push uploads the local knowledge graph to URL; --endpoint (a remote source) "
                            "cannot be combined with it")
    kg = _state().knowledge_graph()
    warning = shared_blank_nodes_warning(kg)
    if warning:
        click.echo(warning, err=True)
    rows = push_knowledge_graph(kg, url, graph_store_url=graph_store, auth=parse_auth(auth), timeout=timeout)
    emit(render_push(rows, fmt), output)
    click.echo(push_summary(rows), err=True)


# ---------------------------------------------------------------------------------------------
# Analyses


BY_OPTION = click.option("--by", type=click.Choice(["skills", "tools", "responsibilities", "all"]), default="all",
                         show_default=True, help="Compare skills, tools, responsibilities or all three.")


@main.command()
@click.argument("pair", nargs=-1, metavar="[A B]")
@BY_OPTION
@click.option("--matrix", is_flag=True, help="Compare every pair of roles (sparse all-pairs) instead of A and B.")
@click.option("--roles", "role_list", metavar="A,B,...", help="With --matrix: only these roles (comma-separated).")
@click.option("--score", type=click.Choice(["similarity", "jaccard", "weighted"]), default="similarity",
              show_default=True,
              help="With --matrix: the score that ranks the pairs, drawn by --plot and used by --layout square "
                   "(similarity: docs/analysis.md).")
@click.option("--layout", type=click.Choice(["pairs", "square"]), default="pairs", show_default=True,
              help="With --matrix: one row per pair, or the square matrix (table and csv).")
@click.option("--top", type=click.IntRange(min=1), default=None, help="With --matrix: list only the N most overlapping pairs.")
@click.option("--min-shared", type=click.IntRange(min=1), default=None, metavar="N",
              help="With --matrix: list only pairs that share at least N items.")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="With --matrix: write a heatmap to FILE (.png or .svg), roles ordered by cluster.")
@INCLUDE_CONDITIONAL
@graph_options
@format_option("table", "json", "csv")
@output_option
def overlap(pair, by, matrix, role_list, score, layout, top, min_shared, plot, include_conditional, fmt, output):
    """Compare two roles (similarity, Jaccard and level-weighted overlap), or all pairs with --matrix.

    The similarity score weighs items by how specific they are (IDF), counts levels and the graph's
    structure (tool categories, skill and occupation groups) and needs evidence (docs/analysis.md).
    The level-weighted score is Σ min(wA, wB) / Σ max(wA, wB) with core 3, working 2, basic 1 and
    no stated level 2. Shared items are grouped by tool category, skill kind or lifecycle stage.

    \b
    Examples:
      datateam overlap "data scientist" "ML engineer" --by skills
      datateam overlap --matrix --by tools --plot overlap.png
      datateam overlap --matrix --roles "DS,DE,MLE,DA" --format csv -o overlap.csv
      datateam overlap --matrix --min-shared 5 --top 10
    """
    from .graph.analysis import overlap as ov

    kg = _state().knowledge_graph()
    if not matrix:
        if len(pair) != 2:
            raise DatateamError("name two roles (overlap A B), or use --matrix for all pairs")
        if role_list or plot or top or min_shared:
            raise DatateamError("--roles, --plot, --top and --min-shared go with --matrix")
        with _Working("overlap: comparing the two roles"):
            result = ov.overlap(kg, pair[0], pair[1], by=by, include_conditional=include_conditional)
        emit(ov.render_overlap(result, fmt), output)
        return
    if pair:
        raise DatateamError("--matrix compares all roles; name a subset with --roles A,B,... instead of arguments")
    names = [r.strip() for r in role_list.split(",") if r.strip()] if role_list else None
    with _Working("overlap: comparing every pair of roles"):
        m = ov.overlap_matrix(kg, by=by, roles=names, include_conditional=include_conditional,
                              similarity=score == "similarity")
    if plot:
        from .graph.output.heatmap import format_for, heatmap_bytes

        write_atomically(plot, heatmap_bytes(m, format_for(plot), score=score))
        click.echo(f"wrote {plot}", err=True)
    emit(ov.render_matrix(m, fmt, layout=layout, score=score, top=top, min_shared=min_shared), output)


@main.command()
@click.argument("name")
@click.option("--top", type=click.IntRange(min=1), default=defaults.SIMILAR_TOP, show_default=True,
              help="How many roles (or occupations) to list.")
@BY_OPTION
@INCLUDE_CONDITIONAL
@graph_options
@format_option("table", "json", "csv")
@output_option
def similar(name, top, by, include_conditional, fmt, output):
    """The roles (or, with ESCO or O*NET imported, occupations) most similar to NAME, ranked.

    Each comes with its similarity score, the shared items that contribute most (with their
    weights) and what the sources themselves say about the pair. The score is explained in
    docs/analysis.md; at framework scale it is computed once per store and kept beside it.

    \b
    Examples:
      datateam similar "data analyst"
      datateam similar "ML engineer" --by skills --format json
      datateam --store kg similar "data scientist" --top 5
    """
    from .graph.analysis.similar import render_similar

    kg = _state().knowledge_graph()
    with _Working("similar: the similarity of every pair of roles"):
        text = render_similar(kg, name, fmt, top=top, by=by, include_conditional=include_conditional)
    emit(text, output)


@main.command()
@click.option("--from", "from_role", metavar="ROLE", help="Only handoffs from ROLE (with --to: the routes between them).")
@click.option("--to", "to_role", metavar="ROLE", help="Only handoffs to ROLE (with --from: the routes between them).")
@click.option("--shortest", is_flag=True,
              help="With --from and --to: only the chains of handoffs with the fewest hops (not the process).")
@click.option("--workflow", metavar="NAME", help="Only the chain of one workflow, e.g. \"listing categorisation\".")
@click.option("--max-hops", type=click.IntRange(1, 8), default=defaults.HANDOFF_MAX_HOPS, show_default=True,
              help="With --from and --to: the longest chain considered.")
@INCLUDE_CONDITIONAL
@graph_options
@format_option("table", "json", "mermaid", "csv")
@output_option
def handoffs(from_role, to_role, shortest, workflow, max_hops, include_conditional, fmt, output):
    """Show who hands what to whom: workflow chains in step order, or the routes between two roles.

    Each handoff shows its artifact, lifecycle stage, mode and the sources that state it; where
    sources disagree (mode, step) every view is listed. Mermaid output draws sequential handoffs
    as solid arrows, side-by-side ones dotted and disputed ones thick. With --from and --to: the
    routes the sources describe, every hat on the way, ranked by how many sources back each step
    and by lifecycle order (--shortest: the chains with the fewest hops instead).

    \b
    Examples:
      datateam handoffs --workflow "listing categorisation"
      datateam handoffs --from "product manager" --to "ML engineer"
      datateam handoffs --from "product manager" --to "ML engineer" --shortest
      datateam handoffs --format mermaid -o handoffs.mmd
    """
    from .graph.analysis.handoffs import render_handoffs

    emit(render_handoffs(_state().knowledge_graph(), from_role, to_role, workflow, fmt, max_hops=max_hops,
                         include_conditional=include_conditional, shortest=shortest), output)


@main.command()
@click.argument("a")
@click.argument("b")
@INCLUDE_CONDITIONAL
@graph_options
@format_option("table", "json", "csv")
@output_option
def transition(a, b, include_conditional, fmt, output):
    """Show a learning plan from role A to role B: what carries over, what to deepen, what to learn.

    What to deepen and learn comes in ordered groups: foundations, then each lifecycle stage
    (skills before the tools resting on them), then the tools no source gives a level for; every
    item with its sources. Also the responsibilities that change, and the learning distance (the
    share of B's level-weighted skills and tools that A lacks, 0 to 1) with what drove it; a route
    through intermediate roles is shown when its total is shorter than the direct move.

    \b
    Examples:
      datateam transition "data analyst" "ML engineer"
      datateam transition DA DS --format json
    """
    from .graph.analysis.transition import render_transition
    from .graph.analysis.transition import transition as run_transition

    kg = _state().knowledge_graph()
    with _Working("transition: learning distances between every pair of roles"):
        result = run_transition(kg, a, b, include_conditional=include_conditional)
    emit(render_transition(result, fmt), output)


@main.command()
@click.option("--roles", "role_list", metavar="A,B,...", help="The team's roles, comma-separated.")
@click.option("--team", type=click.Path(dir_okay=False), help="A YAML team file: people, each wearing one or more hats.")
@click.option("--next-hire", is_flag=True,
              help="Who to hire next, from the sources' team guidance for the team's situation (and the gaps each closes).")
@click.option("--size", type=click.Choice(["small", "medium", "large"]), default=None,
              help="Organisation size, to pick the sources' team guidance (default: the team file's).")
@click.option("--events-per-day", type=click.IntRange(min=0), default=None, metavar="N",
              help="The data volume, events a day (the sources make it decide a dedicated data engineer). Implies --next-hire.")
@click.option("--serving", type=click.Choice(["online", "batch", "both"]), default=None,
              help="How models are served: online, in batch, or both. Implies --next-hire.")
@click.option("--top", type=click.IntRange(min=1), default=defaults.COVERAGE_TOP, show_default=True,
              help="How many hires to rank.")
@INCLUDE_CONDITIONAL
@graph_options
@format_option("table", "json")
@output_option
def coverage(role_list, team, next_hire, size, events_per_day, serving, top, include_conditional, fmt, output):
    """Show what a team covers and misses per lifecycle stage, and (with --next-hire) who to hire next.

    \b
    Examples:
      datateam coverage --roles "data scientist,data engineer" --next-hire
      datateam coverage --team team.yaml --next-hire --size small --format json
      datateam coverage --roles "data scientist" --size small --events-per-day 300000 --serving online

    \b
    A team file:
      team: marketplace data team
      size: small
      people:
        - name: Ana
          hats: [data scientist, data engineer]
    """
    from .graph.analysis.coverage import coverage as run_coverage
    from .graph.analysis.coverage import render_coverage

    if bool(role_list) == bool(team):
        raise DatateamError("give either --roles or --team")
    next_hire = next_hire or events_per_day is not None or serving is not None
    kg = _state().knowledge_graph()
    with _Working("coverage: what the team covers"):
        result = run_coverage(kg, roles=role_list, team=team, next_hire=next_hire, size=size,
                              top=top, events_per_day=events_per_day, serving=serving,
                              include_conditional=include_conditional)
    emit(render_coverage(result, fmt), output)


@main.command()
@click.option("--top", type=click.IntRange(min=1), default=defaults.BRIDGES_TOP, show_default=True,
              help="How many skills and tools to list.")
@click.option("--type", "item_type", type=click.Choice(["skill", "tool"]), default=None, help="Only skills or only tools.")
@INCLUDE_CONDITIONAL
@graph_options
@format_option("table", "json", "csv")
@output_option
def bridges(top, item_type, include_conditional, fmt, output):
    """Show the skills and tools that connect the most roles (degree, betweenness) and the role clusters.

    \b
    Examples:
      datateam bridges
      datateam bridges --type tool --top 10 --format csv
    """
    from .graph.analysis.bridges import bridges as run_bridges
    from .graph.analysis.bridges import render_bridges

    result = run_bridges(_state().knowledge_graph(), top=top, by_type=item_type, include_conditional=include_conditional)
    emit(render_bridges(result, fmt), output)


# ---------------------------------------------------------------------------------------------
# The explorer


@main.command()
@graph_options
@click.option("--view", type=click.Choice(["hats", "all", "role", "overlap", "handoffs", "tools"]), default=None,
              help="What to show (default: overlap with --compare, else hats: the roles along the lifecycle).")
@click.option("--focus", metavar="NAME", help="Select this node when the page opens; the role view's role.")
@click.option("--depth", type=click.IntRange(0, 10), default=None,
              help="Keep only what lies within N links of --focus (role view: default 1).")
@click.option("--compare", nargs=2, metavar="A B", default=None, help="Two roles for the overlap view.")
@click.option("--format", "-f", "fmt", type=click.Choice(["html", "json"]), default="html", show_default=True,
              help="The page, or its data (nodes, edges, legend) as JSON.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="File to write (default: explorer.html for html, a temporary file with --open, standard "
                   "output for json).")
@click.option("--seed", type=int, default=defaults.EXPLORER_SEED, show_default=True,
              help="Layout seed (same inputs, same page).")
@click.option("--team", type=click.Path(dir_okay=False), default=None,
              help="A team file (as for `coverage --team`): the page opens on the hats it covers and misses.")
@click.option("--open", "open_page", is_flag=True,
              help="Open the written page in the default browser; without -o the page is written to a "
                   "temporary file. When no browser can be started, one line on standard error says where "
                   "the page is and the exit status stays 0.")
def explore(view, focus, depth, compare, fmt, output, seed, team, open_page):
    """Write the interactive explorer: one self-contained HTML page that works offline.

    It opens on the hats (roles) along the lifecycle and the handoffs between them; click a hat for
    its card and its skills, tools and responsibilities, compare two hats, see the overlap heatmap,
    a workflow's handoffs step by step, and with --team where a team is thin. Search by label or
    alias, filter by node type and source. The page loads nothing from the network.

    \b
    Examples:
      datateam explore -o explorer.html
      datateam explore --team team.yaml -o team.html
      datateam explore --view role --focus "data engineer" -o de.html
      datateam explore --compare "data engineer" "ML engineer" -o de-vs-mle.html
      datateam explore --view handoffs --open
    """
    from .graph.explorer import explorer_data, format_written, write_explorer

    kg = _state().knowledge_graph()
    options = {"focus": focus, "depth": depth, "compare": compare, "seed": seed}
    if team is not None:
        options["team"] = team
    if fmt == "json":
        emit(to_json(explorer_data(kg, view, **options)), output)
        return
    temporary = open_page and not output
    path = new_temporary_file("datateam-explorer-", ".html") if temporary else Path(output or "explorer.html")
    try:
        summary = write_explorer(kg, path, view, **options)
    except BaseException:
        if temporary:
            path.unlink(missing_ok=True)
        raise
    click.echo(format_written(summary), err=True)
    if open_page:
        open_in_browser(path)


def open_in_browser(target: Path | str) -> bool:
    """Open a written file (a Path) or a URL in the default web browser; without one, say so on one line of stderr."""
    import webbrowser

    try:
        opened = webbrowser.open(target.resolve().as_uri() if isinstance(target, Path) else target)
    except (webbrowser.Error, OSError):
        opened = False
    if not opened:
        click.echo(f"note: no web browser could be started; open {printable(str(target))} yourself", err=True)
    return opened


# ---------------------------------------------------------------------------------------------
# Imports and the persistent store


def _writable_store():
    """The persistent store opened for writing, or a one-line error saying why there is none."""
    state = _state()
    if state.endpoint:
        raise DatateamError("imports and store commands work on a persistent store, not on --endpoint; "
                            "import into --store PATH, then `datateam push` it")
    if not state.store:
        raise DatateamError("this command writes into a persistent store: add --store PATH (or set "
                            "DATATEAM_STORE=PATH); the store is created on first use")
    state.quiet_attributions = True  # the import report carries the attribution line
    return state.knowledge_graph(writable=True)


class _ProgressBar:
    """A click progress bar on a terminal (standard error); nothing when the output is piped."""

    def __init__(self, title: str):
        self.title = title
        self.bar = None
        self.enabled = sys.stderr.isatty()

    def __enter__(self):
        if self.enabled:
            self.bar = click.progressbar(length=1000, label=self.title, file=sys.stderr, show_eta=False,
                                         width=30)
            self.bar.__enter__()
        return self

    def __call__(self, label: str, fraction: float) -> None:
        if self.bar is not None:
            self.bar.label = f"{self.title}: {label}"
            target = int(max(0.0, min(1.0, fraction)) * 1000)
            if target > self.bar.pos:
                self.bar.update(target - self.bar.pos)
            else:
                self.bar.render_progress()

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)


class _Working:
    """While long work runs, what it is doing and the seconds so far, on one line of standard error.

    Only when standard error is a terminal (nothing is written otherwise, so piped output and logs
    stay as they were), and only once the work has taken `delay` seconds. A thread redraws the line,
    so it keeps counting while Oxigraph works for seconds without returning to Python. Called as a
    progress callback `(label, fraction)` it names the current step and, given, the share done.
    """

    def __init__(self, title: str, *, stream=None, delay: float = 1.0, interval: float = 0.5):
        self.title = title
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.delay, self.interval = delay, interval
        self.label, self.fraction = "", None
        self._stop = threading.Event()
        self._thread = None
        self._started = 0.0
        self._shown = 0

    def __enter__(self):
        if self.enabled:
            self._started = time.monotonic()
            self._thread = threading.Thread(target=self._run, name="datateam-progress", daemon=True)
            self._thread.start()
        return self

    def __call__(self, label: str, fraction: float | None = None) -> None:
        self.label, self.fraction = label, fraction

    def line(self) -> str:
        """The text of the status line as it stands."""
        text = f"{self.title}: {self.label}" if self.label else self.title
        if self.fraction is not None:
            text += f" ({max(0.0, min(1.0, self.fraction)):.0%})"
        return f"{text} … {time.monotonic() - self._started:.0f} s"

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if time.monotonic() - self._started >= self.delay:
                self._draw(self.line())

    def _draw(self, text: str) -> None:
        width = shutil.get_terminal_size((80, 20)).columns - 1
        text = text[:width]
        self.stream.write("\r" + text + " " * max(0, self._shown - len(text)))
        self.stream.flush()
        self._shown = len(text)

    def __exit__(self, *exc):
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            if self._shown:
                self.stream.write("\r" + " " * self._shown + "\r")
                self.stream.flush()


def _import_command(name: str, paths, force: bool, fmt: str, output) -> None:
    from .graph.importers import FRAMEWORKS, format_import_report, import_framework

    kg = _writable_store()
    with _ProgressBar(f"importing {FRAMEWORKS[name].title}") as progress:
        report = import_framework(kg, name, [Path(p) for p in paths], progress=progress if progress.enabled else None,
                                  force=force)
    emit(to_json(report.as_dict()) if fmt == "json" else format_import_report(report, kg.store_path), output)


@main.group("import", cls=DatateamGroup)
@graph_options
def import_group():
    """Import ESCO or O*NET into a persistent store (--store PATH), replacing any earlier import.

    \b
    Examples:
      datateam import esco ../shared/data/esco-v1.1.1 --store kg
      datateam import onet ../shared/data/onet-29.2 --store kg
    """


@import_group.command("esco")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--force", is_flag=True, help="Import again even if the store holds an import of the same files.")
@graph_options
@format_option("text", "json", default="text")
@output_option
def import_esco_command(paths, force, fmt, output):
    """Import the ESCO CSV release (its two zips, or the unpacked CSVs) into graph/import/esco.

    Occupations become roles and skills become skills (knowledge areas, soft and technical skills);
    essential links become core requirements and optional ones working requirements. ESCO's own
    URIs and model properties are kept. A bad row stops the import with its file and line, and the
    store stays as it was.

    \b
    Example:
      datateam import esco ../shared/data/esco-v1.1.1 --store kg
    """
    _import_command("esco", paths, force, fmt, output)


@import_group.command("onet")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--force", is_flag=True, help="Import again even if the store holds an import of the same files.")
@graph_options
@format_option("text", "json", default="text")
@output_option
def import_onet_command(paths, force, fmt, output):
    """Import the O*NET text release (a folder or zip of its .txt files) into graph/import/onet.

    Occupations become roles (alternate titles as aliases); technology skills become tools filed
    under their commodity category, with O*NET's hot-technology and in-demand flags.

    \b
    Example:
      datateam import onet ../shared/data/onet-29.2 --store kg
    """
    _import_command("onet", paths, force, fmt, output)


@main.group("store", cls=DatateamGroup)
@graph_options
def store_group():
    """Inspect or tidy a persistent store (--store PATH or $DATATEAM_STORE).

    \b
    Examples:
      datateam store info --store kg
      datateam store drop import/onet --store kg
    """


def _readable_store():
    state = _state()
    if not state.store:
        raise DatateamError("store commands need a persistent store: add --store PATH (or set DATATEAM_STORE=PATH)")
    if state.endpoint:
        raise DatateamError("--endpoint is a remote store; `datateam store` works on --store PATH")
    return state.knowledge_graph()


@store_group.command("info")
@graph_options
@format_option("table", "json", default="table")
@output_option
def store_info_command(fmt, output):
    """Show what a persistent store holds: graphs, triple counts, when and from where each was loaded.

    \b
    Example:
      datateam store info --store kg
    """
    from .graph.importers import attributions
    from .graph.store.persistent import format_store_info, store_info

    kg = _readable_store()
    _state().quiet_attributions = True  # printed in the report itself
    info = store_info(kg)
    emit(to_json(info) if fmt == "json" else format_store_info(info, attributions(kg)), output)


@store_group.command("drop")
@click.argument("graphs", nargs=-1, required=True)
@graph_options
def store_drop_command(graphs):
    """Remove imported or user graphs from a persistent store (the shipped knowledge base stays).

    GRAPH is the graph's IRI or its name after graph/, e.g. import/onet or user/my-roles.

    \b
    Example:
      datateam store drop import/onet --store kg
    """
    from .graph.store.persistent import graph_iri, graph_name

    kg = _writable_store()
    with _Working("store drop") as progress:
        dropped = kg.drop_graphs([graph_iri(g) for g in graphs], progress=progress)
    click.echo(f"dropped {', '.join(graph_name(d) for d in dropped)} from store {kg.store_path}", err=True)


if __name__ == "__main__":
    main()
