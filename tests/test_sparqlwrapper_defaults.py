"""SPARQLWrapper with its defaults, every query form, against a real `datateam serve` on 127.0.0.1.

SPARQLWrapper asks for SPARQL XML results for SELECT and ASK and for RDF/XML for CONSTRUCT and
DESCRIBE unless told otherwise; the server is started by the test on a free port and stopped.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import rdflib
from rdflib import URIRef
from rdflib.compare import isomorphic

from datateam.graph.store.factory import load_knowledge_graph
from datateam.ontology.namespaces import BASE
from processes import stop

ROLE = BASE + "role/"
DT = BASE + "ontology#"


@pytest.fixture(scope="module")
def endpoint():
    command = shutil.which("datateam", path=str(Path(sys.executable).parent))
    assert command, "the console command is installed next to the interpreter"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([command, "serve", "--port", str(port), "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"datateam serve exited: {proc.stderr.read()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/info", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("datateam serve did not start listening") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/sparql"
    finally:
        stop(proc, 20)


@pytest.fixture(scope="module")
def kg():
    return load_knowledge_graph()


def wrapper(endpoint, text):
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(endpoint)
    client.setQuery(text)
    return client


def test_select_with_the_defaults(endpoint):
    # the default graph is the merge of the sources: dt:Role once, not once per source
    result = wrapper(endpoint, "SELECT ?t WHERE { role:data-engineer a ?t }").queryAndConvert()
    values = [n.firstChild.data for n in result.getElementsByTagName("uri")]
    assert values == [DT + "Role"]


def test_ask_with_the_defaults(endpoint):
    result = wrapper(endpoint, "ASK { role:data-engineer dt:usesTool tool:apache-airflow }").queryAndConvert()
    assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"


def test_construct_with_the_defaults_is_rdf_xml(endpoint, kg):
    text = "CONSTRUCT { ?r dt:usesTool ?t } WHERE { ?r dt:usesTool ?t }"
    client = wrapper(endpoint, text)
    response = client.query()
    assert response.response.headers["Content-Type"] == "application/rdf+xml"
    graph = response.convert()
    assert isinstance(graph, rdflib.Graph)
    assert isomorphic(graph, kg.construct(text))
    assert len(graph) == len(kg.construct(text)) > 50


def test_describe_with_the_defaults(endpoint, kg):
    text = "DESCRIBE role:data-engineer"
    graph = wrapper(endpoint, text).queryAndConvert()
    assert isinstance(graph, rdflib.Graph)
    assert isomorphic(graph, kg.construct(text))
    assert (URIRef(ROLE + "data-engineer"), rdflib.RDF.type, URIRef(DT + "Role")) in graph


def test_relative_iris_are_resolved_against_the_endpoint(endpoint):
    graph = wrapper(endpoint, "CONSTRUCT { <s> <p> 1 } WHERE {}").queryAndConvert()
    base = endpoint.rsplit("/", 1)[0] + "/"
    assert set(graph) == {(URIRef(base + "s"), URIRef(base + "p"), rdflib.Literal(1))}
