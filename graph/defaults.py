"""The numbers the commands and the library share, in one place that imports nothing.

The command line reads its option defaults from here without loading rdflib (so `--help` stays
fast), and the library modules take theirs from here too, so each number exists once.
"""

QUERY_TIMEOUT = 30.0  # seconds a SPARQL query may run (query, serve, the endpoint)
SERVER_HOST = "127.0.0.1"  # the endpoint answers this machine only unless told otherwise
SERVER_PORT = 8000
SERVER_MAX_ROWS = 10_000  # SELECT rows (or CONSTRUCT triples) the endpoint returns at most
SERVER_MAX_CONNECTIONS = 4096  # open connections the endpoint accepts at most
PUSH_TIMEOUT = 300.0  # seconds per Graph Store Protocol request

OVERVIEW_TOP = 8  # role pairs the overview lists
OVERVIEW_MIN_SHARED = 1  # any pair sharing an item: the similarity score needs no hand-set threshold (docs/analysis.md)
SIMILAR_TOP = 10  # roles or occupations `similar` lists
BRIDGES_TOP = 20  # skills and tools `bridges` lists
COVERAGE_TOP = 5  # hires `coverage --next-hire` ranks
HANDOFF_MAX_HOPS = 4  # the longest chain of handoffs `handoffs --from --to` considers
MATRIX_MAX_ROLES = 200  # above this the overlap matrix is kept sparse: no zero pairs, no square layout
EXPLORER_SEED = 7  # the explorer's layout seed: same inputs, same page
