"""`datateam serve`: a read-only SPARQL 1.1 endpoint with an offline query page.

    endpoint.py             the endpoint's logic: a request in, a response out (no sockets)
    analysis_api.py         the analyses as JSON (/api/similar, /api/overlap, ...), same checks as queries
    page_data.py            the query page's vocabulary and `show` for an IRI
    negotiation.py          content negotiation of result formats
    service_description.py  the SPARQL service description
    application.py          the ASGI application (Starlette) around the endpoint
    http_server.py          binding and serving with uvicorn; make_server, serve
    admission.py            per-client turns and queueing
    origin.py               Host and cross-origin checks
    page/                   the query page (HTML, CSS, JS)
"""
