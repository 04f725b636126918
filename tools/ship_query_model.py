"""Ship the default query model in the package: hamming_site/builder/data/query_model_KEY.{safetensors,json}.

The default query model (the default teacher, student shape and options) is the same on every machine, so the
package carries it and no first build distils it (30 minutes on 2 cores). Training leaves the word embeddings
exactly the teacher's (checked here), so they are not shipped: a build takes them from the teacher it loads.
Every other tensor is stored as float16 (11.3 MB for the default's 5.7M parameters; the page's model rounds
them to int4 anyway).

Run: python tools/ship_query_model.py   (distils the model first if this machine's cache lacks it; delete the
shipped files first to make them again)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "hamming_site" / "builder" / "data"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from hamming_site.builder.config import BuildConfig
    from hamming_site.builder.model.querymodel import QueryModelSpec, query_model, ship
    from hamming_site.builder.teacher.load import fingerprint, load_teacher

    config = BuildConfig(corpus=ROOT / "examples" / "stdlib.jsonl").for_languages({"en": 1})  # English's teacher
    teacher = load_teacher(config.teacher, config.resolved_cache_dir())
    sha = fingerprint(teacher)
    spec = QueryModelSpec.from_config(config)
    student, record = query_model(teacher, sha, teacher, spec, config.resolved_cache_dir())
    if record.get("source") == "package":
        sys.exit(f"query model {record['key']} is already shipped")
    stem = OUT / f"query_model_{record['key']}"
    shipped = ship(student, teacher, record, stem)
    print(f"{stem}.safetensors: {shipped['parameters']:,} parameters; from the teacher: {shipped['from_teacher']}")


if __name__ == "__main__":
    main()
