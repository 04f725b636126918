"""Vocabulary pruning: the student keeps the word pieces its corpus uses, so model.onnx is smaller.

The token embeddings are most of a small encoder's bytes (all-MiniLM-L6-v2: 30,522 x 384). A site's queries
use mostly the corpus's own words (SciFact: 12,437 distinct pieces; only 55 of its queries' 3,407 pieces are
not among them), and a dropped piece is not lost: WordPiece (all-MiniLM-L6-v2) and SentencePiece's Unigram
(multilingual-e5-small) both spell the word with the shorter pieces kept. Every ASCII letter, digit and sign
stays (alone and as a word's later piece `##x`, or its first `▁x`), so any ASCII word still tokenizes; a
character of another script that the corpus never used becomes the unknown piece, never an error.
"""

from __future__ import annotations

import json
import string
from collections import Counter

import torch
from torch import nn

from hamming_site.builder.model.student import ENCODE_BATCH


def choose_tokens(tok_json: str, texts: list[str], size: int) -> list[int]:
    """Ids (ascending) of the pieces to keep: special tokens, ASCII characters, the corpus's characters, then
    the corpus's pieces by frequency, then the language's commonest, until `size`. size 0 keeps all."""
    from tokenizers import Tokenizer as HFTokenizer

    spec = json.loads(tok_json)
    vocab = _vocab(spec)
    if size <= 0 or size >= len(vocab):
        return sorted(vocab.values())
    # WordPiece marks a word's later pieces (##), SentencePiece its first one (the metaspace)
    prefix = "\u2581" if spec["model"]["type"] == "Unigram" else spec["model"].get("continuing_subword_prefix", "##")
    counts: Counter[int] = Counter()
    tokenizer = HFTokenizer.from_str(tok_json)
    for start in range(0, len(texts), ENCODE_BATCH):  # a batch at a time (see ENCODE_BATCH)
        for encoding in tokenizer.encode_batch(texts[start : start + ENCODE_BATCH]):
            counts.update(encoding.ids)
    keep = {t["id"] for t in spec.get("added_tokens", []) if t.get("special")}
    ascii_chars = set(string.ascii_lowercase + string.ascii_uppercase + string.digits + string.punctuation)
    for token, i in vocab.items():
        char = token[len(prefix) :] if token.startswith(prefix) and len(token) > len(prefix) else token
        if len(char) == 1 and (char in ascii_chars or i in counts):
            keep.add(i)
    # Every piece the corpus uses comes first, most frequent first: its rare pieces are its most telling words
    # (measured on SciFact: keeping only the commonest 2,500 of its 12,400 pieces cost 14 points of nDCG).
    # Then the language's: BERT-style WordPiece vocabularies list pieces by pretraining frequency, so the
    # lowest ids are common words, for queries in words the corpus lacks (SentencePiece's Unigram lists them by
    # score, which is the same order).
    by_corpus = [i for i, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    by_language = [i for t, i in sorted(vocab.items(), key=lambda kv: kv[1]) if not _reserved(t) and len(t) > 1]
    for i in by_corpus + by_language:
        if len(keep) >= size:
            break
        keep.add(i)
    return sorted(keep)


def _vocab(spec: dict) -> dict[str, int]:
    """piece -> id: WordPiece's vocab is that map, Unigram's a list of [piece, score] in id order."""
    vocab = spec["model"]["vocab"]
    return {piece: i for i, (piece, _) in enumerate(vocab)} if isinstance(vocab, list) else vocab


def _reserved(token: str) -> bool:
    return token.startswith("[") and token.endswith("]")  # [unused12], [PAD]: never in text


def prune_tokenizer(tok_json: str, keep: list[int]) -> str:
    """tokenizer.json with only the kept pieces, renumbered 0.. in their old order (the specials, the lowest ids of
    both vocabularies, keep theirs). A Unigram piece dropped is spelled by the kept ones, as a WordPiece one is: every
    character the corpus uses stays."""
    spec = json.loads(tok_json)
    new_id = {old: new for new, old in enumerate(keep)}
    model = spec["model"]
    if model["type"] == "Unigram":  # a list in id order: the kept entries, in order, are the new numbering
        model["vocab"] = [model["vocab"][i] for i in keep]
        model["unk_id"] = None if model.get("unk_id") is None else new_id[model["unk_id"]]
    else:
        model["vocab"] = {t: new_id[i] for t, i in model["vocab"].items() if i in new_id}
    spec["added_tokens"] = [{**t, "id": new_id[t["id"]]} for t in spec.get("added_tokens", []) if t["id"] in new_id]
    special = (spec.get("post_processor") or {}).get("special_tokens", {})
    for entry in special.values():
        entry["ids"] = [new_id[i] for i in entry["ids"]]
    return json.dumps(spec, ensure_ascii=False)


def prune_embeddings(encoder: nn.Module, keep: list[int]) -> None:
    """Keep the kept pieces' rows of the word embeddings, in the new numbering."""
    old = encoder.embeddings.word_embeddings
    new = nn.Embedding(len(keep), old.embedding_dim)
    with torch.no_grad():
        new.weight.copy_(old.weight[torch.tensor(keep)])
    encoder.embeddings.word_embeddings = new
    encoder.config.vocab_size = len(keep)


def trim_positions(encoder: nn.Module, max_length: int) -> None:
    """Keep the position embeddings the site can use (queries never pass max_length tokens)."""
    emb = encoder.embeddings
    if emb.position_embeddings.num_embeddings <= max_length:
        return
    old = emb.position_embeddings
    emb.position_embeddings = nn.Embedding(max_length, old.embedding_dim)
    with torch.no_grad():
        emb.position_embeddings.weight.copy_(old.weight[:max_length])
    for name in ("position_ids", "token_type_ids"):
        if hasattr(emb, name):
            emb.register_buffer(name, getattr(emb, name)[:, :max_length].clone(), persistent=False)
    encoder.config.max_position_embeddings = max_length
