"""Each stage on the tiny model, then the whole build: files, manifest, ownership, determinism."""

import hashlib
import json
import re

import numpy as np
import pytest
import torch

from conftest import SENTENCES
from hamming_site.builder import UserError
from hamming_site.builder.build import build_site
from hamming_site.builder.model.binarize import fit_pca_itq, train_binarizer
from hamming_site.builder.model.distill import init_projection, query_views, train
from hamming_site.builder.model.export import OnnxEncoder, export_onnx, parity, quantize_weights
from hamming_site.builder.model.student import Tokenizer, keep_layers, make_student, pad_batch, tokenizer_json
from hamming_site.builder.output.codes import read_codes
from hamming_site.builder.output.names import (
    digest,
    offline_files,
    part_name,
    passage_text,
    shard_of,
    site_folder,
    site_path,
)
from hamming_site.builder.teacher.embed import embed
from hamming_site.builder.teacher.load import fingerprint, load_teacher, resolve_device


@pytest.mark.parametrize("bits", [32, 64, 96])
def test_pca_itq_any_bits(bits):
    x = np.random.default_rng(0).standard_normal((40, 64)).astype(np.float32)
    space = fit_pca_itq(x, bits, seed=0)
    z = space.project(x)
    assert z.shape == (40, bits)
    assert abs(z.std() - 1) < 1e-3 and np.abs(z.mean(0)).max() < 1e-4


def test_itq_loses_less_to_the_signs_than_a_random_rotation():
    x = np.random.default_rng(1).standard_normal((300, 48)) * np.linspace(3, 0.5, 48)
    def sign_loss(space):
        z = space.project(x)
        return float(((np.where(z > 0, 1, -1) - z) ** 2).mean())
    assert sign_loss(fit_pca_itq(x, 32, 0)) < 0.95 * sign_loss(fit_pca_itq(x, 32, 0, iterations=0))


def test_pca_itq_single_document():
    space = fit_pca_itq(np.ones((1, 8), dtype=np.float32), 32, seed=0)
    assert space.project(np.ones((1, 8), dtype=np.float32)).shape == (1, 32)


def _clustered(n, dim, rng):
    centres = rng.standard_normal((8, dim))
    x = centres[rng.integers(0, 8, n)] + 0.5 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_binarizer_training_ranks_like_the_teacher():
    rng = np.random.default_rng(0)
    docs, views = _clustered(200, 32, rng), _clustered(400, 32, rng)
    init = fit_pca_itq(docs, 32, seed=0)
    trained, stats = train_binarizer(init, docs, views, epochs=20, seed=0, recon_weight=0.2)
    _, first = train_binarizer(init, docs, views, epochs=1, seed=0, recon_weight=0.2)
    assert stats["rank"] < first["rank"] and stats["steps"] == 20 * 2
    def overlap(space):  # top-10 by asymmetric score against the teacher's top-10, over the views
        codes = np.where(space.project(docs) > 0, 1.0, -1.0)
        ours = np.argsort(-(space.project(views) @ codes.T), axis=1)[:, :10]
        theirs = np.argsort(-(views @ docs.T), axis=1)[:, :10]
        return np.mean([len(set(a) & set(b)) for a, b in zip(ours, theirs, strict=True)])
    assert overlap(trained) > overlap(init)
    again, _ = train_binarizer(init, docs, views, epochs=20, seed=0, recon_weight=0.2)
    assert np.array_equal(again.matrix, trained.matrix)


def test_keep_layers_spread():
    assert keep_layers(6, 3) == [0, 2, 5] or keep_layers(6, 3) == [0, 3, 5]
    assert keep_layers(6, 6) == list(range(6)) and keep_layers(4, 9) == list(range(4))
    assert keep_layers(6, 1) == [5]


def test_query_views_are_short_and_unique():
    views = query_views(SENTENCES, 3, seed=0)
    assert views and len(set(views)) == len(views)
    assert all(len(v.split()) <= 16 and v not in SENTENCES for v in views)
    assert views == query_views(SENTENCES, 3, seed=0)


