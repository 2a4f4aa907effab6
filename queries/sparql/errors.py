"""Errors of the query layer: each is a DatateamError, so the CLI prints one line and exits non-zero."""

from __future__ import annotations

from ...graph.errors import DatateamError


class QueryError(DatateamError):
    """A query cannot be run as given (base class of the errors below)."""


class UnsafeQueryError(QueryError):
    """The query would reach the network or a file, name a graph the store does not hold, or change data
    without permission. Raised before anything is evaluated."""


class QuerySyntaxError(QueryError):
    """The query text is not valid SPARQL; the message gives line, column and the offending token.

    `line` and `column` are 1-based (None when unknown); `token` is the text found there.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 token: str | None = None):
        super().__init__(message)
        self.line = line
        self.column = column
        self.token = token


class QueryTimeoutError(QueryError):
    """The query ran longer than its time limit and was stopped (exit status 3)."""

    exit_code = 3

    def __init__(self, message: str, timeout: float):
        super().__init__(message)
        self.timeout = timeout


class QueryParameterError(QueryError):
    """A --param is unknown, missing or cannot be turned into an RDF term."""
