"""hamming-site: offline semantic search for static websites."""

__version__ = "0.1.0"
FORMAT_VERSION = 1


class UserError(Exception):
    """A mistake the user can fix: the CLI prints it as one sentence and exits with status 2."""
