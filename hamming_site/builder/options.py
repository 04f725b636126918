"""A BuildConfig from the options a user gave: the one way the CLI and the Python API (hamming_site) make one."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from hamming_site.builder import UserError
from hamming_site.builder.config import BuildConfig

OPTIONS = frozenset(f.name for f in fields(BuildConfig)) - {"corpus", "out"}


def config_from(corpus: Path, out: Path | None, given: dict) -> BuildConfig:
    """BuildConfig(corpus, out, **given), validated; with model_from, the options not given are that site's (a
    given one must agree, as build_site checks). An unknown option is a UserError naming the known ones."""
    unknown = sorted(set(given) - OPTIONS)
    if unknown:
        raise UserError(f"unknown option {', '.join(unknown)}: the options are {', '.join(sorted(OPTIONS))}.")
    if given.get("model_from") is not None:
        from hamming_site.builder.reuse.policy import site_options

        given = {**site_options(given["model_from"], set(OPTIONS)), **given}
    return BuildConfig(corpus=Path(corpus), out=None if out is None else Path(out), **given).validate()
