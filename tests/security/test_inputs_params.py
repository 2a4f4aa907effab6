"""Parameter values are bounded (length, digits, exponent) and bad ones are one fast line.

The attack: `min_share=1e9999999999` is 14 bytes of text, but written out as an xsd:decimal (a
form without exponent) it is ten billion digits; it drove `datateam serve` to 23 GB. The CLI and
the server run in subprocesses under a 4 GiB address-space limit, so a regression fails the test
instead of taking the machine down.
"""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from datateam.cli import main
from datateam.queries.sparql.binding import MAX_VALUE_LENGTH, decimal_literal, integer_literal, iri_term
from datateam.queries.sparql.errors import QueryParameterError
from datateam.queries.named.library import Parameter, bind_parameters, convert_value
from processes import stop

MEMORY_LIMIT = 4 * 1024 ** 3
HUGE = "1e9999999999"


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def datateam(*args, timeout=120):
    """Run the real CLI in a subprocess under the memory limit; return (result, seconds)."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "datateam.cli", *args], capture_output=True, text=True,
                            timeout=timeout, preexec_fn=limit_memory)
    return result, time.monotonic() - started


def one_line(result) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_huge_exponent_in_cli_param_is_refused_fast():
    result, seconds = datateam("query", "common-technical-skills", "--param", f"min_share={HUGE}")
    assert one_line(result) == (f"error: --param min_share: '{HUGE}' is out of range (a decimal with at most 20 "
                                "digits before the point and 18 after)")
    assert seconds < 60  # it only loads the knowledge base; no ten-billion-digit number is written


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_huge_exponent_in_server_param_is_400_and_the_server_lives():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "datateam.cli", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=limit_memory)
    base = f"http://127.0.0.1:{port}/api/queries/common-technical-skills"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, "the server exited while starting"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start listening"
                time.sleep(0.1)
        started = time.monotonic()
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{base}?min_share={HUGE}", timeout=60)
        assert info.value.code == 400
        message = info.value.read().decode("utf-8")
        assert "min_share" in message and "out of range" in message
        assert time.monotonic() - started < 30
        assert proc.poll() is None  # still serving
        request = urllib.request.Request(f"{base}?min_share=1", headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=60) as resp:
            assert resp.status == 200
            assert b'"bindings"' in resp.read()
    finally:
        stop(proc, 15)


@pytest.mark.parametrize("value, expected", [
    ("0.5", "0.5"), ("1", "1"), ("2.5e-1", "0.25"), ("-0.125", "-0.125"), ("1e19", "10000000000000000000"),
    ("12.50", "12.5"), (" 3 ", "3"),
])
def test_decimals_within_bounds_are_bound_exactly(value, expected):
    assert decimal_literal(value, "--param x") == Literal(expected, datatype=XSD.decimal)


@pytest.mark.parametrize("value, problem", [
    (HUGE, "is out of range"), ("1e-9999999999", "is out of range"), ("1e20", "is out of range"),
    ("0.1234567890123456789", "is out of range"), ("1" * 21, "is out of range"),
    ("NaN", "is not a number"), ("Infinity", "is not a number"), ("1,5", "is not a number"),
    ("9" * 65, "is not a number"),
])
def test_decimals_out_of_bounds_are_refused(value, problem):
    started = time.monotonic()
    with pytest.raises(QueryParameterError, match=f"^--param x: .* {problem}"):
        decimal_literal(value, "--param x")
    assert time.monotonic() - started < 1


def test_integers_are_bounded_to_64_bits(kg):
    assert integer_literal("9223372036854775807", "--param n") == Literal(2 ** 63 - 1, datatype=XSD.integer)
    with pytest.raises(QueryParameterError, match=r"^--param n: '9223372036854775808' is out of range"):
        integer_literal("9223372036854775808", "--param n")
    with pytest.raises(QueryParameterError, match=r"^--param n: '1e5' is not an integer"):
        convert_value(kg, Parameter("n", "integer"), "1e5")


def test_every_value_is_bounded_in_length(kg):
    long_name = "x" * (MAX_VALUE_LENGTH + 1)
    with pytest.raises(QueryParameterError, match=f"^--param role: the value is {MAX_VALUE_LENGTH + 1:,} characters"):
        convert_value(kg, Parameter("role", "role"), long_name)
    with pytest.raises(QueryParameterError, match="^--param q: the value is"):
        bind_parameters(kg, None, {"q": long_name})


@pytest.mark.parametrize("value", ["<http://a b>", "<http://e/x\ny>", "<rel/path>", "<http://[::1>"])
def test_invalid_iri_in_param_is_one_line(value):
    result = CliRunner().invoke(main, ["query", "-e", "SELECT ?x WHERE { BIND(?r AS ?x) }", "--param", f"r={value}"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --param r: ") and "IRI" in lines[0], result.stderr


def test_invalid_iri_is_refused_by_oxigraphs_parser():
    assert iri_term("https://example.org/é", "x") == URIRef("https://example.org/é")
    with pytest.raises(QueryParameterError, match="not an absolute IRI|not a valid IRI"):
        iri_term("no-scheme", "--param i")


# ---------------------------------------------------------------------------------------------
# <IRI> in angle brackets is a name wherever names are resolved

DE = "<https://w3id.org/datateam-kg/role/data-engineer>"
DS = "<https://w3id.org/datateam-kg/role/data-scientist>"


@pytest.mark.parametrize("args, expected", [
    (["show", DE], "data engineer  (role, https://w3id.org/datateam-kg/role/data-engineer)"),
    (["overlap", DE, DS], "data engineer ↔ data scientist (by all)"),
    (["transition", DE, DS], "data engineer → data scientist"),
    (["query", "tools-of-role", "--param", f"role={DE}", "--format", "csv"], "role,tool,tool_label"),
])
def test_iri_in_angle_brackets_is_a_name(args, expected):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith(expected), result.stdout[:300]
    plain = CliRunner().invoke(main, [a.strip("<>") if a.startswith("<") else a.replace("<", "").replace(">", "")
                                      for a in args])
    assert plain.stdout == result.stdout  # the same as the bare IRI


def test_invalid_iri_in_angle_brackets_is_one_line():
    result = CliRunner().invoke(main, ["show", "<http://a b>"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: '<http://a b>' is not a valid IRI (Invalid IRI code point ' ')"
