"""The query layer, in the order a query travels through it.

    sparql/   the language tools: tokenizer, safety checks, parameter binding, syntax errors, results
    engine/   run_query: evaluation in a walled, time-limited worker; reasoning; warm workers
    named/    the library of named queries (*.rq) and their typed parameters
    server/   `datateam serve`: the SPARQL 1.1 endpoint, its HTTP layer and the query page
"""
