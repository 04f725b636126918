"""A reuse's meaning side: the previous site's binarizer, model and static encoder, as a fresh build's Training
makes them (builder/training.py), so that build_site branches on a previous site once, when it picks its maker."""

from __future__ import annotations

import numpy as np

from hamming_site.builder.model.meaning import Meaning, ModelFiles
from hamming_site.builder.output.codes import pack, write_codes
from hamming_site.builder.reuse.records import Plan, Previous


class Reuse:
    """The meaning side of the site reused: nothing trained, the teacher encodes only new or changed documents."""

    fresh = False  # no query-like views: the model and the static encoder are the site's

    def __init__(self, run, previous: Previous):
        self.run, self.previous = run, previous

    def prepare(self) -> None:
        """Nothing to load: the site's query model is copied as it is."""

    def plan(self, passages: list, hashes: list[str]) -> Plan:
        return self.previous.plan(passages, hashes)

    def meaning(self, corpus, plan: Plan, t_docs: np.ndarray, t_views: np.ndarray) -> Meaning:
        """The site's map: unchanged documents' code rows copied, the others' (t_docs: plan.encode's) projected; its
        model.onnx and tokenizer.json and its static table as they are, checked against its records."""
        run, previous = self.run, self.previous
        with run.stage("binarize"):
            codes = previous.assemble(plan, len(corpus.passages), pack(previous.binarizer.project(t_docs)))
            write_codes(run.tmp / "codes.bin", codes, run.config.bits)
        with run.stage("model"):
            model = ModelFiles(previous.copy_model(run.tmp), previous.manifest["student"],
                               previous.report.get("train"), previous.report.get("parity"), None)
        with run.stage("static"):
            static = previous.copy_static(run.tmp)
        return Meaning(previous.binarizer, codes, None, previous.report.get("binarizer"), model, static,
                       previous.probe_queries, previous.report.get("query_model"))
