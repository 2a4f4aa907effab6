"""Benchmark: `datateam serve` under load and under attack, on loopback.

Three measurements, each against the console command started in a subprocess (shipped knowledge
base, warm workers, the defaults of `datateam serve`):

- load: 20 clients, each from its own loopback address on one kept-alive connection, send 200
  small queries each (a mix of four SELECTs whose answers are checked exactly); errors, latency
  p50/p95, throughput. Also the same 20 clients from one address (sharing its query turns);
- runaway: one client (127.0.0.2) sends 12 queries that run until the time limit; another
  (127.0.0.3) sends small queries meanwhile: their latency;
- slow clients: 3,000 connections (from 8 addresses) send a request head one byte a second; a
  probe from 127.0.0.1 is timed during the connection burst and then 40 times while they hold
  their connections; how many the server held.

Clients run in their own processes (so their Python does not compete with the probe's). Only
loopback addresses are used; every loop is bounded.

    .venv/bin/python bench/bench_server.py            # prints a table and the rows as JSON
    from bench.bench_server import run; rows = run()  # rows for bench/run.py
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

DATATEAM = Path(sys.executable).parent / "datateam"
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SMALL_QUERY = "ASK { role:data-engineer dt:usesTool tool:apache-airflow }"
LOAD_QUERIES = [
    "SELECT DISTINCT ?role WHERE { ?role a dt:Role } ORDER BY ?role",
    "SELECT DISTINCT ?role ?tool WHERE { ?role dt:usesTool ?tool } ORDER BY ?role ?tool",
    "SELECT ?tool WHERE { role:data-engineer dt:usesTool ?tool } ORDER BY ?tool",
    "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?r dt:usesTool ?t }",
]
CLIENTS = 20
QUERIES_PER_CLIENT = 200
SLOW_CLIENTS = 3000
SLOW_SOURCES = [f"127.0.1.{i}" for i in range(1, 9)]
SLOW_HEAD = b"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"x" * 200


class Served:
    """`datateam serve` in a subprocess on a free port of 127.0.0.1."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen([str(DATATEAM), "serve", "--port", "0", "--quiet", *args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        first = self.proc.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/sparql", first)
        if not match:
            self.proc.kill()
            raise RuntimeError(f"the server did not start: {first}")
        self.port = int(match.group(1))
        threading.Thread(target=lambda: self.proc.stderr.read(), daemon=True).start()

    def stop(self) -> None:
        self.proc.send_signal(2)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _form(text: str) -> bytes:
    return urllib.parse.urlencode({"query": text}).encode()


HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}


def _post(conn: http.client.HTTPConnection, text: str) -> tuple[int, bytes]:
    conn.request("POST", "/sparql", body=_form(text), headers=HEADERS)
    response = conn.getresponse()
    return response.status, response.read()


def _client(args) -> tuple[list[float], int, int]:
    """One load client: `count` queries on one kept-alive connection; (latencies, errors, reconnects)."""
    port, source, index, count, expected = args
    latencies, errors, reconnects = [], 0, 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    for i in range(count):
        key = (index + i) % len(LOAD_QUERIES)
        started = time.perf_counter()
        try:
            status, body = _post(conn, LOAD_QUERIES[key])
        except (OSError, http.client.HTTPException):
            errors += 1
            reconnects += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
            continue
        latencies.append(time.perf_counter() - started)
        if status != 200 or json.loads(body)["results"]["bindings"] != expected[key]:
            errors += 1
    conn.close()
    return latencies, errors, reconnects


