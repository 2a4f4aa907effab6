"""A hostile client of a served endpoint, at the HTTP level: malformed requests, slow clients, too
many connections. Each gets a status code and one plain line (never an empty reply, never a
traceback in the log), and the server goes on answering others.
"""

from __future__ import annotations

import socket
import time

import pytest

from .http_attacks import raw_exchange, running_server, served_command, small_query_answered


def HttpLimits(**bounds):  # noqa: N802 - imported late, so the attacks above also run against older code
    from datateam.queries.engine.limits import HttpLimits as limits

    return limits(**bounds)

HOST = b"Host: 127.0.0.1\r\n"
TLS_CLIENT_HELLO = bytes.fromhex("16030100f5010000f10303") + bytes(32) + b"\x00\x00\x04\x13\x01\x13\x02\x01\x00"

MALFORMED = [
    # (name, bytes sent, status, words of the message)
    ("request line over 64 KiB", b"GET /sparql?query=" + b"A" * (65 * 1024) + b" HTTP/1.1\r\n" + HOST + b"\r\n",
     414, "request line is longer"),
    ("request line over 64 KiB, never ended", b"GET /" + b"a" * (70 * 1024), 414, "request line is longer"),
    ("GET and a line break", b"GET\r\n", 400, "malformed request line"),
    ("GET and a blank line", b"GET\r\n\r\n", 400, "malformed request line"),
    ("HTTP/9.9", b"GET / HTTP/9.9\r\n" + HOST + b"\r\n", 505, "HTTP/9.9 is not supported"),
    ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "HTTP/2 is not supported"),
    ("TLS bytes on the plain port", TLS_CLIENT_HELLO, 400, "use http://, not https://"),
    ("negative Content-Length", b"POST /sparql HTTP/1.1\r\n" + HOST + b"Content-Length: -1\r\n\r\n", 400,
     "Content-Length"),
    ("non-numeric Content-Length", b"POST /sparql HTTP/1.1\r\n" + HOST + b"Content-Length: ten\r\n\r\n", 400,
     "Content-Length"),
    ("Content-Length and Transfer-Encoding", b"POST /sparql HTTP/1.1\r\n" + HOST
     + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "both Content-Length"),
    ("one header of 40 KiB", b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"b" * (40 * 1024) + b"\r\n\r\n", 431,
     "headers are larger"),
    ("300 headers", b"GET / HTTP/1.1\r\n" + HOST + b"".join(b"X-%d: 1\r\n" % i for i in range(300)) + b"\r\n", 431,
     "request headers"),
    ("bytes beyond ASCII in the target", b"GET /\xff\xfe HTTP/1.1\r\n" + HOST + b"\r\n", 400, "malformed request line"),
    ("HTTP/1.1 without Host", b"GET / HTTP/1.1\r\n\r\n", 400, "Host"),
    ("two Host headers", b"GET / HTTP/1.1\r\n" + HOST + b"Host: 127.0.0.1\r\n\r\n", 400, "Host"),
    ("a header line without a colon", b"GET / HTTP/1.1\r\n" + HOST + b"no colon here\r\n\r\n", 400, "malformed request"),
]


@pytest.fixture(scope="module")
def served():
    with served_command("--timeout", "10") as server:
        yield server