def test_chinese_and_japanese_text_gives_views_by_characters():
    """Unspaced text is cut into sentences at its own stops and spans of 8-32 characters (it used to give almost
    no view at all: its "words" were whole sentences); an English text quoting a few characters is cut as ever."""
    japanese = ("パッケージの管理は dpkg と apt で行います。ソースパッケージは debian ディレクトリを含みます！"
                "別の短い文です")
    views = query_views([japanese], 3, seed=0)
    assert len(views) >= 2 and all(8 <= len(v.replace(" ", "")) <= len(japanese) for v in views)
    assert "パッケージの管理は dpkg と apt で行います。" in views  # a sentence, spaces kept around the Latin words
    english = ["The codec for 日本 is here, one of several.", "It has many words in English only, and more."]
    latin = [t.replace("日本", "Japan") for t in english]  # the same words: the same draws, the same views
    assert [v.replace("日本", "Japan") for v in query_views(english, 3, seed=0)] == query_views(latin, 3, seed=0)


def test_teacher_cache_reuses_embeddings(tiny_model, tmp_path):
    model = load_teacher(str(tiny_model))
    sha = fingerprint(model)
    a = embed(SENTENCES, model, "document", tmp_path, sha)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert (tmp_path / "teacher" / "embeddings.sqlite3").exists()  # one row per text (tests/test_teacher.py)
    model.encode_document = model.encode_query = None  # a second call must not encode again
    assert np.array_equal(embed(SENTENCES, model, "document", tmp_path, sha), a)


def test_the_teacher_encodes_each_distinct_text_once(tiny_model):
    model = load_teacher(str(tiny_model))
    seen = []
    real = model.encode_document
    model.encode_document = lambda texts, **kw: seen.extend(texts) or real(texts, **kw)
    texts = [SENTENCES[0], SENTENCES[1], SENTENCES[0], SENTENCES[2], SENTENCES[1]]
    out = embed(texts, model, "document", backend="torch")  # the model's own encode_document, watched
    assert sorted(seen) == sorted(set(texts))
    assert np.array_equal(out[0], out[2]) and np.array_equal(out[1], out[4])
    assert np.allclose(out[3], embed([SENTENCES[2]], model, "document", backend="torch")[0], atol=1e-6)


def test_unknown_teacher_is_one_clear_error(tmp_path):
    with pytest.raises(UserError, match="cannot load teacher"):
        load_teacher(str(tmp_path / "no-such-model"))


def test_training_lowers_the_losses_and_export_matches(tiny_model, tmp_path):
    base = load_teacher(str(tiny_model))
    teacher = embed(SENTENCES, base, "document")
    space = fit_pca_itq(teacher, 64, seed=0)
    student, kept = make_student(base, 2, 64)
    assert len(student.encoder.encoder.layer) == 2 and kept == [0, 3]
    tok = Tokenizer(tokenizer_json(base, 64), 64)
    ids = tok.ids(SENTENCES)
    init_projection(student, space, ids)
    first = train(student, ids, teacher, space, epochs=1, batch_size=4, lr=1e-3, seed=0)
    last = train(student, ids, teacher, space, epochs=30, batch_size=4, lr=1e-3, seed=0)
    assert last["hpd"] < 0.8 * first["hpd"]

    export_onnx(student, tmp_path / "m.onnx")
    # int8 is close to the float model; int4 (a random tiny model: 4 bits for 32-wide rows) moves it more, and
    # the file holds exactly the rounding that training uses (quant.int4_aware)
    for weight_bits, float_cosine, torch_cosine in ((8, 0.99, 0.99), (4, 0.8, 0.9999)):
        quantized = tmp_path / f"m{weight_bits}.onnx"
        quantize_weights(tmp_path / "m.onnx", quantized, weight_bits)
        report = parity(student, tmp_path / "m.onnx", quantized, tok, SENTENCES, weight_bits)
        assert report["torch_vs_fp32"]["max_abs_diff"] < 1e-4
        assert report["float_vs_quantized"]["min_cosine"] > float_cosine
        assert report["torch_vs_quantized"]["min_cosine"] > torch_cosine
        weights = _stored_weights(quantized)
        assert weights["encoder.embeddings.word_embeddings.weight_q"] == weight_bits
        assert set(weights.values()) <= {weight_bits, 32}  # small matrices stay float
    assert (tmp_path / "m4.onnx").stat().st_size < (tmp_path / "m8.onnx").stat().st_size
    one = OnnxEncoder(tmp_path / "m.onnx", tok).encode(SENTENCES[:3])
    with torch.no_grad():
        from hamming_site.builder.model.student import pad_batch

        a, m = pad_batch(ids[:3])
        batch = student(torch.from_numpy(a), torch.from_numpy(m)).numpy()
    assert np.allclose(one, batch, atol=1e-4)  # padding does not change a document's projection


