"""The SPARQL language tools: reading, checking and binding a query before anything runs it.

    lexer.py     the tokenizer (read as Oxigraph reads it), an independent second check
    safety.py    the checks on a query's tokens: SERVICE, LOAD, foreign graphs, updates, size
    binding.py   parameters as RDF terms (never pasted text)
    syntax.py    syntax errors with line, column and the token there
    results.py   QueryResult and the W3C result formats
    prefixes.py  the prefixes every query gets predeclared
    errors.py    the errors users see
"""
