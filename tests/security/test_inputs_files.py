"""Hostile or odd data files: XML bombs refused fast, BOMs accepted, binary files and bad bytes
reported whole and on the right line, control characters never echoed raw.

The billion-laughs file goes through the real CLI in a subprocess under a 4 GiB address-space
limit (on the code before the fix it grew past 15 GB), through every way the project reads
RDF/XML: `--data`, `validate`, and `--data` kept in a persistent `--store`.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from datateam.cli import main
from datateam.graph.errors import DataFileError
from datateam.graph.store.rdf_files import parse_file
from datateam.graph.store.xml_guard import refuse_entity_declarations

ROOT = Path(__file__).resolve().parents[2]
ONET_SLICE = ROOT / "tests" / "data" / "onet-29.2-slice"
MEMORY_LIMIT = 4 * 1024 ** 3

PREFIXES = """@prefix dt: <https://w3id.org/datateam-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ex: <https://example.org/acme/> .
"""


def role_file(label: str, definition: str = "Looks after the spreadsheets of the whole company.") -> str:
    return PREFIXES + f"""
ex:handbook a dt:Source ; dcterms:title "ACME handbook"@en ; dcterms:identifier "acme" .
ex:role a dt:Role ; skos:prefLabel "{label}"@en ; skos:definition "{definition}"@en ; dcterms:source ex:handbook .
"""


def billion_laughs(size: int = 974) -> bytes:
    """The classic XML bomb (ten levels of ten references: 3 * 10**9 characters), padded to `size` bytes."""
    entities = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">\n' for i in range(1, 10))
    head = '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY l0 "lol">\n' + entities + "]>\n"
    body = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:skos="http://www.w3.org/2004/02/skos/core#">\n<rdf:Description rdf:about="http://example.org/x">'
            "<skos:prefLabel>&l9;</skos:prefLabel></rdf:Description>\n</rdf:RDF>\n")
    padding = size - len((head + body).encode()) - len("<!--  -->\n")
    assert padding >= 0
    return (head + "<!-- " + "x" * padding + " -->\n" + body).encode()


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def datateam(*args, cwd=None):
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "datateam.cli", *args], capture_output=True, text=True,
                            timeout=180, preexec_fn=limit_memory, cwd=cwd)
    return result, time.monotonic() - started


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# ---------------------------------------------------------------------------------------------
# XML bombs


@pytest.fixture()
def bomb(tmp_path) -> Path:
    path = tmp_path / "laughs.rdf"
    path.write_bytes(billion_laughs())
    assert path.stat().st_size == 974
    return path


BOMB_MESSAGE = ("laughs.rdf:2:19: the XML document's DOCTYPE declares entities or other markup (an internal subset); "
                "such a DOCTYPE is refused because XML entities can expand without bound (remove the DOCTYPE, or "
                "convert the file to Turtle)")


@pytest.mark.parametrize("how", ["data", "validate", "store"])
def test_billion_laughs_fails_fast_with_memory_bounded(bomb, tmp_path, how):
    args = {"data": ["--data", str(bomb), "roles"],
            "validate": ["validate", str(bomb)],
            "store": ["--store", str(tmp_path / "kg"), "--data", str(bomb), "roles"]}[how]
    result, seconds = datateam(*args)
    assert result.returncode == 1
    assert one_line(result.stderr) == f"error: {bomb.parent}/{BOMB_MESSAGE}"
    assert seconds < 90  # loading the knowledge base is most of it; the bomb itself is refused at once


def test_the_guard_reads_only_the_prolog():
    started = time.monotonic()
    with pytest.raises(DataFileError, match="DOCTYPE declares entities"):
        refuse_entity_declarations(billion_laughs(), "bomb")
    # A large document without a DOCTYPE: the check stops at its root element.
    big = b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="x">' + b"<a/>" * 5_000_000 + b"</rdf:RDF>"
    refuse_entity_declarations(big, "big")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("doctype, accepted", [
    ("<!DOCTYPE rdf:RDF>", True),                                        # declares nothing
    ('<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:9/evil.dtd">', False),  # an external DTD to fetch
    ('<!DOCTYPE rdf:RDF [<!ENTITY % p "x">]>', False),                   # a parameter entity
    ('<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "file:///etc/passwd">]>', False),
])
def test_doctypes(tmp_path, doctype, accepted):
    path = tmp_path / "doc.rdf"
    path.write_text('<?xml version="1.0"?>\n' + doctype + '\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
                    'syntax-ns#"><rdf:Description rdf:about="http://e/a"><rdf:value>v</rdf:value></rdf:Description>'
                    "</rdf:RDF>\n", encoding="utf-8")
    if accepted:
        assert len(parse_file(path, "https://example.org/g")) == 1
    else:
        with pytest.raises(DataFileError, match=r"doc\.rdf:2:\d+: the XML document's DOCTYPE "):
            parse_file(path, "https://example.org/g")


# ---------------------------------------------------------------------------------------------
# Byte order marks, binary files, bad bytes


def test_a_utf8_bom_turtle_file_is_accepted(tmp_path):
    path = tmp_path / "bom-roles.ttl"
    path.write_bytes(b"\xef\xbb\xbf" + role_file("spreadsheet steward").encode("utf-8"))
    runner = CliRunner()
    checked = runner.invoke(main, ["validate", str(path)])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.strip() == f"{path}: conforms (7 triples checked)"
    shown = runner.invoke(main, ["--data", str(path), "show", "spreadsheet steward"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("spreadsheet steward  (role, https://example.org/acme/role)")


def test_a_binary_file_is_named_whole_and_clearly(tmp_path):
    path = tmp_path / "roles.ttl"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (f"error: {path}:1:8: this is not a Turtle text file: it holds binary data (a NUL byte at "
                             "byte 8); give a Turtle, TriG, N-Triples, N-Quads, JSON-LD or RDF/XML file\n")


def test_an_onet_bad_byte_is_reported_on_its_line(tmp_path):
    release = tmp_path / "onet-29.2"
    shutil.copytree(ONET_SLICE, release)
    skills = release / "Technology Skills.txt"
    lines = skills.read_bytes().split(b"\n")
    assert b"a" in lines[10]
    column = lines[10].decode("utf-8").index("a") + 1
    lines[10] = lines[10].replace(b"a", b"\xe9", 1)
    skills.write_bytes(b"\n".join(lines))
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "kg"), "import", "onet", str(release)])
    assert result.exit_code == 1
    assert one_line(result.stderr) == (f"error: {skills}, line 11, column {column}: not UTF-8 text (byte 0xe9: "
                                       "invalid continuation byte)")


# ---------------------------------------------------------------------------------------------
# Control characters are escaped in everything that echoes user input


@pytest.mark.parametrize("url, shown", [
    ("http://127.0.0.1:9/q\r\nX-Injected: 1", "'http://127.0.0.1:9/q\\r\\nX-Injected: 1'"),
    ("http://127.0.0.1:9/q\x1b[2J\x1b[31m", "'http://127.0.0.1:9/q\\x1b[2J\\x1b[31m'"),
])
def test_control_characters_in_a_url_are_escaped(url, shown):
    result = CliRunner().invoke(main, ["--endpoint", url, "roles"])
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert line.startswith(f"error: endpoint URL {shown} is not valid: it holds ")
    assert "\x1b" not in result.stderr and "\r" not in result.stderr


def test_control_characters_in_names_and_data_are_escaped(tmp_path):
    result = CliRunner().invoke(main, ["show", "data\x1b]0;pwned\x07engineer\u202e"])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "\u202e" not in result.stderr
    assert "data\\x1b]0;pwned\\x07engineer\\u202e" in one_line(result.stderr)
    # A label with an escape sequence in a data file: the table shows it escaped, on one line.
    path = tmp_path / "evil.ttl"
    path.write_text(role_file("evil\\u001b[2Jrole"), encoding="utf-8")
    roles = CliRunner().invoke(main, ["--data", str(path), "roles"])
    assert roles.exit_code == 0, roles.output
    assert "\x1b" not in roles.stdout
    assert any(line.startswith("evil\\x1b[2Jrole ") for line in roles.stdout.splitlines())
