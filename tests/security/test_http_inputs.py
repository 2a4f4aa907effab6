"""A hostile client of a served endpoint sending large inputs: request bodies, parameter counts,
and requests that make the server process itself allocate. Each is refused with a one-line error
and bounded memory; the server process has a memory ceiling of its own.
"""

from __future__ import annotations

import os
import socket
import time
import urllib.parse

import pytest

from .http_attacks import raw_exchange, request, running_server, served_command, small_query_answered

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(kg):
    with running_server(kg, timeout=20) as srv:
        yield srv


def port_of(server) -> int:
    return server.server_address[1]


def test_a_body_declared_too_large_is_refused_without_reading_it(server):
    # 10 GB announced, nothing sent: the answer comes at once, from the header alone.
    head = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 10000000000\r\n\r\nASK {}")
    answer = raw_exchange(port_of(server), head, read_timeout=10)
    assert answer.status == 413
    assert answer.text == "the request body is larger than 1048576 bytes (the limit)\n"
    assert answer.seconds < 4  # answered, then the connection closes after a short linger


def test_a_client_still_sending_a_large_body_reads_the_413(server):
    # urllib sends the whole 3 MiB body before it reads: the server must not reset it meanwhile.
    body = b"#" * (3 * MIB) + b"\nASK {}"
    status, _, data, _ = request(port_of(server), "POST", "/sparql", body=body,
                                 headers={"Content-Type": "application/sparql-query"})
    assert status == 413 and data.startswith(b"the request body is larger than")


def test_a_streamed_body_is_cut_at_the_cap(server):
    # chunked: no Content-Length to refuse by; the server stops at the cap, not at the end.
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=10) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"#" * 65536
        sent = 0
        answer = b""
        sock.settimeout(0.05)
        try:
            while sent < 64 * MIB and not answer:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                try:
                    answer = sock.recv(65536)
                except socket.timeout:
                    pass
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(10)
        while not answer.endswith(b"\n"):
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert sent < 16 * MIB  # refused soon after the 1 MiB cap, long before the 64 MiB the client had


def test_too_many_parameters_are_refused(server):
    query = urllib.parse.urlencode([("query", "ASK {}")] + [(f"p{i}", "x") for i in range(500)])
    status, _, data, _ = request(port_of(server), "GET", "/sparql?" + query)
    assert (status, data) == (400, b"too many parameters (at most 200)\n")
    status, _, data, _ = request(port_of(server), "POST", "/sparql", body=query.encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, data) == (400, b"too many form fields (at most 200)\n")
    # the dataset parameters of a real client stay well under the limit
    small_query_answered(port_of(server))


def test_a_get_with_a_body_is_refused(server):
    status, _, data, _ = request(port_of(server), "GET", "/sparql?query=ASK%7B%7D", body=b"x" * 100)
    assert status == 400 and b"has no body here" in data


# ---------------------------------------------------------------------------------------------
# The server process's own memory ceiling


def test_the_server_process_has_a_memory_ceiling(kg):
    with served_command("--quiet", "--memory-limit", "3000") as served:
        soft, hard = served.limit("Max address space")
        assert soft == str(3000 * MIB)
        assert hard == "unlimited"  # left alone: forked query workers set their own
        small_query_answered(served.port)


def test_the_default_ceiling_is_the_loaded_size_plus_4_gib():
    with served_command("--quiet") as served:
        soft, _ = served.limit("Max address space")
        small_query_answered(served.port)
        size = served.status("VmSize")
        assert soft != "unlimited"
        assert size < int(soft) <= size + 4096 * MIB + 1024 * MIB


def test_the_ceiling_follows_the_environment_variable():
    env = dict(os.environ, DATATEAM_SERVER_MEMORY_MB="2500")
    with served_command("--quiet", env=env) as served:
        assert served.limit("Max address space")[0] == str(2500 * MIB)


def test_a_ceiling_too_small_to_work_is_a_one_line_error(runner):
    from datateam.cli import main

    result = runner.invoke(main, ["serve", "--port", "0", "--memory-limit", "10"])
    assert result.exit_code == 1
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("error: a memory limit of 10 MB is too small: the server already uses ")


def test_an_allocation_past_the_ceiling_is_a_503_and_the_server_lives_on():
    # The huge number makes the server process (not a worker) try to allocate gigabytes when it
    # binds the parameter; with the ceiling, that allocation fails at once instead of growing
    # until the kernel kills the process. (Once parameters are bounded, it is a 400 instead.)
    with served_command("--quiet", "--memory-limit", "3000") as served:
        started = time.monotonic()
        status, _, data, _ = request(served.port, "GET",
                                     "/api/queries/common-technical-skills?min_share=1e9999999999")
        assert status in (400, 503), data
        assert len(data.decode().strip().splitlines()) == 1
        assert time.monotonic() - started < 30
        assert served.status("VmHWM") < 3000 * MIB
        small_query_answered(served.port)
        assert "Traceback" not in served.log