def _stored_weights(path) -> dict[str, int]:
    """Every matrix a MatMul or Gather reads, mapped to the bits of the integers it is stored as."""
    import onnx

    model = onnx.load(str(path))
    bits = {onnx.TensorProto.INT8: 8, onnx.TensorProto.INT4: 4}
    inits = {t.name: bits.get(t.data_type, 32) for t in model.graph.initializer}
    made_by = {o: n for n in model.graph.node for o in n.output}
    out = {}
    for node in model.graph.node:
        name = node.input[1] if node.op_type == "MatMul" else node.input[0] if node.op_type == "Gather" else None
        while name in made_by and made_by[name].op_type in ("Cast", "DequantizeLinear"):
            name = made_by[name].input[0]
        if name in inits:
            out[name] = inits[name]
    return out


def test_truncation_is_the_manifest_length(tiny_model):
    base = load_teacher(str(tiny_model))
    tok = Tokenizer(tokenizer_json(base, 16), 16)
    ids = tok.ids(["cat " * 100])[0]
    assert len(ids) == 16 and ids[0] == 2 and ids[-1] == 3  # [CLS] ... [SEP] kept


def test_build_writes_the_site(tiny_config):
    config = tiny_config()
    result = build_site(config)
    out = config.out
    names = {p.name for p in out.iterdir()}
    assert {"index.html", "manifest.json", "report.json", "docs", ".hamming-site"} <= names
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["count"] == len(SENTENCES) and manifest["bits"] == 64 and manifest["format_version"] == 1
    # every file the page fetches after manifest.json is named by its content: name.<first 8 of sha256>.ext
    for entry in (manifest["model"], manifest["codes"], manifest["passages"]):
        stem, digits, ext = entry["file"].split(".")
        assert digits == hashlib.sha256((out / entry["file"]).read_bytes()).hexdigest()[:8], entry
    assert not ({"model.onnx", "codes.bin", "tokenizer.json", "tiers.js", "rank.js", "worker.js"} & names)
    assert manifest["model"]["bytes"] == site_path(out, "model.onnx").stat().st_size
    assert re.fullmatch(r"tokenizer\.[0-9a-f]{8}\.json", manifest["tokenizer"]["file"])
    assert manifest["tokenizer"]["max_length"] == 64
    assert re.fullmatch(r"lexical\.[0-9a-f]{8}", manifest["lexical"]["folder"])
    tiers = site_path(out, "tiers.js").read_text()  # its imports name the content-named modules
    assert all(f'"./{site_path(out, n).name}"' in tiers for n in ("checked.js", "lexical.js", "files.js"))
    api = (out / "api.js").read_text()  # the public API keeps its name; what it imports is content-named
    assert all(f'"./{site_path(out, n).name}"' in api for n in ("tiers.js", "rank.js"))
    assert '"./api.js"' in (out / "search.js").read_text() and '"./api.js"' in (out / "widget.js").read_text()
    assert "/" not in manifest["teacher"]["name"]
    assert str(config.out) not in json.dumps(manifest) and str(config.teacher) not in json.dumps(manifest)
    codes, bits = read_codes(site_path(out, "codes.bin"))
    assert bits == 64 and codes.shape == (len(SENTENCES), 8)
    assert np.array_equal(codes, np.packbits(result.doc_floats > 0, axis=1, bitorder="little"))
    shard = json.loads(site_path(out, "docs/0000.json").read_text())
    assert shard[0] == {"id": "d0", "title": "doc 0", "text": SENTENCES[0], "url": "https://example.org/0"}
    report = json.loads((out / "report.json").read_text())
    assert set(report["seconds"]) >= {"teacher", "binarize", "query model", "compose", "export", "total"}
    assert report["device"] == resolve_device("auto")  # where the teacher ran ("cpu" on a machine without a GPU)
    assert "device" not in manifest["options"]  # how, not what: a reuse elsewhere may run it anywhere
    assert report["query_model"]["cached"] is False and report["query_model"]["source"] == "trained"
    assert set(report["train"]) == {"refit", "rank", "tune"} and report["train"]["rank"]["steps"] > 0
    assert not list(out.parent.glob(".hamming-site-tmp-*"))


