"""The query layer: SPARQL run safely, the named queries, and the SPARQL endpoint.

- execute.py: `run_query`, the one entry point (checks, binding, reasoning, time limit).
- safety.py / lexer.py: the checks on a query's tokens before anything is evaluated.
- binding.py: parameters as RDF terms (substitution or a VALUES block).
- worker.py / pool.py / snapshot.py: evaluation in a process that is killed at the time limit.
- reasoning.py: RDFS and OWL 2 RL entailments with owlrl, in graph:inferred.
- library.py and *.rq: the named queries and their headers. prefixes.py: the predeclared prefixes.
- results.py: QueryResult and the W3C result formats. errors.py: the errors users see.
- server.py and endpoint_*.py: `datateam serve`, the endpoint's logic; http_server.py, http_app.py,
  admission.py, origin.py, limits.py: its HTTP layer (uvicorn), checks and bounds.
"""
