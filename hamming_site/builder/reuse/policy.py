"""Which site a build reuses, and which options may differ from the site it reuses.

Rules. With `--model-from SITE`: SITE must be a folder build-site wrote, with rebuild/ (a site from before
rebuild/ existed must be rebuilt once without --model-from) and files matching their recorded sha256;
every option in MODEL_OPTIONS must equal SITE's (the command line takes the options it does not give from
SITE's manifest: site_options()), and the teacher's weights must be SITE's; otherwise one sentence, exit 2,
before anything is written. Without it, a build reuses OUT's own site when OUT holds one with rebuild/,
built from an input of the same name, with the same MODEL_OPTIONS and teacher weights, unless --retrain;
otherwise (or when any of it is unreadable) it builds afresh, silently.
"""

from __future__ import annotations

from pathlib import Path

from hamming_site.builder import UserError
from hamming_site.builder.output.manifest import named_options
from hamming_site.builder.reuse.records import FOLDER, Previous, load, read_manifest
from hamming_site.builder.teacher.load import E5, MPNET, PACKAGED

# The options that shaped the model and the binarizer: a reuse must agree with SITE on each of them. Every
# BuildConfig field is in exactly one of MODEL_OPTIONS, FREE_OPTIONS and NOT_FROM_SITE (tests/test_reuse.py checks
# it, so a new field is classified when it is added).
MODEL_OPTIONS = (
    "bits",
    "teacher",
    "teacher_backend",
    "student",
    "student_layers",
    "query_model",
    "query_texts",
    "query_epochs",
    "refit_prior",
    "refit_views",
    "rank_epochs",
    "tune_views",
    "meaning",
    "static_epochs",
    "static_init",
    "static_bucket_bytes",
    "epochs",
    "binarizer_epochs",
    "batch_size",
    "lr",
    "recon_weight",
    "vocab_size",
    "weight_bits",
    "max_length",
    "train_max_length",
    "views_per_doc",
    "max_views",
    "bridge_texts",
    "seed",
    "language",  # the static encoder's terms are its pages' words stemmed in their languages
)
# what a reuse rebuilds anyway (passages, keyword index, shards, page): free to differ from SITE's
FREE_OPTIONS = ("overlap", "base_url", "pretty_urls", "docs_per_shard", "offline", "bm25_k1", "bm25_b", "title_weight",
                "chunk_bytes", "fusion_alpha", "fusion_depth", "fusion_across",
                "cluster_rows", "clusters_from", "sign_centroids_from",
                "transformer_codes")
# where and how, never what
NOT_FROM_SITE = ("corpus", "out", "force", "cache_dir", "model_from", "retrain", "teacher_processes", "device",
                 "engine", "strings")  # strings: a file of the page's words, given again to a rebuild that wants them
# options added since sites began to record theirs, with the value a site that lacks one was built with: such a
# site stays reusable (--model-from takes that value, as it takes any option not given), and a plain rebuild with
# today's default retrains it once
ADDED = {"rank_epochs": 0, "meaning": "full", "static_epochs": 16, "static_bucket_bytes": 2048,
         "static_init": "centroids", "language": "", "bridge_texts": 0}


def corpus_name(config) -> str:
    return Path(config.corpus).resolve().name


def site_options(folder: Path, fields: set[str]) -> dict:
    """SITE's options among `fields` (BuildConfig's): what a --model-from build takes for those it is not given."""
    names = set(fields) - set(NOT_FROM_SITE)
    return {k: v for k, v in recorded_options(read_manifest(Path(folder))).items() if k in names}


def recorded_options(manifest: dict) -> dict:
    """The options a site's manifest records, with ADDED's old values for those it predates."""
    return {**ADDED, **manifest.get("options", {})}


def conflicts(config, manifest: dict) -> list[tuple[str, object, object]]:
    """[(option, this build's value, SITE's)] of the options that shaped SITE's model and differ here."""
    ours, theirs = named_options(config), recorded_options(manifest)
    missing = object()
    return [(name, ours[name], theirs.get(name, missing)) for name in MODEL_OPTIONS
            if _same_model(theirs.get(name, missing)) != _same_model(ours[name])]


def _same_model(value):
    """The packaged teachers' two names are one model (its weights are checked once loaded: check_teacher)."""
    if isinstance(value, str):
        return next((min(names) for names in (PACKAGED, MPNET, E5) if value in names), value)
    return value


def find(config, out: Path) -> Previous | None:
    """The site this build reuses: --model-from's (checked: UserError) or OUT's own (when it can), else None.
    Reads only, before any heavy work; the teacher's weights are checked once it is loaded (check_teacher)."""
    if config.model_from is not None:
        previous = load(config.model_from, explicit=True)
        for name, ours, theirs in conflicts(config, previous.manifest):
            flag = "--" + name.replace("_", "-")
            if not isinstance(theirs, type(ours)) and not (isinstance(ours, float) and isinstance(theirs, int)):
                raise UserError(f"{previous.folder} does not record {flag} (an older build-site); build it once "
                                f"without --model-from, then reuse it.")
            raise UserError(f"{flag} {ours} differs from the {theirs} that {previous.folder}'s model was built "
                            f"with; leave {flag} out to take the site's, or build without --model-from.")
        return previous
    if config.retrain or not (out / FOLDER).is_dir():
        return None
    try:
        previous = load(out, explicit=False)
    except UserError:
        return None
    if previous.corpus != corpus_name(config) or conflicts(config, previous.manifest):
        return None
    return previous