def test_codes_come_from_the_teachers_embeddings(tiny_config):
    config = tiny_config()
    build_site(config)
    texts = [f"doc {i} {s}" for i, s in enumerate(SENTENCES)]  # title + " " + text
    teacher = load_teacher(str(config.teacher))
    cache = config.resolved_cache_dir()
    t_docs = embed(texts, teacher, "document", cache, fingerprint(teacher))
    t_views = embed(query_views(texts, config.views_per_doc, config.seed), teacher, "query", cache,
                    fingerprint(teacher))
    init = fit_pca_itq(t_docs, config.bits, config.seed)
    space, _ = train_binarizer(init, t_docs, t_views, epochs=config.binarizer_epochs, seed=config.seed,
                               recon_weight=config.recon_weight)
    codes, _ = read_codes(site_path(config.out, "codes.bin"))
    assert np.array_equal(codes, np.packbits(space.project(t_docs) > 0, axis=1, bitorder="little"))


def test_rebuild_is_byte_identical(tiny_config, tmp_path):
    a, b = tiny_config(out=tmp_path / "a"), tiny_config(out=tmp_path / "b")
    build_site(a)
    build_site(b)
    for name in ("codes.bin", "model.onnx", "manifest.json", "tokenizer.json", "docs/0000.json", "index.html"):
        assert site_path(a.out, name).read_bytes() == site_path(b.out, name).read_bytes(), name


def test_bits_above_teacher_dim_and_one_document(tiny_config, tmp_path):
    one = tmp_path / "one.txt"
    one.write_text("a single cat\n")
    config = tiny_config(corpus=one, bits=128)  # the tiny teacher has 32 dimensions
    build_site(config)
    codes, bits = read_codes(site_path(config.out, "codes.bin"))
    assert codes.shape == (1, 16) and bits == 128


