"""The analysis commands through click's runner, the installed console command, user data (--data)
and a real Oxigraph server (--endpoint)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from datateam.cli import main
from datateam.graph.analysis.coverage import coverage
from datateam.graph.output.export import export_graph
from datateam.graph.analysis.handoffs import process_routes, workflow_chain
from datateam.graph.analysis.overlap import overlap, overlap_matrix
from datateam.graph.analysis.transition import transition
from test_analysis_oracle import role, role_weights, skill

BIN = Path(sys.executable).parent


def run(runner, *args, code=0):
    result = runner.invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_overlap_pair_json_table_and_csv(runner, kg):
    result = run(runner, "overlap", "analytics engineer", "data analyst", "--by", "tools", "--format", "json")
    data = json.loads(result.stdout)
    assert list(data) == ["a", "b", "by", "jaccard", "weighted", "shared", "only_a", "only_b", "comparisons",
                          "conditional", "undescribed", "similarity"]
    assert data == json.loads(json.dumps(overlap(kg, "analytics engineer", "data analyst", by="tools")))
    from datateam.graph.analysis.similar import pair_similarity

    pair = pair_similarity(kg, "analytics engineer", "data analyst", by="tools")
    assert data["similarity"]["score"] == pair["score"] and data["similarity"]["evidence"] == 2
    assert data["jaccard"] == pytest.approx(1 / 7, abs=1e-6)
    table = run(runner, "overlap", "AE", "DA", "--by", "tools").stdout
    assert "Jaccard 0.143 (2 shared of 14)" in table and "level-weighted 0.138" in table
    assert f"similarity {pair['score']:.3f} (IDF-weighted cosine" in table
    assert "tool: transformation" in table
    rows = list(csv.DictReader(io.StringIO(run(runner, "overlap", "AE", "DA", "--by", "tools", "-f", "csv").stdout)))
    assert [r["has"] for r in rows].count("both") == 2 and len(rows) == 14


def test_overlap_matrix_outputs(runner, kg, tmp_path):
    plot = tmp_path / "overlap.svg"
    out = tmp_path / "pairs.csv"
    run(runner, "overlap", "--matrix", "--by", "skills", "--plot", str(plot), "--format", "csv", "-o", str(out))
    m = overlap_matrix(kg, by="skills")
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == len(m.roles) * (len(m.roles) - 1) // 2
    weights = role_weights("skills")
    first = rows[0]
    wa, wb = weights[first["a_id"]], weights[first["b_id"]]
    assert float(first["jaccard"]) == pytest.approx(len(set(wa) & set(wb)) / len(set(wa) | set(wb)), abs=1e-3)
    texts = ["".join(t.itertext()) for t in ET.parse(plot).getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert all(label in texts for label in m.labels)
    square = run(runner, "overlap", "--matrix", "--roles", "DS,DE,MLE", "--layout", "square", "-f", "csv").stdout
    header = next(csv.reader(io.StringIO(square)))
    assert sorted(header) == sorted(["role", "data scientist", "data engineer", "ML engineer"])
    table = run(runner, "overlap", "--matrix", "--by", "all", "--top", "3").stdout
    assert "DevOps engineer" in table.splitlines()[2] and "Clusters" in table
    data = json.loads(run(runner, "overlap", "--matrix", "--roles", "DS,DE,DA", "-f", "json").stdout)
    assert [r["label"] for r in data["roles"]] and len(data["jaccard"]) == 3 and len(data["pairs"]) == 3


def test_overlap_errors_leave_nothing_behind(runner, tmp_path):
    result = runner.invoke(main, ["overlap", "DS"])
    assert result.exit_code == 1 and "error: name two roles" in result.stderr and "Traceback" not in result.output
    result = runner.invoke(main, ["overlap", "DS", "data wizard"])
    assert result.exit_code == 2 and "no role named 'data wizard'" in result.stderr
    bad = tmp_path / "heatmap.jpg"
    result = runner.invoke(main, ["overlap", "--matrix", "--plot", str(bad)])
    assert result.exit_code == 1 and "heatmap.jpg" in result.stderr and not bad.exists()
    assert list(tmp_path.iterdir()) == []


def test_handoffs_command(runner, kg):
    data = json.loads(run(runner, "handoffs", "--workflow", "listing categorisation", "-f", "json").stdout)
    assert data == json.loads(json.dumps(workflow_chain(kg, "listing categorisation")))
    table = run(runner, "handoffs").stdout
    assert "  1. business stakeholder → product manager: feature request" in table
    assert "  2. product manager → data analyst: feature request" in table
    assert " 11. data analyst → product manager: experiment results" in table
    assert "disputed: sequential [jetbrains-roles]; side by side [hitchhiker-roles, olx-interview]" in table
    assert ("1 conditional fact left out: data scientist hands off trained model to DevOps engineer (datamax-\n"
            "hats: anti-pattern description). --include-conditional counts it.") in table
    with_it = run(runner, "handoffs", "--from", "DS", "--include-conditional").stdout
    assert "data scientist → DevOps engineer: trained model" in with_it
    assert "1 conditional fact included (as asked)" in with_it
    mermaid = run(runner, "handoffs", "--workflow", "listing categorisation", "-f", "mermaid").stdout
    assert mermaid.startswith("flowchart LR\n") and mermaid.count("-->") + mermaid.count("-.->") == 15
    paths = run(runner, "handoffs", "--from", "PM", "--to", "MLE").stdout
    # the process the interview walks through first; the shortest chain second, and labelled
    assert "1. product manager → data analyst → data engineer → data scientist → ML engineer\n" in paths
    assert "2. product manager → data scientist → ML engineer\n" in paths
    assert "Shortest chain of handoffs (fewest hops, not the process): product manager → data scientist → ML engineer" in paths
    routes = json.loads(run(runner, "handoffs", "--from", "PM", "--to", "MLE", "-f", "json").stdout)
    assert routes == json.loads(json.dumps(process_routes(kg, "PM", "MLE")))
    steps = list(csv.DictReader(io.StringIO(run(runner, "handoffs", "--from", "PM", "--to", "MLE", "-f", "csv").stdout)))
    assert [(r["rank"], r["step"], r["from"], r["backed_by"]) for r in steps][:2] == [
        ("1", "2", "product manager", "1"), ("1", "3", "data engineer", "1")]
    assert [r["step"] for r in steps if r["rank"] == "1"] == ["2", "3", "4", "5", "6", "7"]
    flow = run(runner, "handoffs", "--from", "PM", "--to", "MLE", "-f", "mermaid").stdout
    assert '    data_scientist -.->|"7. model web service"| ml_engineer' in flow
    short = run(runner, "handoffs", "--from", "PM", "--to", "MLE", "--shortest").stdout
    assert short.startswith("Handoff chains from product manager to ML engineer (1, shortest first)\n"
                            "1. product manager → data scientist → ML engineer\n")
    result = runner.invoke(main, ["handoffs", "--from", "PM", "--shortest"])
    assert result.exit_code == 1 and result.stderr == "error: --shortest needs both --from and --to\n"
    rows = list(csv.DictReader(io.StringIO(run(runner, "handoffs", "--to", "business stakeholder", "-f", "csv").stdout)))
    assert {r["from"] for r in rows} == {"analytics engineer", "data analyst", "data scientist"}


def test_transition_and_coverage_commands(runner, kg, tmp_path):
    data = json.loads(run(runner, "transition", "DA", "MLE", "-f", "json").stdout)
    assert data == json.loads(json.dumps(transition(kg, "DA", "MLE")))
    text = run(runner, "transition", "data analyst", "ML engineer").stdout
    assert text.startswith("data analyst → ML engineer\nlearning distance 0.868\n  why: the ML engineer's 34 skills and "
                           "tools weigh 68 points")
    assert "\nDeepen (1)\n  Modelling\n    skill machine learning  [basic → no level stated]" in text
    plan = list(csv.DictReader(io.StringIO(run(runner, "transition", "DA", "MLE", "-f", "csv").stdout)))
    assert [(r["status"], r["label"]) for r in plan][0] == ("learn", "software engineering best practices")
    assert [(r["status"], r["from_level"], r["to_level"], r["sources"]) for r in plan if r["label"] == "machine learning"] == [
        ("deepen", "basic", "", "hitchhiker-roles; olx-interview")]
    assert len(plan) == 29 + 1 + 4
    advice = json.loads(run(runner, "coverage", "--roles", "DS", "--size", "small", "--events-per-day", "100000",
                            "--serving", "batch", "-f", "json").stdout)
    assert advice == json.loads(json.dumps(coverage(kg, roles="DS", next_hire=True, size="small",
                                                    events_per_day=100_000, serving="batch")))
    assert [r["role"] for r in advice["advice"]["recommend"]] == ["ML engineer", "data analyst"]
    assert [r["role"] for r in advice["advice"]["held_back"]] == ["data engineer"]
    table = run(runner, "coverage", "--roles", "DS", "--size", "small", "--events-per-day", "5000000").stdout
    assert "Next hire from the team's situation (size small, 5,000,000 events a day, serving not given)\n" \
           "  1. data engineer: 3 pieces of guidance from 1 source (olx-interview)" in table
    assert "    --events-per-day below 2,000,000: ML engineer, data analyst; not yet: data engineer\n" in table
    bad = runner.invoke(main, ["coverage", "--roles", "DS", "--serving", "streaming"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    cov = json.loads(run(runner, "coverage", "--roles", "data scientist,data engineer", "--next-hire", "-f", "json").stdout)
    assert cov == json.loads(json.dumps(coverage(kg, roles="data scientist,data engineer", next_hire=True)))
    assert cov["next_hire"][0]["role"] == "ML engineer"
    team = tmp_path / "team.yaml"
    team.write_text("people:\n  - name: Ana\n    hats: [DS, DE\n", encoding="utf-8")
    result = runner.invoke(main, ["coverage", "--team", str(team)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {team}:") and "not valid YAML" in result.stderr
    assert "Traceback" not in result.output
    result = runner.invoke(main, ["coverage"])
    assert result.exit_code == 1 and "either --roles or --team" in result.stderr


def test_bridges_command(runner):
    rows = list(csv.DictReader(io.StringIO(run(runner, "bridges", "--top", "4", "-f", "csv").stdout)))
    assert [r["label"] for r in rows][:1] == ["communication"] and len(rows) == 4
    text = run(runner, "bridges", "--type", "tool", "--top", "3").stdout
    assert "Python" in text and "Role clusters" in text


def test_user_data_changes_the_answer(runner, tmp_path):
    data = tmp_path / "our-roles.ttl"
    data.write_text("""
        @prefix dt: <https://w3id.org/datateam-kg/ontology#> .
        @prefix role: <https://w3id.org/datateam-kg/role/> .
        @prefix skill: <https://w3id.org/datateam-kg/skill/> .
        role:data-engineer dt:requiresSkill skill:statistics, skill:feature-engineering .
    """, encoding="utf-8")
    before = json.loads(run(runner, "overlap", "DE", "DS", "--by", "skills", "-f", "json").stdout)
    after = json.loads(run(runner, "--data", str(data), "overlap", "DE", "DS", "--by", "skills", "-f", "json").stdout)
    w = role_weights("skills")
    de, ds = set(w[role("data-engineer")]), set(w[role("data-scientist")])
    de_plus = de | {skill("statistics"), skill("feature-engineering")}
    assert before["jaccard"] == pytest.approx(len(de & ds) / len(de | ds), abs=1e-6)
    assert after["jaccard"] == pytest.approx(len(de_plus & ds) / len(de_plus | ds), abs=1e-6)
    shared = {i["id"]: i for items in after["shared"].values() for i in items}
    assert shared[skill("statistics")]["sources_a"] == ["user/our-roles"]


def test_installed_console_command(tmp_path):
    command = shutil.which("datateam", path=str(BIN)) or shutil.which("datateam")
    assert command, "the datateam console command is installed with the package"
    png = tmp_path / "heatmap.png"
    done = subprocess.run([command, "overlap", "--matrix", "--by", "tools", "--plot", str(png), "-f", "json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["by"] == "tools" and len(data["roles"]) == len(data["jaccard"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    done = subprocess.run([command, "transition", "DA", "nobody at all"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("error: no role named") and "Traceback" not in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def oxigraph_endpoint(kg, tmp_path):
    """A real Oxigraph server on 127.0.0.1 holding the shipped knowledge base (one named graph per source)."""
    binary = shutil.which("oxigraph", path=str(BIN))
    assert binary, "the oxigraph server binary comes with the test dependencies"
    dump = tmp_path / "kb.nq"
    dump.write_bytes(export_graph(kg, "nquads"))
    location = tmp_path / "store"
    subprocess.run([binary, "load", "--location", str(location), "--file", str(dump)], check=True,
                   capture_output=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen([binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}?query=ASK%7B%7D", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_commands_give_the_same_answers_over_a_remote_endpoint(runner, oxigraph_endpoint):
    env = {"DATATEAM_ENDPOINT_UNION": "dataset"}
    for args in (["overlap", "--matrix", "--by", "all", "-f", "json"],
                 ["overlap", "DS", "MLE", "-f", "json"],
                 ["handoffs", "-f", "json"],
                 ["transition", "DA", "DS", "-f", "json"],
                 ["coverage", "--roles", "DS,DE", "--next-hire", "-f", "json"],
                 ["bridges", "-f", "json"]):
        local = run(runner, *args).stdout
        remote = runner.invoke(main, ["--endpoint", oxigraph_endpoint, *args], env=env, catch_exceptions=False)
        assert remote.exit_code == 0, remote.output
        assert json.loads(remote.stdout) == json.loads(local), args
