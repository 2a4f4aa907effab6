"""The ontology renders cleanly in pyLODE: no warnings, unique anchors, a clean title, every
property with a domain; `python -m datateam.ontology.docs` writes the page."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings

import pytest
from rdflib import Graph
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from datateam.ontology.docs import ONTOLOGY_FILE, duplicate_anchors, render_html

pytest.importorskip("pylode", reason="pyLODE is the docs extra: pip install -e '.[docs]'")

TITLE = "datateam-kg: roles, skills, tools, responsibilities and handoffs in data teams"


@pytest.fixture(scope="module")
def html():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = render_html()
    # pyLODE leaves its own stylesheet file open (a ResourceWarning about pyLODE, not the ontology)
    about_us = [w for w in caught if not issubclass(w.category, ResourceWarning)]
    assert about_us == []
    return page


def test_no_duplicate_anchors(html):
    assert duplicate_anchors(html) == []
    assert len(re.findall(r'id="role"', html)) == 1


def test_clean_title(html):
    assert re.findall(r"<h1>(.*?)</h1>", html, re.S) == [TITLE]
    assert re.search(r"<title>(.*?)</title>", html, re.S).group(1) == TITLE


def test_every_property_has_a_domain_and_a_range():
    graph = Graph().parse(ONTOLOGY_FILE)
    properties = {p for t in (OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property)
                  for p in graph.subjects(RDF.type, t)}
    assert len(properties) == 51
    assert sorted(str(p) for p in properties if graph.value(p, RDFS.domain) is None) == []
    assert sorted(str(p) for p in properties if graph.value(p, RDFS.range) is None) == []


def test_one_title_one_label():
    graph = Graph().parse(ONTOLOGY_FILE)
    ontology = next(graph.subjects(RDF.type, OWL.Ontology))
    assert [str(t) for t in graph.objects(ontology, DCTERMS.title)] == [TITLE]
    assert [str(t) for t in graph.objects(ontology, RDFS.label)] == [TITLE]


def test_duplicate_anchors_are_found():
    assert duplicate_anchors('<div id="a"></div><div id="b"></div><div id="a"></div>') == ["a"]


def test_the_module_writes_the_page(tmp_path):
    out = tmp_path / "ontology.html"
    done = subprocess.run([sys.executable, "-m", "datateam.ontology.docs", str(out)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {out}\n"
    assert TITLE in out.read_text(encoding="utf-8")
