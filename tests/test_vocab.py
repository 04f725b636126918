"""Vocabulary pruning on the tiny model's WordPiece tokenizer: what is kept, that anything still tokenizes,
and that the student's embeddings follow the new numbering."""

import json

import torch

from conftest import SENTENCES
from hamming_site.builder.build import build_site
from hamming_site.builder.model.student import Tokenizer, make_student, tokenizer_json
from hamming_site.builder.model.vocab import choose_tokens, prune_embeddings, prune_tokenizer, trim_positions
from hamming_site.builder.output.names import site_path
from hamming_site.builder.teacher.load import load_teacher


def _tok(tiny_model):
    base = load_teacher(str(tiny_model))
    return base, tokenizer_json(base, 64)


def test_choose_keeps_specials_characters_and_the_corpus_words(tiny_model):
    _, spec = _tok(tiny_model)
    vocab = json.loads(spec)["model"]["vocab"]
    keep = choose_tokens(spec, ["the cat sat by the river", "the cat"], 90)
    names = {t for t, i in vocab.items() if i in keep}
    assert {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "z", "##q", "7"} <= names
    assert {"the", "cat", "river"} <= names and len(keep) == 90
    assert keep == sorted(keep) and keep == choose_tokens(spec, ["the cat sat by the river", "the cat"], 90)
    assert choose_tokens(spec, SENTENCES, 0) == sorted(vocab.values())


def test_pruned_tokenizer_spells_dropped_words_and_never_fails(tiny_model):
    _, spec = _tok(tiny_model)
    floor = len(choose_tokens(spec, ["the cat"], 1))  # the specials and characters, always kept
    keep = choose_tokens(spec, ["the cat"], floor + 10)  # the corpus's two words and the commonest ones
    pruned = Tokenizer(prune_tokenizer(spec, keep), 64)
    full = Tokenizer(spec, 64)
    ids = pruned.ids(["the cat", "mountain", "日本 🎉 ünïcode", ""])
    assert all(0 <= i < len(keep) for row in ids for i in row)
    assert pruned.tok.encode("the cat").tokens == full.tok.encode("the cat").tokens == ["[CLS]", "the", "cat", "[SEP]"]
    assert pruned.tok.encode("mountain").tokens[1:-1] == ["m", "##o", "##u", "##n", "##t", "##a", "##i", "##n"]
    assert ids[3] == [keep.index(2), keep.index(3)]  # [CLS] [SEP], renumbered
    assert pruned.tok.token_to_id("[PAD]") == 0


def test_embeddings_follow_the_new_numbering(tiny_model):
    base, spec = _tok(tiny_model)
    keep = choose_tokens(spec, SENTENCES, 1)
    student, _ = make_student(base, 2, 32)
    before = student.encoder.embeddings.word_embeddings.weight[keep[-1]].clone()
    prune_embeddings(student.encoder, keep)
    trim_positions(student.encoder, 16)
    assert student.encoder.embeddings.word_embeddings.weight.shape[0] == len(keep)
    assert torch.equal(student.encoder.embeddings.word_embeddings.weight[-1], before)
    ids = torch.tensor(Tokenizer(prune_tokenizer(spec, keep), 16).ids([SENTENCES[0]]))
    assert student(ids, torch.ones_like(ids)).shape == (1, 32)


def test_a_pruned_build_ships_the_pruned_tokenizer(tiny_config):
    config = tiny_config(vocab_size=10)
    build_site(config)
    manifest = json.loads((config.out / "manifest.json").read_text())
    vocab = json.loads(site_path(config.out, "tokenizer.json").read_text())["model"]["vocab"]
    assert manifest["student"]["vocabulary"] == len(vocab) < 150
    import onnx

    graph = onnx.load(str(site_path(config.out, "model.onnx"))).graph
    tables = [t for t in graph.initializer if "word_embeddings" in t.name]
    assert tables and all(t.dims[0] == len(vocab) for t in tables)  # the shipped table has only the kept rows
