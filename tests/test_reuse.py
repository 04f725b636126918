"""Reuse (issue 15): --model-from SITE, and a rebuild into a site folder, encode only new or changed documents;
unchanged documents keep their code rows byte for byte; conflicting options are one sentence, exit 2."""

import dataclasses
import json
import shutil

import numpy as np
import pytest

from conftest import SENTENCES, make_tiny_model
from hamming_site.builder import UserError
from hamming_site.builder.build import build_site
from hamming_site.builder.cli import build_main
from hamming_site.builder.config import BuildConfig
from hamming_site.builder.output.codes import read_codes
from hamming_site.builder.output.manifest import named_options
from hamming_site.builder.output.names import site_path
from hamming_site.builder.reuse import policy
from hamming_site.builder.reuse.records import compare_rows

# a document long enough to be split into several passages at --max-length 64: rows shift when it moves
LONG = " ".join(SENTENCES * 3)


def write_corpus(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def base_rows():
    rows = [{"id": "long", "title": "a long page", "text": LONG}]
    return rows + [{"id": f"d{i}", "title": f"doc {i}", "text": s} for i, s in enumerate(SENTENCES)]


def edited_rows():
    """Of base_rows(): d1 removed (the rows after it move up), d2 and d5 edited, two added, long kept."""
    rows = [r for r in base_rows() if r["id"] != "d1"]
    for r in rows:
        if r["id"] in ("d2", "d5"):
            r["text"] += " and the blue river"
    return rows + [{"id": "new1", "title": "new 1", "text": "a green cat reads a book of math"},
                   {"id": "new2", "title": "new 2", "text": "the server sorts the data fast"}]


@pytest.fixture
def site(tiny_config, tmp_path):
    """A site built from base_rows(), and the config that built it."""
    config = tiny_config(corpus=write_corpus(tmp_path / "base.jsonl", base_rows()), out=tmp_path / "base-site",
                         docs_per_shard=2, fusion_alpha=0.5)
    build_site(config)
    return config


def files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_site_carries_its_rebuild_records(site):
    out = site.out
    meta = json.loads((out / "rebuild" / "binarizer.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert meta["teacher"] == manifest["teacher"] and meta["bits"] == 64 and meta["dim"] == 32
    raw = np.fromfile(out / "rebuild" / "binarizer.f32", dtype="<f4")
    assert raw.size == 32 * (64 + 1)
    table = json.loads((out / "rebuild" / "documents.json").read_text())
    assert table["corpus"] == "base.jsonl" and table["columns"] == ["id", "sha256", "first_row", "rows"]
    ids = [d[0] for d in table["documents"]]
    assert ids == [r["id"] for r in base_rows()]
    first, rows = table["documents"][0][2:]
    assert first == 0 and rows > 1  # the long page: several passages
    assert sum(d[3] for d in table["documents"]) == manifest["passages"]["count"]
    report = json.loads((out / "report.json").read_text())
    assert report["encoded"] == {"documents": len(base_rows()), "reused": 0}
    # rebuild/ is not what a host serves the page: counted apart
    assert report["bytes"]["rebuild"] == sum(len(b) for n, b in files(out / "rebuild").items())
    assert "rebuild" not in (out / "index.html").read_text()


def test_model_from_encodes_only_new_and_changed_documents(site, tiny_config, tmp_path):
    corpus = write_corpus(tmp_path / "edited.jsonl", edited_rows())
    config = tiny_config(corpus=corpus, out=tmp_path / "new-site", docs_per_shard=2, fusion_alpha=0.5,
                         model_from=site.out)
    result = build_site(config)
    report = result.report
    assert report["encoded"] == {"documents": 4, "reused": 10}  # d2, d5 edited, new1, new2 added
    assert not {"query model", "compose", "distill", "export"} & set(report["seconds"])
    assert {"teacher", "binarize", "model", "site", "total"} <= set(report["seconds"])
    compared = compare_rows(site.out, config.out)
    assert compared == {"identical": 10, "differ": []}
    old, new = files(site.out), files(config.out)
    for name in ("model.onnx", "tokenizer.json"):  # the same bytes under the same content name: a returning
        assert site_path(site.out, name).name == site_path(config.out, name).name  # visitor keeps them
        assert site_path(site.out, name).read_bytes() == site_path(config.out, name).read_bytes(), name
    assert old["rebuild/binarizer.f32"] == new["rebuild/binarizer.f32"]
    manifest = json.loads(new["manifest.json"])
    assert manifest["count"] == len(edited_rows())
    assert manifest["student"] == json.loads(old["manifest.json"])["student"]
    codes, _ = read_codes(site_path(config.out, "codes.bin"))
    assert len(codes) == manifest["passages"]["count"]
    # the new site is itself reusable, and the teacher's embeddings of the edited texts were made once
    again = build_site(dataclasses.replace(config, out=tmp_path / "third", model_from=config.out))
    assert again.report["encoded"] == {"documents": 0, "reused": len(edited_rows())}
    assert site_path(tmp_path / "third", "codes.bin").read_bytes() == site_path(config.out, "codes.bin").read_bytes()


def test_rebuilding_into_the_same_folder_reuses_it(site):
    before = files(site.out)
    result = build_site(site)  # same corpus, options and OUT
    assert result.report["encoded"] == {"documents": 0, "reused": len(base_rows())}
    after = files(site.out)
    for name in before:
        if name != "report.json":
            assert after[name] == before[name], name  # the same bytes as the build it reused
    # with another model option, or --retrain, it trains afresh
    changed = build_site(dataclasses.replace(site, binarizer_epochs=3))
    assert changed.report["encoded"]["reused"] == 0 and "export" in changed.report["seconds"]
    again = build_site(dataclasses.replace(site, binarizer_epochs=3, retrain=True))
    assert again.report["encoded"]["reused"] == 0


def test_a_site_of_another_corpus_at_out_is_not_reused(site, tmp_path):
    other = write_corpus(tmp_path / "other.jsonl", base_rows())
    result = build_site(dataclasses.replace(site, corpus=other))  # same documents, another input: built afresh
    assert result.report["encoded"] == {"documents": len(base_rows()), "reused": 0}


def test_a_folder_rebuilt_over_its_own_site_encodes_the_page_edited(tiny_config, tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    for i, s in enumerate(SENTENCES[:6]):
        (folder / f"p{i}.html").write_text(f"<title>Page {i}</title><main><h1>Page {i}</h1><p>{s}</p></main>")
    config = tiny_config(corpus=folder, out=None)
    first = build_site(config)
    assert first.out == folder / "hamming" and first.report["encoded"]["reused"] == 0
    (folder / "p3.html").write_text("<title>Page 3</title><main><h1>Page 3</h1><p>now about a red cat</p></main>")
    second = build_site(config)
    assert second.report["encoded"] == {"documents": 1, "reused": 5}
    assert compare_rows(first.out, second.out)["differ"] == []


def test_options_not_given_come_from_the_site(site, tiny_model, tmp_path, capsys):
    corpus = write_corpus(tmp_path / "edited.jsonl", edited_rows())
    out = tmp_path / "cli-site"
    # no --bits, --student, --max-length, ...: the site's (64 bits, docs_per_shard 2, fusion 0.5); one free option
    code = build_main([str(corpus), "-o", str(out), "--model-from", str(site.out), "--teacher", str(tiny_model),
                       "--fusion-alpha", "0.3"])
    assert code == 0, capsys.readouterr().err
    assert "reused" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    theirs = json.loads((site.out / "manifest.json").read_text())["options"]
    assert manifest["options"] == {**theirs, "fusion_alpha": 0.3}
    assert manifest["bits"] == 64 and manifest["docs"]["per_shard"] == 2
    assert json.loads((out / "report.json").read_text())["encoded"] == {"documents": 4, "reused": 10}


def test_a_site_built_before_an_option_existed_stays_reusable(site, tiny_model, tmp_path, capsys):
    """A site whose manifest predates an option (policy.ADDED) was built with that option's old value: --model-from
    takes it, as it takes any option not given."""
    manifest_path = site.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for name in policy.ADDED:
        del manifest["options"][name]
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    out = tmp_path / "from-older"
    code = build_main([str(write_corpus(tmp_path / "edited.jsonl", edited_rows())), "-o", str(out),
                       "--model-from", str(site.out), "--teacher", str(tiny_model)])
    assert code == 0, capsys.readouterr().err
    options = json.loads((out / "manifest.json").read_text())["options"]
    assert {name: options[name] for name in policy.ADDED} == policy.ADDED
    assert json.loads((out / "report.json").read_text())["encoded"]["reused"] > 0


def user_error(capsys, argv, *fragments):
    code = build_main([str(a) for a in argv])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("[")]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def other_teacher(tmp_path_factory):
    """A tiny teacher with other weights under the same folder name ("tiny-st")."""
    return make_tiny_model(tmp_path_factory.mktemp("other"), layers=2)


def test_conflicts_and_bad_sites_are_one_sentence_and_write_nothing(site, tiny_model, other_teacher, tmp_path,
                                                                    capsys):
    corpus = write_corpus(tmp_path / "edited.jsonl", edited_rows())
    out = tmp_path / "out"
    build_site(dataclasses.replace(site, corpus=corpus, out=out, model_from=None))  # an OUT that must stay as it is
    before = files(out)
    args = [corpus, "-o", out, "--teacher", tiny_model]

    user_error(capsys, [*args, "--model-from", site.out, "--bits", "128"], "--bits 128 differs from the 64",
               "leave --bits out")
    user_error(capsys, [*args, "--model-from", site.out, "--student-layers", "1"], "--student-layers 1")
    renamed = tmp_path / "renamed-st"
    shutil.copytree(other_teacher, renamed)
    user_error(capsys, [corpus, "-o", out, "--model-from", site.out, "--teacher", renamed],
               "--teacher renamed-st differs from the tiny-st")
    user_error(capsys, [corpus, "-o", out, "--model-from", site.out, "--teacher", other_teacher],
               "other weights than the one")
    user_error(capsys, [*args, "--model-from", tmp_path / "nothing-here"], "no such folder")
    (tmp_path / "empty").mkdir()
    user_error(capsys, [*args, "--model-from", tmp_path / "empty"], "not a site built by build-site (no manifest.json)")
    user_error(capsys, [*args, "--model-from", corpus], "not a folder")
    old = tmp_path / "old-site"
    shutil.copytree(site.out, old)
    shutil.rmtree(old / "rebuild")
    user_error(capsys, [*args, "--model-from", old], "older build-site", "once without --model-from")
    (old / "manifest.json").write_text("{not json")
    user_error(capsys, [*args, "--model-from", old], "not readable JSON")
    damaged = tmp_path / "damaged-site"
    shutil.copytree(site.out, damaged)
    model = site_path(damaged, "model.onnx")
    model.write_bytes(b"not the model")
    user_error(capsys, [*args, "--model-from", damaged], f"{model.name} changed after the build")
    user_error(capsys, [*args, "--model-from", site.out, "--retrain"], "give one of them")
    assert files(out) == before
    assert not list(tmp_path.glob(".hamming-site-tmp-*"))  # no temporary folder left either


def test_every_option_is_classified_once():
    """A new BuildConfig field must say whether it shaped the model (a reuse must agree) or not."""
    names = [f.name for f in dataclasses.fields(BuildConfig)]
    classified = [*policy.MODEL_OPTIONS, *policy.FREE_OPTIONS, *policy.NOT_FROM_SITE]
    assert sorted(classified) == sorted(names)
    assert not {"model_from", "retrain"} & set(BuildConfig(corpus=__file__).options())


def test_conflicting_library_config_is_refused(site, tmp_path):
    with pytest.raises(UserError, match="--bits 256 differs from the 64"):
        build_site(dataclasses.replace(site, out=tmp_path / "x", model_from=site.out, bits=256))
    assert not (tmp_path / "x").exists()


def test_the_packaged_teachers_two_names_are_one_teacher(tmp_path):
    config = BuildConfig(corpus=tmp_path, teacher="all-MiniLM-L6-v2", student="all-MiniLM-L6-v2")
    theirs = {**named_options(config), "teacher": "sentence-transformers/all-MiniLM-L6-v2"}
    assert policy.conflicts(config, {"options": theirs}) == []
    assert [c[0] for c in policy.conflicts(config, {"options": {**theirs, "teacher": "other"}})] == ["teacher"]