def _ready(_index: int) -> None:
    time.sleep(0.2)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def load(port: int, *, one_address: bool) -> dict:
    """20 clients x 200 queries; errors, p50, p95 (ms), queries per second."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    expected = [json.loads(_post(conn, q)[1])["results"]["bindings"] for q in LOAD_QUERIES]
    conn.close()
    jobs = [(port, "127.0.0.1" if one_address else f"127.0.2.{i + 1}", i, QUERIES_PER_CLIENT, expected)
            for i in range(CLIENTS)]
    with multiprocessing.get_context("spawn").Pool(CLIENTS) as pool:
        pool.map(_ready, range(CLIENTS), chunksize=1)  # every client process started before timing
        started = time.perf_counter()
        results = pool.map(_client, jobs, chunksize=1)
        wall = time.perf_counter() - started
    latencies = [x for r in results for x in r[0]]
    return {"queries": CLIENTS * QUERIES_PER_CLIENT, "errors": sum(r[1] for r in results),
            "p50_ms": _percentile(latencies, 0.5) * 1000, "p95_ms": _percentile(latencies, 0.95) * 1000,
            "max_ms": max(latencies) * 1000, "per_s": CLIENTS * QUERIES_PER_CLIENT / wall, "wall_s": wall}


def _probe(port: int, source: str = "127.0.0.1") -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    try:
        status, body = _post(conn, SMALL_QUERY)
    finally:
        conn.close()
    if status != 200 or json.loads(body) != {"head": {}, "boolean": True}:
        raise RuntimeError(f"the probe got HTTP {status}: {body[:200]!r}")
    return time.perf_counter() - started


def runaway(port: int, timeout: float) -> dict:
    """12 runaway queries from one client; latency of small queries from another meanwhile."""
    answers = []

    def run_one():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout * 4 + 30, source_address=("127.0.0.2", 0))
        try:
            answers.append(_post(conn, RUNAWAY_QUERY)[0])
        finally:
            conn.close()

    threads = [threading.Thread(target=run_one, daemon=True) for _ in range(12)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # they are all in: four evaluating, eight waiting their turn
    probes = []
    for _ in range(20):
        probes.append(_probe(port, "127.0.0.3"))
        time.sleep(0.1)
    still_running = len(answers) == 0
    for thread in threads:
        thread.join(timeout * 4 + 60)
    return {"p50_ms": statistics.median(probes) * 1000, "max_ms": max(probes) * 1000,
            "runaway_answers": sorted(answers), "probes_while_runaway": still_running}


def slow_clients(port: int) -> dict:
    """3,000 connections sending a head a byte a second; probe latency during the burst and after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = SLOW_CLIENTS + 500
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
    socks = []
    stop = threading.Event()
    for index in range(SLOW_CLIENTS):
        sock = socket.socket()
        sock.setblocking(False)
        sock.bind((SLOW_SOURCES[index % len(SLOW_SOURCES)], 0))
        sock.connect_ex(("127.0.0.1", port))
        socks.append(sock)

    def drip():
        sent = 0
        while not stop.is_set() and sent < len(SLOW_HEAD):
            for sock in socks:
                try:
                    sock.send(SLOW_HEAD[sent:sent + 1])
                except OSError:
                    pass
            sent += 1
            stop.wait(1.0)

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    try:
        burst = _probe(port)
        held_probes = []
        for _ in range(40):
            time.sleep(0.05)
            held_probes.append(_probe(port))
        held = 0
        for sock in socks:
            try:
                sock.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK)
            except BlockingIOError:
                held += 1
            except OSError:
                pass
    finally:
        stop.set()
        dripper.join(5)
        for sock in socks:
            sock.close()
    return {"burst_ms": burst * 1000, "p50_ms": statistics.median(held_probes) * 1000,
            "p95_ms": _percentile(held_probes, 0.95) * 1000, "max_ms": max(held_probes) * 1000, "held": held}


def run() -> list[dict]:
    """Every measurement; rows in bench/run.py's format."""
    rows = []
    served = Served()
    try:
        spread = load(served.port, one_address=False)
        shared = load(served.port, one_address=True)
    finally:
        served.stop()
    for label, r in (("20 addresses", spread), ("one address", shared)):
        rows.append({"name": f"serve: {CLIENTS} clients x {QUERIES_PER_CLIENT} queries ({label}), p50", "ours_s": r["p50_ms"] / 1000,
                     "baseline_s": None, "baseline": "", "ratio": None, "target": "0 errors", "met": r["errors"] == 0,
                     "note": f"{r['errors']} errors, p95 {r['p95_ms']:.1f} ms, max {r['max_ms']:.0f} ms, "
                             f"{r['per_s']:.0f} queries/s"})
    served = Served("--timeout", "10")
    try:
        r = runaway(served.port, 10.0)
    finally:
        served.stop()
    rows.append({"name": "serve: small query from another client during 12 runaway queries, max", "ours_s": r["max_ms"] / 1000,
                 "baseline_s": None, "baseline": "", "ratio": None, "target": "< 1 s", "met": r["max_ms"] < 1000,
                 "note": f"p50 {r['p50_ms']:.1f} ms over 20 probes; runaway answers {r['runaway_answers']}"})
    served = Served()
    try:
        r = slow_clients(served.port)
    finally:
        served.stop()
    rows.append({"name": f"serve: probe while {SLOW_CLIENTS:,} slow clients hold connections, p95", "ours_s": r["p95_ms"] / 1000,
                 "baseline_s": None, "baseline": "", "ratio": None, "target": "< 200 ms", "met": r["p95_ms"] < 200,
                 "note": f"p50 {r['p50_ms']:.1f} ms, max {r['max_ms']:.0f} ms over 40 probes; during the connection "
                         f"burst {r['burst_ms']:.0f} ms; {r['held']:,} connections held"})
    return rows


if __name__ == "__main__":
    result = run()
    for row in result:
        print(f"{row['name']}: {row['ours_s'] * 1000:.1f} ms ({row['note']})")
    print(json.dumps(result, indent=1))
