"""Train the student (HPD): its projection regresses the binarizer's map of the teacher's embedding.

The student encodes queries only (documents are coded from the teacher, see binarize.py), so it trains on
query-like views of the corpus and on the documents cut short, which are cheap and still longer inputs.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import re
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from hamming_site.builder.lexical.languages import CJK, CJK_PUNCTUATION
from hamming_site.builder.lexical.tokenize import CJK_CHAR
from hamming_site.builder.model.binarize import Binarizer
from hamming_site.builder.model.quant import int4_aware
from hamming_site.builder.model.student import Student, pad_batch

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
_SENTENCE = re.compile(r"(?<=[.!?;])\s+")
# Chinese and Japanese write no spaces and end sentences with their own stops: their characters count one by one
_CJK_SENTENCE = re.compile(r"(?<=[.!?;])\s+|(?<=[\u3002\uff01\uff1f\uff1b])\s*")
_CJK_UNIT = re.compile(f"[{CJK}]|[^\\s{CJK}]+")
_TIGHT = re.compile(f"[{CJK}{CJK_PUNCTUATION}]+")  # CJK characters and their punctuation: no spaces


def query_views(texts: list[str], per_doc: int, seed: int, limit: int | None = None) -> list[str]:
    """Short, query-like views of each document: single sentences and spans of 4 to 16 words (8 to 32 units of a
    text with Chinese, Japanese or Korean characters, each such character a unit); at most `limit`, drawn evenly
    (in corpus order) when there are more."""
    rng = random.Random(seed)
    views: list[str] = []
    for text in texts:
        # a text mostly in Chinese, Japanese or Korean (an English one quoting a few characters is cut as ever):
        # twice the units, a word of theirs being about two characters
        if len(CJK_CHAR.findall(text)) > len(text.split()):
            units, low, high = _CJK_UNIT.findall(text), 8, 32
            sentences = [s for s in _CJK_SENTENCE.split(text) if len(_CJK_UNIT.findall(s)) >= 6]
        else:
            units, low, high = text.split(), 4, 16
            sentences = [s for s in _SENTENCE.split(text) if len(s.split()) >= 3]
        for v in range(per_doc):
            if v % 2 == 0 and sentences:
                views.append(rng.choice(sentences))
            elif len(units) > low:
                n = rng.randint(low, min(high, len(units)))
                start = rng.randint(0, len(units) - n)
                views.append(_joined(units[start : start + n]))
    seen: set[str] = set(texts)
    unique = []
    for v in views:  # never encode the same text twice
        if v not in seen:
            seen.add(v)
            unique.append(v)
    if limit is not None and len(unique) > limit:
        keep = sorted(random.Random(seed).sample(range(len(unique)), limit))
        unique = [unique[i] for i in keep]
    return unique


def _joined(units: list[str]) -> str:
    """Words and CJK characters joined: no space between two CJK characters (or their punctuation), one anywhere
    else."""
    out = units[:1]
    for before, unit in zip(units, units[1:], strict=False):
        out.append(unit if _TIGHT.fullmatch(unit) and _TIGHT.fullmatch(before) else " " + unit)
    return "".join(out)


def _batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length: little padding, still a random order of batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def init_projection(student: Student, space: Binarizer, sample: list[list[int]],
                    teacher_sample: np.ndarray | None = None) -> None:
    """Start the projection where training has least to do.

    teacher_sample None: the student is cut from the teacher, so its pooled vector lives in the teacher's
    space: start at the teacher's map, divided by the mean pooled norm on the sample (the teacher normalises,
    the student does not). Otherwise (a larger teacher, as all-mpnet-base-v2's 768 dimensions against the
    student's 384): a ridge regression from the student's pooled vectors to the targets
    space.project(teacher_sample) of the same texts."""
    with torch.no_grad():
        pooled = torch.cat([
            student.pooled(*(torch.from_numpy(a) for a in pad_batch(sample[i : i + 64])))
            for i in range(0, len(sample), 64)
        ])
        if teacher_sample is None:
            norm = pooled.norm(dim=1).mean().item()
            student.proj.weight.copy_(torch.from_numpy(space.matrix.T.copy()) / max(norm, 1e-6))
            student.proj.bias.copy_(torch.from_numpy(-(space.mean @ space.matrix)))
            return
        target = torch.from_numpy(space.project(teacher_sample)).double()
        x = torch.cat([pooled.double(), torch.ones(len(pooled), 1, dtype=torch.float64)], 1)
        ridge = 1e-3 * x.pow(2).sum(0).mean() * torch.eye(x.shape[1], dtype=torch.float64)
        w = torch.linalg.solve(x.T @ x + ridge, x.T @ target)  # [hidden + 1, bits]
        student.proj.weight.copy_(w[:-1].T.float())
        student.proj.bias.copy_(w[-1].float())


def train(
    student: Student,
    token_ids: list[list[int]],
    teacher: np.ndarray,
    space: Binarizer,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    int4_epochs: int = 0,
    progress: Progress | None = None,
    device: str = "cpu",
) -> dict:
    """Fit the student to space.project(teacher). The last int4_epochs epochs train through the int4
    rounding the export will apply (quant.py), so the weights settle where rounding costs least. Returns the
    last epoch's mean loss. Trained on `device`, handed back on the CPU (export and parity read it there)."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    targets = torch.from_numpy(space.project(teacher)).to(device)
    student.to(device)
    # Token embeddings stay the teacher's: most of the parameters, costly to update, and what lets a word
    # seen only in queries keep its meaning.
    student.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    body = [p for p in student.encoder.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        [{"params": body, "lr": lr}, {"params": list(student.proj.parameters()), "lr": lr * 10}], weight_decay=0.01
    )
    lengths = [len(t) for t in token_ids]
    steps_per_epoch = math.ceil(len(token_ids) / batch_size)
    total = max(1, epochs * steps_per_epoch)
    warmup = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    stats = {"hpd": float("nan"), "steps": 0}
    step = 0
    student.train()
    for epoch in range(epochs):
        total_loss = 0.0
        aware = int4_aware(student) if epoch >= epochs - int4_epochs else contextlib.nullcontext()
        with aware:
            for batch in _batches(lengths, batch_size, rng):
                ids, mask = pad_batch([token_ids[i] for i in batch])
                ids, mask = torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)
                loss = F.mse_loss(student(ids, mask), targets[batch])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
                opt.step()
                sched.step()
                total_loss += loss.item() * len(batch)
                step += 1
                if progress:
                    progress("train", step, total)
        stats = {"hpd": total_loss / len(token_ids), "steps": step}
        log.info("epoch %d: hpd %.4f", epoch + 1, stats["hpd"])
    student.eval()
    student.to("cpu")
    return stats
