"""User-facing errors: each carries a one-line message and the exit status the CLI returns."""


class DatateamError(Exception):
    """An error the user can fix; the CLI prints its message on one line and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class DataFileError(DatateamError):
    """A data file cannot be read or parsed (the message names the file and line)."""


class ValidationError(DatateamError):
    """Data violates the SHACL shapes; `violations` holds the plain-words messages."""

    def __init__(self, message: str, violations: list[str]):
        super().__init__(message)
        self.violations = violations


class NameNotFoundError(DatateamError):
    """A name matches nothing in the knowledge base (exit status 2)."""

    exit_code = 2

    def __init__(self, message: str, suggestions: list[str]):
        super().__init__(message)
        self.suggestions = suggestions


class AmbiguousNameError(DatateamError):
    """A name matches several things; `candidates` lists them (exit status 2)."""

    exit_code = 2

    def __init__(self, message: str, candidates: list[dict]):
        super().__init__(message)
        self.candidates = candidates
