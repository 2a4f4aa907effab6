"""The analyses as JSON (/api/similar, /api/overlap, /api/transition, /api/coverage, /api/handoffs):
the same answers as the CLI's functions, the same walls as queries (cross-origin, bounded parameters),
one-line errors. The served explorer's use of them is tested in test_explorer_browser.py."""

from __future__ import annotations

import json

import pytest

from datateam.graph.analysis.coverage import coverage
from datateam.graph.analysis.handoffs import list_handoffs
from datateam.graph.analysis.overlap import overlap
from datateam.graph.analysis.transition import transition
from datateam.queries.server.analysis_api import MAX_NAME, MAX_TEAM_ROLES, MAX_TOP
from datateam.queries.server.endpoint import Request, SparqlEndpoint


@pytest.fixture(scope="module")
def endpoint(kg):
    return SparqlEndpoint(kg)


def get(endpoint, path, **params):
    response = endpoint.handle(Request("GET", path, list(params.items()), {}))
    return response.status, response.body.decode("utf-8"), response.content_type


def answer(endpoint, path, **params):
    status, body, ctype = get(endpoint, path, **params)
    assert status == 200, body
    assert ctype == "application/json"
    return json.loads(body)


def plain(data):
    return json.loads(json.dumps(data, default=str))


def test_overlap_transition_coverage_and_handoffs_answer_what_the_cli_functions_answer(endpoint, kg):
    assert answer(endpoint, "/api/overlap", a="DE", b="ML engineer") == plain(overlap(kg, "DE", "ML engineer"))
    assert answer(endpoint, "/api/overlap", a="DE", b="DS", by="tools") == plain(overlap(kg, "DE", "DS", "tools"))
    assert answer(endpoint, "/api/transition", a="data analyst", b="data scientist") == plain(
        transition(kg, "data analyst", "data scientist"))
    got = answer(endpoint, "/api/coverage", roles="data scientist, data engineer", next_hire="1")
    assert got == plain(coverage(kg, roles=["data scientist", "data engineer"], next_hire=True))
    assert got["next_hire"][0]["role"] == "ML engineer"
    small = answer(endpoint, "/api/coverage", roles="data engineer", size="small")
    assert small == plain(coverage(kg, roles=["data engineer"], size="small"))
    assert answer(endpoint, "/api/handoffs", **{"from": "ML engineer"}) == {
        "handoffs": plain(list_handoffs(kg, from_role="ML engineer"))}
    assert len(answer(endpoint, "/api/handoffs")["handoffs"]) == len(list_handoffs(kg))


def test_similar_answers_what_datateam_similar_answers(endpoint, kg):
    from datateam.graph.analysis.similar import similar

    assert answer(endpoint, "/api/similar", role="DevOps engineer", top="3") == plain(similar(kg, "DevOps engineer", top=3))
    assert answer(endpoint, "/api/similar", role="DE", by="tools") == plain(similar(kg, "DE", by="tools"))
    assert answer(endpoint, "/api/similar", role="DevOps engineer")["similar"][0]["label"] == "site reliability engineer"


@pytest.mark.parametrize("path, params, message", [
    ("/api/overlap", {"a": "DE"}, "b: missing (give ?b=NAME)"),
    ("/api/overlap", {"a": "DE", "b": "data enginer"}, "no role named 'data enginer'"),
    ("/api/overlap", {"a": "DE", "b": "DS", "by": "hats"}, "by: 'hats' is not one of all, skills, tools, responsibilities"),
    ("/api/similar", {"role": "DE", "top": str(MAX_TOP + 1)}, f"top: a whole number from 1 to {MAX_TOP}"),
    ("/api/similar", {"role": "x" * (MAX_NAME + 1)}, f"role: at most {MAX_NAME} characters"),
    ("/api/similar", {"role": "data governor"}, "cannot rank roles similar to 'data governor'"),
    ("/api/coverage", {"roles": ",".join(["DE"] * (MAX_TEAM_ROLES + 1))}, f"roles: at most {MAX_TEAM_ROLES} roles"),
    ("/api/coverage", {"roles": "DE", "size": "huge"}, "size: 'huge' is not one of small, medium, large"),
    ("/api/transition", {"a": "DE", "b": "DE"}, "are the same role"),
])
def test_bad_parameters_are_a_400_with_one_line(endpoint, path, params, message):
    status, body, _ = get(endpoint, path, **params)
    assert status == 400 and message in body and body.count("\n") <= 1, body


def test_a_parameter_given_twice_is_refused(endpoint):
    response = endpoint.handle(Request("GET", "/api/overlap", [("a", "DE"), ("a", "DS"), ("b", "DA")], {}))
    assert response.status == 400 and response.body.decode().startswith("a: given more than once")


def test_the_analyses_count_as_queries_for_the_cross_origin_wall_and_the_turns():
    for path in ("/api/similar", "/api/overlap", "/api/transition", "/api/coverage", "/api/handoffs"):
        assert SparqlEndpoint.runs_query("GET", path, [])
        assert not SparqlEndpoint.is_static(Request("GET", path, [], {}))
    assert not SparqlEndpoint.runs_query("GET", "/api/info", [])


def test_over_http_a_page_of_another_origin_is_refused_and_the_same_origin_answered(kg):
    import threading
    import urllib.error
    import urllib.request

    from datateam.queries.server.http_server import make_server

    server = make_server(kg, "127.0.0.1", 0, log=False)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = server.url + "api/overlap?a=DE&b=DS"
        for site in ("cross-site", "same-site"):
            request = urllib.request.Request(url, headers={"Sec-Fetch-Site": site})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=30)
            assert refused.value.code == 403
        request = urllib.request.Request(url, headers={"Sec-Fetch-Site": "same-origin"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200 and json.loads(response.read())["a"]["label"] == "data engineer"
        request = urllib.request.Request(server.url + "api/overlap?" + "&".join(f"p{i}=1" for i in range(5000)))
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code in (400, 414)
    finally:
        server.shutdown()
        server.stop(grace=5)
        thread.join(10)
