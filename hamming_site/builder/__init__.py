"""hamming-site: offline semantic search for static websites.

The names here are the ones both ends of the pipeline share: the input side must recognise what the output side
writes (a site folder is never read as input), so they live above both.
"""

__version__ = "0.1.0"
FORMAT_VERSION = 1
MARKER = ".hamming-site"  # the file that marks a folder build-site wrote (never indexed, replaced only by us)
TMP_PREFIX = ".hamming-site-tmp-"  # a build's temporary folder beside OUT, renamed into place at the end


class UserError(Exception):
    """A mistake the user can fix: the CLI prints it as one sentence and exits with status 2."""