def test_foreign_out_is_refused_and_kept(tiny_config, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(UserError, match="not made by build-site"):
        build_site(tiny_config(out=out))
    assert (out / "precious.txt").read_text() == "keep me"
    build_site(tiny_config(out=out, force=True))
    assert not (out / "precious.txt").exists() and site_path(out, "codes.bin").exists()
    build_site(tiny_config(out=out))  # our own site is replaced without --force


@pytest.mark.parametrize("bits", [0, 16, 48, 1056])
def test_bad_bits(tiny_config, bits):
    with pytest.raises(UserError, match="multiple of 32"):
        tiny_config(bits=bits).validate()


def test_shards_group_short_pages_and_leave_a_long_one_alone():
    from hamming_site.builder.output.site import MAX_PER_SHARD, SHARD_BYTES, _by_bytes

    sizes = [100, 200, 300, 100, 100, SHARD_BYTES * 3, 50, SHARD_BYTES - 60, 50, 10]
    rows = [f"{i:02d}" + "x" * (n - 2) for i, n in enumerate(sizes)]
    groups = _by_bytes(rows)
    assert [len(g) for g in groups] == [MAX_PER_SHARD, 1, 1, 2, 2]  # 4 short; 1 short; the long one; then by bytes
    assert all(sum(len(r) for r in g) <= SHARD_BYTES or len(g) == 1 for g in groups)
    m = {"docs": {"per_shard": MAX_PER_SHARD, "sizes": "".join(str(len(g)) for g in groups)}}
    assert [groups[n][at][:2] for n, at in (shard_of(m, i) for i in range(len(rows)))] == [r[:2] for r in rows]


def test_a_five_megabyte_line_builds_and_is_kept_whole_in_parts(tiny_config, tmp_path):
    huge = ((SENTENCES[0] + " ") * 200_000)[: 5 * 2**20 - 1] + "x"  # no space at either end
    corpus = tmp_path / "huge.txt"
    corpus.write_text("\n".join([SENTENCES[1], huge, "日本語の文書とアラビア語 مرحبا 🙂"]) + "\n", encoding="utf-8")
    config = tiny_config(corpus=corpus)
    build_site(config)
    manifest = json.loads((config.out / "manifest.json").read_text())
    assert manifest["count"] == 3
    assert manifest["docs"]["sizes"] == "111"  # auto: shards of about 16 KB, so a 5 MB page is one alone
    n, at = shard_of(manifest, 1)
    row = json.loads(site_path(config.out, f"docs/{n:04d}.json").read_text())[at]
    # a long page: its text in parts beside its shard, each holding whole passages, together all of it
    assert "text" not in row and manifest["docs"]["parts"] == {str(n): [len(row["parts"])]} and len(row["parts"]) > 1
    end = 0
    for k, h in enumerate(row["parts"]):
        data = (config.out / part_name(manifest, n, at, k)).read_bytes()
        part = json.loads(data)
        assert digest(data) == h and part["start"] <= end  # no gap between parts
        assert huge[part["start"] : part["start"] + len(part["text"])] == part["text"]
        end = part["start"] + len(part["text"])
    assert end == len(huge) == 5 * 2**20
    for i in (0, len(row["passages"]) // 2, len(row["passages"]) - 1):  # what the page shows of a passage
        p = row["passages"][i]
        assert passage_text(config.out, manifest, 1, row, p) == huge[p["start"] : p["end"]] != ""
    assert set(offline_files(manifest)) >= {part_name(manifest, n, at, k) for k in range(len(row["parts"]))}


def test_a_teacher_of_another_family_is_one_clear_error(tmp_path):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models
    from transformers import GPT2Config, GPT2Model

    hf = tmp_path / "gpt2"
    GPT2Model(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=200, n_positions=64)).save_pretrained(hf)
    from conftest import make_tiny_model

    bert = make_tiny_model(tmp_path / "bert").parent / "hf"  # its tokenizer serves the GPT-2 body too
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        if (bert / name).exists():
            (hf / name).write_bytes((bert / name).read_bytes())
    st = SentenceTransformer(modules=[models.Transformer(str(hf)), models.Pooling(16, "mean")], device="cpu")
    st.save(str(tmp_path / "gpt2-st"))
    with pytest.raises(UserError, match="gpt2 model; supported teachers are"):
        load_teacher(str(tmp_path / "gpt2-st"))


def test_a_teacher_zip_in_numbered_parts_is_joined_in_order(tmp_path):
    import zipfile

    from hamming_site.builder.teacher.load import unzip_parts

    whole = tmp_path / "m.zip"
    with zipfile.ZipFile(whole, "w") as z:
        z.writestr("model/modules.json", "[]")
        z.writestr("model/weights.bin", bytes(range(256)) * 40)
    data = whole.read_bytes()
    cuts = [0, 3000, 6000, len(data)]
    pieces = []
    for n in (3, 1, 2):  # handed over out of order, as a directory listing may be
        piece = tmp_path / f"m.zip.{n:03d}"
        piece.write_bytes(data[cuts[n - 1] : cuts[n]])
        pieces.append(piece)
    dest = unzip_parts(pieces, "model", tmp_path / "cache" / "model")
    assert (dest / "weights.bin").read_bytes() == bytes(range(256)) * 40
    assert sorted(p.name for p in dest.parent.iterdir()) == ["model"]  # no temporary folder left


def test_int4_blocks_round_no_worse_than_absmax_scaling():
    from hamming_site.builder.model.quant import int4_rows, pack_int4, round_int4

    rng = np.random.default_rng(0)
    w = rng.standard_normal((50, 384)).astype(np.float32)
    w[:, ::64] *= 8  # one outlier a block, as trained weights have
    q, scale = int4_rows(w)
    assert q.shape == w.shape and q.dtype == np.int8 and q.min() >= -8 and q.max() <= 7
    assert scale.shape == (50, 6) and scale.dtype == np.float16
    stored = (q.reshape(50, 6, 64) * scale[..., None].astype(np.float32)).reshape(50, 384)
    assert np.array_equal(stored, round_int4(torch.from_numpy(w)).numpy())  # training sees what is stored
    blocks = w.reshape(50, 6, 64)
    plain = (np.abs(blocks).max(-1) / 7).astype(np.float16)[..., None].astype(np.float32)
    plain_err = ((np.clip(np.round(blocks / plain), -8, 7) * plain - blocks) ** 2).sum(-1)
    err = ((stored.reshape(50, 6, 64) - blocks) ** 2).sum(-1)
    assert np.all(err <= plain_err + 1e-6) and err.sum() < 0.9 * plain_err.sum()
    packed = np.frombuffer(pack_int4(np.array([1, -1, 7, -8, 3], dtype=np.int8)), dtype=np.uint8)
    assert packed.tolist() == [0xF1, 0x87, 0x03]  # low nibble first, two's complement, odd count padded


def test_int4_aware_training_keeps_the_float_weights_and_rounds_inside():
    from torch import nn

    from hamming_site.builder.model.quant import int4_aware, round_int4

    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(100, 64), nn.Linear(64, 128))
    emb, lin = model[0].weight.detach().clone(), model[1].weight.detach().clone()
    with int4_aware(model):
        assert torch.equal(model[1].weight, round_int4(lin))
        assert torch.equal(model[0].weight, round_int4(emb))
        model[1].weight.sum().backward()  # straight-through: the float weight gets the gradient
        assert model[1].parametrizations.weight.original.grad is not None
    assert torch.equal(model[1].weight, lin) and torch.equal(model[0].weight, emb)


