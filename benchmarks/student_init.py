"""Which teacher layers and learning rate make the student learn fastest (tuning without queries).

    python benchmarks/student_init.py "[0,2,5]" 3e-4 120

Trains the 256-bit student on 4,000 SciFact documents and their views for a fixed number of steps (one
thread), then prints the HPD MSE and the bit agreement with the target's signs on the last 300 documents
and 300 views, which it never trained on.
"""

from __future__ import annotations

import copy
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

from hamming_site.builder.input.corpus import read_corpus
from hamming_site.builder.model.binarize import fit_pca_itq
from hamming_site.builder.model.distill import init_projection, query_views, train
from hamming_site.builder.model.student import Student, Tokenizer, pad_batch, tokenizer_json, truncate_ids
from hamming_site.builder.teacher.embed import embed
from hamming_site.builder.teacher.load import fingerprint, load_teacher

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact" / "corpus.jsonl.gz"
TRAIN_DOCS, HELD_OUT, CUT, BITS = 4000, 300, 128, 256


def student_with(model, layers: list[int]) -> Student:
    encoder = copy.deepcopy(model[0].auto_model).float()
    encoder.config._attn_implementation = "eager"
    encoder.encoder.layer = torch.nn.ModuleList([encoder.encoder.layer[i] for i in layers])
    encoder.config.num_hidden_layers = len(layers)
    return Student(encoder, BITS)


def held_out(student, space, ids, teacher) -> tuple[float, float]:
    out = []
    with torch.no_grad():
        for i in range(0, len(ids), 32):
            a, m = pad_batch(ids[i : i + 32])
            out.append(student(torch.from_numpy(a), torch.from_numpy(m)).numpy())
    y, z = np.concatenate(out), space.project(teacher)
    return round(float(((y - z) ** 2).mean()), 4), round(float(((y > 0) == (z > 0)).mean()), 4)


def main() -> None:
    layers, lr, steps = json.loads(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(1)
    cache = Path.home() / ".cache" / "hamming-site"
    model = load_teacher("all-MiniLM-L6-v2")
    sha = fingerprint(model)
    texts = [d.model_text() for d in read_corpus(CORPUS)]
    views = query_views(texts, 3, 0)
    t_docs, t_views = embed(texts, model, "document", cache, sha), embed(views, model, "query", cache, sha)
    space = fit_pca_itq(t_docs, BITS, 0)
    tok = Tokenizer(tokenizer_json(model, 256), 256)

    def ids_of(xs):
        return [truncate_ids(i, CUT) for i in tok.ids(xs)]

    # views come in document order, so the first 3 * TRAIN_DOCS views belong to the training documents
    train_ids = ids_of(texts[:TRAIN_DOCS] + views[: 3 * TRAIN_DOCS])
    train_targets = np.concatenate([t_docs[:TRAIN_DOCS], t_views[: 3 * TRAIN_DOCS]])
    student = student_with(model, layers)
    init_projection(student, space, train_ids[::60][:64])
    chosen = random.Random(0).sample(range(len(train_ids)), steps * 32)
    t0 = time.time()
    stats = train(student, [train_ids[i] for i in chosen], train_targets[chosen], space, epochs=1, batch_size=32,
                  lr=lr, seed=0)
    print(json.dumps({
        "layers": layers, "lr": lr, "steps": steps, "train_s": round(time.time() - t0), "train": stats,
        "heldout_docs": held_out(student, space, ids_of(texts[-HELD_OUT:]), t_docs[-HELD_OUT:]),
        "heldout_views": held_out(student, space, ids_of(views[-HELD_OUT:]), t_views[-HELD_OUT:]),
    }))


if __name__ == "__main__":
    main()