@pytest.mark.parametrize("name, data, status, words", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_request_gets_a_status_and_one_line(served, name, data, status, words):
    answer = raw_exchange(served.port, data, read_timeout=10)
    assert answer.status == status, (name, answer.data[:300])
    assert words in answer.text
    assert answer.text.endswith("\n") and answer.text.count("\n") == 1  # one plain line
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.headers["connection"] == "close"
    assert answer.seconds < 5  # answered at once, not after a timeout
    # and the server goes on answering
    small_query_answered(served.port)


def test_the_log_has_one_line_per_refusal_and_no_traceback(served):
    for _name, data, _status, _words in MALFORMED:
        raw_exchange(served.port, data, read_timeout=10)
    time.sleep(0.5)
    log = served.log
    assert "Traceback" not in log and "Exception" not in log
    for _name, _data, status, words in MALFORMED:
        assert any(line.startswith("127.0.0.1 - ") and f" {status} " in line and words in line
                   for line in log.splitlines()), (status, words, log[-2000:])


# ---------------------------------------------------------------------------------------------
# Slow clients: deadlines for the head, the body and idle connections


def test_a_head_sent_a_byte_at_a_time_is_cut_off_at_the_header_timeout(kg):
    limits = HttpLimits(header_timeout=1.5)
    with running_server(kg, limits=limits) as server:
        port = server.server_address[1]
        head = b"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"x" * 400
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            answer = b""
            try:
                for byte in head:
                    sock.sendall(bytes([byte]))
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass
            sock.settimeout(10)
            while chunk := sock.recv(65536):
                answer += chunk
        elapsed = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b"did not arrive within 1.5 s" in answer
        assert 1.4 < elapsed < 6


def test_an_idle_connection_is_closed_at_the_header_timeout(kg):
    with running_server(kg, limits=HttpLimits(header_timeout=1.0)) as server:
        answer = raw_exchange(server.server_address[1], b"", read_timeout=10)
        assert answer.data == b""  # nothing was asked, nothing is answered: closed
        assert 0.9 < answer.seconds < 5


def test_a_slow_body_is_cut_off_at_the_body_timeout(kg):
    with running_server(kg, limits=HttpLimits(body_timeout=1.5)) as server:
        data = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                b"Content-Length: 1000\r\n\r\nASK {")
        answer = raw_exchange(server.server_address[1], data, read_timeout=10)
        assert answer.status == 408, answer.data[:200]
        assert "body did not arrive within 1.5 s" in answer.text
        assert 1.4 < answer.seconds < 6


def test_keep_alive_connections_close_when_idle(kg):
    with running_server(kg, limits=HttpLimits(keep_alive_timeout=1.0)) as server:
        port = server.server_address[1]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /api/queries HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            received = b""
            started = None
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
                if started is None and b"\r\n\r\n" in received:
                    started = time.monotonic()
            idle = time.monotonic() - started
        assert received.startswith(b"HTTP/1.1 200 ")
        assert 0.8 < idle < 5  # kept open for the next request, then closed


# ---------------------------------------------------------------------------------------------
# Caps on connections


def _open_idle(port: int, count: int, source: str) -> list[socket.socket]:
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
        socks.append(sock)
    return socks


def test_connections_beyond_the_cap_get_503_and_others_go_on(kg):
    limits = HttpLimits(max_connections=20, header_timeout=30)
    with running_server(kg, limits=limits) as server:
        port = server.server_address[1]
        held = _open_idle(port, 20, "127.0.0.2")
        try:
            time.sleep(0.3)
            refused = raw_exchange(port, b"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", source="127.0.0.3")
            assert refused.status == 503
            assert "too many open connections" in refused.text
            assert refused.headers["retry-after"].isdigit()
        finally:
            for sock in held[:5]:
                sock.close()
        time.sleep(0.3)
        try:
            small_query_answered(port, source="127.0.0.3")
        finally:
            for sock in held[5:]:
                sock.close()


def test_one_address_cannot_take_every_connection(kg):
    limits = HttpLimits(max_client_connections=10, header_timeout=30)
    with running_server(kg, limits=limits) as server:
        port = server.server_address[1]
        held = _open_idle(port, 10, "127.0.0.2")
        try:
            time.sleep(0.3)
            refused = raw_exchange(port, b"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", source="127.0.0.2")
            assert refused.status == 503 and "too many open connections from 127.0.0.2" in refused.text
            small_query_answered(port, source="127.0.0.3")
        finally:
            for sock in held:
                sock.close()
