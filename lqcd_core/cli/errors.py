"""Error type for mistakes of the user (bad arguments, files, parameters)."""


class UsageError(Exception):
    """A clear, one-line message about bad input; raised before any work is done."""
