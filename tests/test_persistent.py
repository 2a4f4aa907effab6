"""The persistent on-disk store: creation, KB upgrades, user data, all-or-nothing writes, and locking
between real processes."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from datateam.cli import main
from datateam.graph.errors import DatateamError, ValidationError
from datateam.graph.importers import ONET_GRAPH, import_onet
from datateam.graph.store.persistent import METADATA_GRAPH, GraphRecord, NotAStoreError, StoreBusyError, kb_digest, open_persistent, read_manifest, shipped_graphs, store_info
from datateam.graph.store.factory import load_knowledge_graph

ROOT = Path(__file__).resolve().parent.parent
ONET_SLICE = ROOT / "tests" / "data" / "onet-29.2-slice"
PYTHON = sys.executable
DATATEAM = str(Path(sys.executable).with_name("datateam"))
BASE = "https://w3id.org/datateam-kg/"

USER_TTL = """\
@prefix dt: <https://w3id.org/datateam-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ex: <https://example.org/acme/> .

ex:source a dt:Source ; dcterms:title "ACME's own role catalogue" ; dcterms:identifier "acme" .
ex:data-wrangler a dt:Role ;
    skos:prefLabel "{label}"@en ;
    skos:definition "Tidies the raw exports of the ACME shop before anyone analyses them."@en ;
    dcterms:source ex:source .
"""

HOLDER = textwrap.dedent("""
    import fcntl, sys
    from pathlib import Path
    from datateam.graph.store.persistent import open_persistent
    if sys.argv[2] == "shared-lock":   # a reader that has not looked at the store yet
        handle = open(Path(sys.argv[1]) / "lock")
        fcntl.flock(handle, fcntl.LOCK_SH)
        print("ready", sys.argv[1], flush=True)
        sys.stdin.readline()
        sys.exit(0)
    kg = open_persistent(Path(sys.argv[1]), writable=sys.argv[2] == "write")
    print("ready", kg.location, flush=True)
    sys.stdin.readline()
    kg.close()
