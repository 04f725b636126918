"""Side by side in one run: the int8 teacher's recipe 1 (every MatMul int8) against recipe 2 (the default:
each layer's down-projection float32), 1,200 SciFact documents through embed() on the 2-process pool as a
build runs it (the pool's start included), and 300 on one thread.

    python benchmarks/teacher_recipes.py [--json benchmarks/results/teacher-pool-recipes.json]

Recipe 1 is recipe 2 with no MatMul kept in float32 (hamming_site.builder.teacher.backends._after_activation returning
none).
"""

import argparse
import sys
from pathlib import Path

from emit import emit

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    from teacher_speed import TEACHER, samples, timed

    import hamming_site.builder.teacher.backends as T
    from hamming_site.builder.teacher.load import load_teacher

    model = load_teacher(TEACHER)
    docs, _ = samples(1200, 0)
    orig = T._after_activation
    rows = []
    for r in range(2):
        for recipe in (1, 2):
            T._after_activation = (lambda graph: []) if recipe == 1 else orig
            T._ENCODERS.clear()
            timed(docs[:16], model, "document", "onnx-int8", threads=1)  # export + warm, outside the timing
            single = timed(docs[:300], model, "document", "onnx-int8", threads=1)
            s = timed(docs, model, "document", "onnx-int8", processes=2, threads=1)
            rows.append({"round": r, "recipe": recipe, "pool_2x1_docs_per_s": round(len(docs) / s, 2),
                         "pool_seconds_incl_start": round(s, 1), "one_thread_docs_per_s": round(300 / single, 2)})
            print(rows[-1], flush=True)
    emit({"command": " ".join(["python", "benchmarks/teacher_recipes.py", *sys.argv[1:]]),
                       "rounds": rows}, args.json)


if __name__ == "__main__":  # the pool spawns processes that import this file
    main()