@pytest.fixture(scope="session")
def wide_teacher(tmp_path_factory):
    """A teacher wider than the student (as all-mpnet-base-v2's 768 dimensions against MiniLM's 384)."""
    from conftest import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("wide"), layers=2, hidden=48)


def test_projection_starts_at_the_best_linear_fit_for_another_teacher(tiny_model, wide_teacher):
    teacher = embed(SENTENCES * 4, load_teacher(str(wide_teacher)), "document")
    space = fit_pca_itq(teacher, 32, seed=0)
    student, _ = make_student(load_teacher(str(tiny_model)), 2, 32)
    ids = Tokenizer(tokenizer_json(load_teacher(str(tiny_model)), 64), 64).ids(SENTENCES * 4)
    target = torch.from_numpy(space.project(teacher))

    def mse():
        with torch.no_grad():
            return float(((student(*(torch.from_numpy(a) for a in pad_batch(ids))) - target) ** 2).mean())

    before = mse()
    init_projection(student, space, ids, teacher)
    assert mse() < 0.5 * before


def test_build_with_a_wider_teacher(tiny_config, wide_teacher):
    config = tiny_config(teacher=str(wide_teacher))
    result = build_site(config)
    tokenizer = Tokenizer(site_path(config.out, "tokenizer.json").read_text(), 64)
    encoder = OnnxEncoder(site_path(config.out, "model.onnx"), tokenizer)
    assert encoder.encode(["a query"]).shape == (1, 64)
    assert result.doc_floats.shape == (len(SENTENCES), 64)


def test_the_site_carries_its_keyword_index(tiny_config):
    from hamming_site.builder.lexical.index import IndexReader
    from hamming_site.builder.search.lexical import bm25_scores, lexical_order, title_tiers

    config = tiny_config()
    build_site(config)
    manifest = json.loads((config.out / "manifest.json").read_text())
    lexical = manifest["lexical"]
    assert lexical["rows"] == manifest["passages"]["count"] == len(SENTENCES) and lexical["chunks"]
    assert sum(p.stat().st_size for p in site_folder(config.out, "lexical").glob("*.bin")) == lexical["bytes"]
    assert manifest["fusion"] == {"method": "minmax", "alpha": config.fusion_alpha, "depth": config.fusion_depth}
    assert site_path(config.out, "lexical.js").exists() and site_path(config.out, "porter2.mjs").exists()
    assert (config.out / "LICENSE-porter2.txt").exists()
    reader = IndexReader(config.out, manifest)
    word = SENTENCES[3].split()[-1]
    scores = bm25_scores(reader, word, len(SENTENCES))
    assert scores[3] > 0
    assert lexical_order(scores, title_tiers(reader, "doc 5", len(SENTENCES)), 1) == [5]  # a title as the query


def test_a_corpus_of_stop_words_builds(tiny_config, tmp_path):
    corpus = tmp_path / "stop.txt"
    corpus.write_text("the\nand\nof the\nto\n")
    config = tiny_config(corpus=corpus)
    build_site(config)
    manifest = json.loads((config.out / "manifest.json").read_text())
    assert manifest["count"] == 4 and manifest["lexical"]["keys"] == 0


def test_a_missing_page_file_fails_before_any_work(tiny_config, monkeypatch):
    from hamming_site.builder.output import site

    monkeypatch.setattr(site, "ASSETS", (*site.ASSETS, "missing.js"))
    with pytest.raises(UserError, match="lacks its page file hamming_site/web/missing.js; reinstall"):
        build_site(tiny_config())
    assert not config_out_exists(tiny_config())


def config_out_exists(config) -> bool:
    return config.out.exists() or any(config.out.parent.glob(".hamming-site-tmp-*"))