""")


def per_graph_counts(kg) -> dict[str, int]:
    return {str(r["g"]): int(r["n"]) for r in kg.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}


@pytest.fixture()
def store(tmp_path):
    path = tmp_path / "kg"
    open_persistent(path).close()
    return path


class Holder:
    """A real process that opens the store (read or write) and keeps it open until released."""

    def __init__(self, path: Path, mode: str):
        self.process = subprocess.Popen([PYTHON, "-c", HOLDER, str(path), mode], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("ready"):
            self.process.kill()
            raise AssertionError(f"holder did not start: {line!r} {self.process.stderr.read()}")
        self.location = line.split(" ", 1)[1].strip()

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write("\n")
            self.process.stdin.flush()
            self.process.wait(timeout=60)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        if self.process.poll() is None:
            self.process.kill()


def run(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([DATATEAM, *args], capture_output=True, text=True, timeout=120, env=env)


# ---------------------------------------------------------------------------------------------
# Creation and contents


def test_a_new_store_holds_exactly_the_shipped_knowledge_base(store):
    memory = load_knowledge_graph()
    with open_persistent(store) as kg:
        counts = per_graph_counts(kg)
        records = kg.records()
    expected = per_graph_counts(memory)
    assert {g: n for g, n in counts.items() if g != str(METADATA_GRAPH)} == expected
    assert set(expected) == {str(g) for g in shipped_graphs()}
    assert {g for g, r in records.items() if r.digest == kb_digest() and r.loaded_from == "shipped knowledge base"} \
        == set(expected)
    assert sorted(p.name for p in store.iterdir()) == sorted(["datateam-store.json", "lock",
                                                              read_manifest(store)["database"]])


def test_reopening_reads_without_rewriting(store):
    manifest = read_manifest(store)
    with open_persistent(store) as kg:
        first = kg.records()
    with open_persistent(store) as kg:
        assert kg.records() == first
        assert not kg.writable
        with pytest.raises(RuntimeError, match="read-write"):
            kg.store.add(ox.Quad(ox.NamedNode("https://example.org/a"), ox.NamedNode("https://example.org/b"),
                                 ox.Literal("c"), ox.NamedNode("https://example.org/g")))
    assert read_manifest(store) == manifest


def test_a_changed_knowledge_base_is_reloaded_and_imports_stay(store):
    with open_persistent(store, writable=True) as kg:
        import_onet(kg, [ONET_SLICE])
        onet_triples = kg.triple_count(URIRef(ONET_GRAPH))
        olx = ox.NamedNode(BASE + "graph/olx-interview")
        victim = next(iter(kg.store.quads_for_pattern(None, None, None, olx)))
        kg.store.remove(victim)                      # as if an older release had shipped a different KB
        kg.store.update(f"""DELETE {{ GRAPH <{METADATA_GRAPH}> {{ ?g <{BASE}ontology#contentDigest> ?d }} }}
                            INSERT {{ GRAPH <{METADATA_GRAPH}> {{ ?g <{BASE}ontology#contentDigest> "sha256:old" }} }}
                            WHERE {{ GRAPH <{METADATA_GRAPH}> {{ ?g <{BASE}ontology#contentDigest> ?d }} }}""")
        assert kg.recorded_kb_digest() == "sha256:old"
    old_database = read_manifest(store)["database"]
    with open_persistent(store) as kg:               # a plain read upgrades the shipped graphs
        assert kg.recorded_kb_digest() == kb_digest()
        assert victim in set(kg.store.quads_for_pattern(None, None, None, olx))
        assert kg.triple_count(URIRef(ONET_GRAPH)) == onet_triples
        assert per_graph_counts(kg)[str(olx.value)] == per_graph_counts(load_knowledge_graph())[olx.value]
    assert read_manifest(store)["database"] != old_database
    assert not (store / old_database).exists()


def test_store_info_matches_sparql_counts(store, runner):
    with open_persistent(store, writable=True) as kg:
        import_onet(kg, [ONET_SLICE])
    result = runner.invoke(main, ["--store", str(store), "store", "info", "--format", "json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    del result
    gc.collect()
    with open_persistent(store) as kg:
        counts = per_graph_counts(kg)
        assert info == store_info(kg)
    assert {g["graph"]: g["triples"] for g in info["graphs"]} == {g: n for g, n in counts.items()
                                                                  if g != str(METADATA_GRAPH)}
    kinds = {g["graph"]: g["kind"] for g in info["graphs"]}
    assert kinds[ONET_GRAPH] == "import"
    assert {g for g, k in kinds.items() if k == "shipped"} == {str(g) for g in shipped_graphs()}
    assert info["kb_current"] is True and info["kb_digest"] == kb_digest()
    assert info["quads"] == sum(n for g, n in counts.items() if g != str(METADATA_GRAPH))
    onet = next(g for g in info["graphs"] if g["graph"] == ONET_GRAPH)
    assert onet["version"] == "29.2" and "Technology Skills.txt" in onet["loaded_from"]


def test_store_info_text_and_drop(store, runner):
    with open_persistent(store, writable=True) as kg:
        import_onet(kg, [ONET_SLICE])
    text = runner.invoke(main, ["--store", str(store), "store", "info"])
    assert text.exit_code == 0 and "import/onet" in text.stdout and "O*NET 29.2 Database" in text.stdout
    dropped = runner.invoke(main, ["--store", str(store), "store", "drop", "import/onet"])
    assert dropped.exit_code == 0, dropped.output
    refused = runner.invoke(main, ["--store", str(store), "store", "drop", "olx-interview"])
    assert refused.exit_code == 1 and "part of the shipped knowledge base" in refused.output
    del text, dropped, refused
    gc.collect()
    with open_persistent(store) as kg:
        assert URIRef(ONET_GRAPH) not in kg.graph_names()
        assert ONET_GRAPH not in kg.records()


# ---------------------------------------------------------------------------------------------
# User data with --store


def test_data_files_are_loaded_once_replaced_when_changed_and_validated(store, tmp_path):
    user = tmp_path / "acme-roles.ttl"
    user.write_text(USER_TTL.replace("{label}", "data wrangler"), encoding="utf-8")
    graph = BASE + "graph/user/acme-roles"
    with open_persistent(store, [user]) as kg:
        labels = {str(r["l"]) for r in kg.select(f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?r a dt:Role ; skos:prefLabel ?l }} }}")}
        assert labels == {"data wrangler"}
        assert kg.records()[graph].digest.startswith("sha256:")
    database = read_manifest(store)["database"]
    with open_persistent(store, [user]) as kg:         # unchanged file: nothing written
        pass
    assert read_manifest(store)["database"] == database
    user.write_text(USER_TTL.replace("{label}", "data janitor"), encoding="utf-8")
    with open_persistent(store, [user]) as kg:
        labels = {str(r["l"]) for r in kg.select(f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?r skos:prefLabel ?l }} }}")}
        assert labels == {"data janitor"}
    # Invalid data: refused with the violation, and the store keeps the previous version.
    user.write_text(USER_TTL.replace("{label}", "broken").replace(
        '    skos:definition "Tidies the raw exports of the ACME shop before anyone analyses them."@en ;\n', ""),
        encoding="utf-8")
    database = read_manifest(store)["database"]
    with pytest.raises(ValidationError) as caught:
        open_persistent(store, [user])
    assert any("needs a definition" in v for v in caught.value.violations)
    assert read_manifest(store)["database"] == database
    with open_persistent(store) as kg:
        assert {str(r["l"]) for r in kg.select(f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?r skos:prefLabel ?l }} }}")} \
            == {"data janitor"}


def test_data_with_store_through_the_console_command(store, tmp_path):
    user = tmp_path / "acme-roles.ttl"
    user.write_text(USER_TTL.replace("{label}", "data wrangler"), encoding="utf-8")
    result = run("--store", str(store), "--data", str(user), "roles", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "data wrangler" in {r["label"] for r in json.loads(result.stdout)}
    again = run("--store", str(store), "roles", "--format", "json")   # it stays in the store
    assert "data wrangler" in {r["label"] for r in json.loads(again.stdout)}


# ---------------------------------------------------------------------------------------------
# All or nothing


def test_a_failed_write_leaves_the_store_as_it_was(store):
    manifest = read_manifest(store)
    with open_persistent(store) as kg:
        before = {str(q) for q in kg.store.quads_for_pattern(None, None, None, None)}

    def half_then_fail(new_store):
        new_store.add(ox.Quad(ox.NamedNode("https://example.org/x"), ox.NamedNode("https://example.org/y"),
                              ox.Literal("z"), ox.NamedNode(BASE + "graph/user/x")))
        raise RuntimeError("disk on fire")

    with open_persistent(store, writable=True) as kg:
        with pytest.raises(RuntimeError, match="disk on fire"):
            kg.replace_graphs([BASE + "graph/olx-interview"], load=half_then_fail,
                              records=[GraphRecord(BASE + "graph/user/x", "test")])
        assert {str(q) for q in kg.store.quads_for_pattern(None, None, None, None)} == before
    assert read_manifest(store) == manifest
    assert sorted(p.name for p in store.iterdir()) == sorted(["datateam-store.json", "lock", manifest["database"]])
    with open_persistent(store) as kg:
        assert {str(q) for q in kg.store.quads_for_pattern(None, None, None, None)} == before


def test_leftovers_of_a_crash_are_cleaned_by_the_next_writer(store):
    live = read_manifest(store)["database"]
    (store / "db-20000101T000000-deadbeef").mkdir()
    (store / "db-20000101T000000-deadbeef" / "000001.sst").write_bytes(b"half written")
    (store / "tmp-import-0123.nq").write_text("<a> <b> <c> .\n")
    with open_persistent(store):                     # readers leave them alone
        pass
    assert (store / "tmp-import-0123.nq").exists()
    with open_persistent(store, writable=True):
        pass
    assert sorted(p.name for p in store.iterdir()) == sorted(["datateam-store.json", "lock", live])


def test_folders_that_are_not_stores_are_refused(tmp_path, runner):
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(NotAStoreError, match="not empty and is not a datateam store"):
        open_persistent(other)
    result = runner.invoke(main, ["--store", str(other), "roles"])
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and "Traceback" not in result.output
    assert sorted(p.name for p in other.iterdir()) == ["cat.jpg"]
    with pytest.raises(NotAStoreError, match="does not exist"):
        open_persistent(tmp_path / "missing" / "kg")


# ---------------------------------------------------------------------------------------------
# Several processes at once


def test_two_readers_at_once_and_a_writer_is_refused(store):
    with open_persistent(store) as kg:
        expected = sorted(str(r["r"]) for r in kg.select("SELECT DISTINCT ?r WHERE { ?r a dt:Role }"))
    manifest = read_manifest(store)
    with Holder(store, "read"):
        result = run("--store", str(store), "roles", "--format", "json")
        assert result.returncode == 0, result.stderr
        assert sorted(r["id"] for r in json.loads(result.stdout)) == expected
        writer = run("--store", str(store), "import", "onet", str(ONET_SLICE))
        assert writer.returncode == 75
        assert writer.stderr.startswith(f"error: store {store} is in use by another datateam process")
        assert writer.stderr.count("\n") == 1 and "Traceback" not in writer.stderr
        assert writer.stdout == ""
        assert read_manifest(store) == manifest
    writer = run("--store", str(store), "import", "onet", str(ONET_SLICE))
    assert writer.returncode == 0, writer.stderr


def test_a_reader_while_a_writer_works_is_refused_then_can_wait(store):
    with Holder(store, "write") as holder:
        reader = run("--store", str(store), "roles")
        assert reader.returncode == 75
        assert reader.stderr.startswith(f"error: store {store} is being written by another datateam process")
        assert reader.stderr.count("\n") == 1
        # With DATATEAM_STORE_WAIT the reader waits for the writer to finish.
        import os

        env = dict(os.environ, DATATEAM_STORE_WAIT="30")
        waiting = subprocess.Popen([DATATEAM, "--store", str(store), "roles", "--format", "json"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(1.0)
        assert waiting.poll() is None                # still waiting for the lock
        holder.release()
        out, err = waiting.communicate(timeout=60)
        assert waiting.returncode == 0, err
        assert json.loads(out)


def test_busy_error_in_process(store):
    with open_persistent(store, writable=True):
        with pytest.raises(StoreBusyError) as caught:
            open_persistent(store)
    assert caught.value.exit_code == 75


def test_location_opens_read_only_in_a_worker_while_the_parent_reads(store):
    """The query engine's worker process reopens kg.location with pyoxigraph.Store.read_only."""
    with open_persistent(store) as kg:
        code = ("import sys, pyoxigraph as ox; s = ox.Store.read_only(sys.argv[1]); "
                "print(len(list(s.quads_for_pattern(None, None, None, None))))")
        out = subprocess.run([PYTHON, "-c", code, str(kg.location)], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert int(out.stdout) == sum(1 for _ in kg.store.quads_for_pattern(None, None, None, None))


def test_an_older_kb_under_a_reader_is_used_with_a_warning(store):
    with open_persistent(store, writable=True) as kg:
        kg.store.update(f"""DELETE {{ GRAPH <{METADATA_GRAPH}> {{ ?g <{BASE}ontology#contentDigest> ?d }} }}
                            INSERT {{ GRAPH <{METADATA_GRAPH}> {{ ?g <{BASE}ontology#contentDigest> "sha256:old" }} }}
                            WHERE {{ GRAPH <{METADATA_GRAPH}> {{ ?g <{BASE}ontology#contentDigest> ?d }} }}""")
    with Holder(store, "shared-lock"):
        result = run("--store", str(store), "roles", "--format", "json")
        assert result.returncode == 0
        assert "holds an older knowledge base; it will be upgraded" in result.stderr
    with open_persistent(store) as kg:               # alone now: upgraded
        assert kg.recorded_kb_digest() == kb_digest()


def test_store_commands_need_a_store(runner, monkeypatch):
    monkeypatch.delenv("DATATEAM_STORE", raising=False)
    result = runner.invoke(main, ["store", "info"])
    assert result.exit_code == 1 and "need a persistent store" in result.output


def test_environment_variable_names_the_store(store, runner, monkeypatch):
    monkeypatch.setenv("DATATEAM_STORE", str(store))
    result = runner.invoke(main, ["store", "info", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["store"] == str(store)


def test_writing_a_read_only_store_is_refused(store):
    with open_persistent(store) as kg:
        with pytest.raises(DatateamError, match="open read-only"):
            kg.replace_graphs([BASE + "graph/user/x"])
