"""A hostile web page in the user's browser: cross-origin requests and DNS rebinding, at the header
level (tests/security/test_http_browser.py does the same from a real Chromium).

A spy wraps `run_query` (the real one still runs) to prove that a refused request never reaches
evaluation.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest

from datateam.cli import main

from .http_attacks import request, running_server, spy  # noqa: F401 - spy is a fixture

MARK = "SELECT ?who WHERE { BIND('origin-check' AS ?who) }"


@pytest.fixture(scope="module")
def server(kg):
    with running_server(kg, timeout=20) as srv:
        yield srv


@pytest.fixture(scope="module")
def cors_server(kg):
    with running_server(kg, timeout=20, cors=True) as srv:
        yield srv


def post(port, headers, *, text=MARK, content_type="application/x-www-form-urlencoded", host=None):
    body = urllib.parse.urlencode({"query": text}).encode() if content_type.endswith("urlencoded") else text.encode()
    all_headers = {"Content-Type": content_type, "Accept": "application/sparql-results+json", **headers}
    if host is not None:
        all_headers["Host"] = host
    status, got, data, _ = request(port, "POST", "/sparql", body=body, headers=all_headers)
    return status, got, data.decode("utf-8", "replace")


def port_of(server) -> int:
    return server.server_address[1]


# ---------------------------------------------------------------------------------------------
# Cross-origin requests


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors", "Origin": "http://127.0.0.1:9999"},
    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},   # a <form> posted from another site
    {"Origin": "https://evil.example"},                                # an older browser: Origin only
    {"Origin": "null"},                                                # a sandboxed frame, a file:// page
    {"Origin": "http://127.0.0.1:1"},                                  # another port of this machine
], ids=["cross-site", "same-site", "form-navigation", "origin-only", "origin-null", "other-port"])
def test_cross_origin_post_is_refused_and_the_query_does_not_run(server, spy, headers):
    status, got, text = post(port_of(server), headers)
    assert status == 403, text
    assert text.startswith("cross-origin request refused:") and "--cors" in text
    assert "access-control-allow-origin" not in got
    assert spy.ran("origin-check") == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/sparql-query", "application/sparql-update",
                                          "multipart/form-data; boundary=x"])
def test_every_body_type_a_page_can_send_is_refused(server, spy, content_type):
    status, _, text = post(port_of(server), {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
                           content_type=content_type)
    assert status == 403 and text.startswith("cross-origin request refused:")
    assert spy.ran("origin-check") == 0


@pytest.mark.parametrize("path", [
    "/sparql?" + urllib.parse.urlencode({"query": MARK}),
    "/api/queries/tools-of-role?role=data+engineer",
])
def test_cross_site_get_that_runs_a_query_is_refused(server, spy, path):
    # an <img> or <script> on any page can send these
    status, _, data, _ = request(port_of(server), "GET", path, headers={"Sec-Fetch-Site": "cross-site",
                                                                        "Sec-Fetch-Mode": "no-cors"})
    assert status == 403 and data.decode().startswith("cross-origin request refused:")
    assert spy.texts == []


@pytest.mark.parametrize("path", ["/", "/assets/page.js", "/api/info", "/api/queries", "/sparql"])
def test_cross_site_requests_that_run_nothing_are_answered(server, path):
    status, _, _, _ = request(port_of(server), "GET", path, headers={"Sec-Fetch-Site": "cross-site"})
    assert status == 200


@pytest.mark.parametrize("headers", [
    {},                                                            # curl, SPARQLWrapper, a notebook
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:{port}"},  # the query page itself
    {"Sec-Fetch-Site": "none"},                                    # typed into the address bar
    {"Origin": "http://127.0.0.1:{port}"},                         # same origin, an older browser
], ids=["no-browser", "same-origin", "address-bar", "same-origin-without-sec-fetch"])
def test_same_origin_and_non_browser_requests_run(server, spy, headers):
    port = port_of(server)
    status, _, text = post(port, {k: v.format(port=port) for k, v in headers.items()})
    assert status == 200, text
    assert json.loads(text)["results"]["bindings"] == [{"who": {"type": "literal", "value": "origin-check"}}]
    assert spy.ran("origin-check") == 1


def test_with_cors_other_origins_may_query(cors_server, spy):
    status, got, text = post(port_of(cors_server), {"Sec-Fetch-Site": "cross-site", "Origin": "https://yasgui.example"})
    assert status == 200, text
    assert got["access-control-allow-origin"] == "*"
    assert spy.ran("origin-check") == 1


# ---------------------------------------------------------------------------------------------
# The Host header (DNS rebinding)


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1.evil.example:{port}",
                                  "localhost.:1", "127.0.0.1:1", "[::2]:{port}", "bad host"])
def test_a_host_that_is_not_this_server_is_refused(server, spy, host):
    port = port_of(server)
    status, _, text = post(port, {}, host=host.format(port=port))
    assert status == 400, text
    assert "Host" in text and "--allow-host" in text or "invalid Host header" in text
    assert len(text.strip().splitlines()) == 1
    assert spy.texts == []


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LOCALHOST:{port}",
                                  "127.0.0.1"])
def test_loopback_names_of_the_bound_port_are_answered(server, spy, host):
    status, _, text = post(port_of(server), {}, host=host.format(port=port_of(server)))
    assert status == 200, text
    assert spy.ran("origin-check") == 1


def test_allow_host_names_a_reverse_proxy(kg, spy):
    with running_server(kg, allow_hosts=("kg.example.org", "kg.internal:8443")) as srv:
        port = port_of(srv)
        for host in ("kg.example.org", "kg.example.org:443", "KG.example.org", "kg.internal:8443", f"localhost:{port}"):
            status, _, text = post(port, {}, host=host)
            assert status == 200, (host, text)
        for host in ("kg.example.org.evil.example", "evil.kg.example.org", "kg.internal:9"):
            status, _, text = post(port, {}, host=host)
            assert status == 400, (host, text)
        # the service description names the endpoint by the allowed name the client used
        status, _, data, _ = request(port, "GET", "/sparql", headers={"Host": "kg.example.org",
                                                                      "Accept": "application/n-triples"})
        assert status == 200
        assert b"<http://www.w3.org/ns/sparql-service-description#endpoint> <http://kg.example.org/sparql>" in data
    assert spy.ran("origin-check") == 5


def test_host_policy_when_listening_on_every_address():
    from datateam.queries.server.origin import HostPolicy

    policy = HostPolicy("0.0.0.0", 8000, ["kg.example.org"])
    assert policy.refusal("192.168.1.20:8000") is None   # an address: not a rebinding name
    assert policy.refusal("[fe80::1]:8000") is None
    assert policy.refusal("kg.example.org") is None
    assert "--allow-host myhost.lan:8000" in policy.refusal("myhost.lan:8000")
    bound = HostPolicy("192.168.1.20", 8000)
    assert bound.refusal("192.168.1.20:8000") is None
    assert bound.refusal("192.168.1.21:8000") is not None


def test_allow_host_option_refuses_a_malformed_name(runner):
    result = runner.invoke(main, ["serve", "--port", "0", "--allow-host", "not a name"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == \
        "error: --allow-host 'not a name' is not a host name (NAME or NAME:PORT)"
