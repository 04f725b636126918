"""The one frozen configuration of a build, validated before any heavy work."""

from __future__ import annotations

import dataclasses
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from hamming_site.builder import UserError
from hamming_site.builder.lexical.languages import known
from hamming_site.builder.output.site import read_strings
from hamming_site.builder.teacher.load import (
    AUTO,
    BACKENDS,
    DEFAULT_BACKEND,
    DEVICES,
    ENGINES,
    auto_layers,
    models_for,
)


@dataclass(frozen=True)
class BuildConfig:
    corpus: Path  # .txt (one document per line), .jsonl / .jsonl.gz ({"text", "id", ...}), or a folder of .html / .md
    out: Path | None = None  # the site folder, replaced atomically; None = FOLDER/hamming/ for a folder, else site/
    bits: int = 256  # code length: a multiple of 32 from 32 to 1024
    # sentence-transformers name or path; supplies the targets only. auto: all-MiniLM-L6-v2 where at least 95 % of
    # the pages are English, else multilingual-e5-small (hamming_site/builder/teacher/load.py's models_for)
    teacher: str = AUTO
    teacher_backend: str = DEFAULT_BACKEND  # runs the teacher: onnx-int8 (1.7x torch's speed), onnx (fp32) or torch
    # teacher processes (one thread each), or Ray actors; 0 = one per core from 4,000 texts to encode (Ray: per CPU)
    teacher_processes: int = 0
    device: str = "auto"  # teacher and training: auto (cuda, then mps, where torch sees one; else cpu), cpu, cuda, mps
    engine: str = "local"  # the teacher pass: local, or ray (a Ray Data job on RAY_ADDRESS, else a local Ray)
    # model whose layers and tokenizer the student is cut from; auto: multilingual-e5-small with that teacher, else
    # all-MiniLM-L6-v2
    student: str = AUTO
    # layers the student keeps (spread evenly); 0 = auto: 3 of all-MiniLM-L6-v2's 6 (all 6: the teacher's own trunk,
    # undistilled), all 12 of multilingual-e5-small's (6 found 85-90 % of what the teacher finds across languages,
    # 12 all of it: debian-handbook de-DE 67 -> 81 %, ja-JP 73 -> 83 %; 3 lost a third of its English questions)
    student_layers: int = 0
    # shared: student distilled once per teacher on a shipped sample; corpus: per corpus; auto: corpus with
    # multilingual-e5-small (its shared one is English-only and not shipped), else shared
    query_model: str = AUTO
    query_texts: int = 48000  # shared query model: texts of the shipped sample it is distilled on (once)
    query_epochs: int = 4  # shared query model: training passes over those texts (once; 4 beat 2 on SciFact train)
    refit_prior: int = 256  # shared query model: projection refitted on this corpus's views; the map counts as N views
    refit_views: int = 4096  # shared query model: views the refit reads (its cost; 4,096 = 8,192 on SciFact train)
    rank_epochs: int = 4  # shared query model: passes training its projection to rank the passages as the teacher does
    tune_views: int = 0  # shared query model: this corpus's views it is then fine-tuned on, one pass (0 = none)
    meaning: str = "both"  # query encoders: both (a static table per word, then the transformer), lite, full
    static_epochs: int = 16  # static encoder: passes fitting its table (0 = idf centroids; 16: SciFact train)
    static_init: str = "both"  # static encoder's start: centroids, words (the teacher reads each word), both
    static_bucket_bytes: int = 2048  # static encoder: target bytes of a meaning/ file (a query fetches one a word)
    cluster_rows: int = 256  # rows a cluster of codes holds (a query fetches its nearest); 0: 2 x sqrt(rows) clusters
    clusters_from: int = 4096  # passages from which the codes are fetched by cluster; below, codes.bin whole
    sign_centroids_from: int = 256  # clusters from which centroids are stored as sign bits (32 B, not 264)
    transformer_codes: str = "auto"  # with clusters, the transformer ranks: whole, probed, auto (whole if <= model)
    epochs: int = 2  # per-corpus distillation: training passes over this corpus's views and documents
    binarizer_epochs: int = 8  # binarizer passes over the views (teacher vectors only; 8 as good as 15: SciFact train)
    batch_size: int = 32  # training batch size
    lr: float = 3e-4  # AdamW learning rate of the transformer (the projection gets 10x)
    recon_weight: float = 0.2  # weight of the binarizer's decoder loss beside its ranking loss
    vocab_size: int = 14000  # word pieces the student keeps: the corpus's, then common words (0 = all)
    weight_bits: int = 4  # model.onnx stores weights as int4 (blocks of 64, float16 scales) or int8
    max_length: int = 256  # tokens of a passage (longer documents are split) and of a query (the page truncates)
    overlap: int = 32  # tokens a passage repeats from the one before it when a section is split (at most 1/4 of one)
    train_max_length: int = 64  # truncation of documents while training the student (it encodes queries)
    views_per_doc: int = 3  # query-like views (sentences, spans) made from each document
    max_views: int = 8192  # views kept at most, drawn evenly: the teacher encodes them and the binarizer trains on them
    # a site not all in English, its student distilled on it (--query-model corpus): English texts of the shipped
    # sample added to its views (read as questions), so the student, the binarizer and the static encoder learn
    # English questions too (0 = none)
    bridge_texts: int = 2000
    base_url: str = ""  # site folders: prefix of every page's URL (e.g. /docs/); "" = relative to the folder
    pretty_urls: bool = False  # URLs page/ for Markdown's page.md (Hugo, MkDocs) and folder/ for an index.html
    docs_per_shard: int = 0  # documents a docs/NNNN.json shard; 0 = auto: up to 4 within about 16 KB, a long page alone
    offline: str = "auto"  # auto: visitors keep the site for offline use once a ranking with meaning is shown; off
    # every page's language (ISO 639-1: de, fr, ja, zh, ...), whatever the pages say; "" = each page's own (<html
    # lang>, front matter, a record's "lang"), else detected from its text (lexical/languages.py)
    language: str = ""
    # a JSON file of the page's and the widget's own words for this site ({"placeholder": "Search the docs", ...}:
    # hamming_site/web/strings.json's keys), over the site language's; None = those as they are
    strings: Path | None = None
    bm25_k1: float = 1.2  # keyword index: BM25 term-frequency saturation (tuned on SciFact train)
    bm25_b: float = 0.75  # keyword index: BM25 length normalisation
    title_weight: int = 3  # keyword index: a title word counts this many times
    chunk_bytes: int = 8192  # keyword index: target bytes of a chunk file (a query fetches its terms' chunks)
    fusion_alpha: float = 0.4  # hybrid: weight of the meaning score against the keyword score (tuned: SciFact train)
    fusion_depth: int = 400  # hybrid: candidates taken from each ranking (tuned: SciFact train)
    # hybrid (the transformer's), on a site not all English: weight of the meaning score in a passage that does not
    # hold the whole question, of a page in another script than the question's letters or, where no passage holds
    # it, of any page not in English (search/fusion.py's across_alphas); chosen on debian-handbook ja-JP, de-DE and
    # maint-guide ja with 12 layers: 0.9 is the lowest at which every site's English headings find at least what
    # its float teacher finds (0.8: maint-guide ja 84.6 % against 88.5 %)
    fusion_across: float = 0.9
    seed: int = 0  # seeds every random choice: same input + options + seed = same bytes
    force: bool = False  # allow replacing an OUT folder that build-site did not create
    cache_dir: Path | None = None  # teacher embedding cache; None = ~/.cache/hamming-site
    model_from: Path | None = None  # a site whose model, binarizer, options to reuse: encode only new or changed docs
    retrain: bool = False  # train the model afresh even where OUT holds a site whose model this build could reuse

    def validate(self) -> BuildConfig:
        if self.bits % 32 or not 32 <= self.bits <= 1024:
            raise UserError(f"--bits {self.bits} is not allowed: use a multiple of 32 from 32 to 1024.")
        if self.binarizer_epochs < 0:
            raise UserError(f"--binarizer-epochs {self.binarizer_epochs} is negative: use 0 or more.")
        if self.epochs < 0:
            raise UserError(f"--epochs {self.epochs} is negative: use 0 or more.")
        if not 0 <= self.student_layers <= 48:
            raise UserError(f"--student-layers {self.student_layers} must be between 0 (auto) and 48.")
        if self.vocab_size < 0:
            raise UserError(f"--vocab-size {self.vocab_size} is negative: use 0 (keep all) or a size.")
        if self.weight_bits not in (4, 8):
            raise UserError(f"--weight-bits {self.weight_bits} is not allowed: use 4 or 8.")
        if not 8 <= self.max_length <= 8192:
            raise UserError(f"--max-length {self.max_length} must be between 8 and 8192.")
        if not 8 <= self.train_max_length:
            raise UserError(f"--train-max-length {self.train_max_length} must be 8 or more.")
        if not 0 <= self.fusion_alpha <= 1 or not 0 <= self.fusion_across <= 1:
            raise UserError("--fusion-alpha and --fusion-across must be between 0 and 1.")
        if self.language and not known(self.language):
            raise UserError(f"--language {self.language} is not a language code: use an ISO 639-1 code such as de, "
                            f"fr, ja or zh.")
        if self.strings is not None:
            read_strings(self.strings)  # one sentence naming the file, before any heavy work
        if not 1 <= self.fusion_depth <= 10_000:
            raise UserError(f"--fusion-depth {self.fusion_depth} must be between 1 and 10000.")
        if self.docs_per_shard < 0:
            raise UserError(f"--docs-per-shard {self.docs_per_shard} must be 0 (auto) or more.")
        if self.bm25_k1 < 0 or not 0 <= self.bm25_b <= 1 or self.title_weight < 0:
            raise UserError("--bm25-k1 must be >= 0, --bm25-b between 0 and 1 and --title-weight >= 0.")
        if self.chunk_bytes < 256:
            raise UserError(f"--chunk-bytes {self.chunk_bytes} must be 256 or more.")
        if self.query_model not in ("shared", "corpus", AUTO):
            raise UserError(f"--query-model {self.query_model} is not allowed: use auto, shared or corpus.")
        if self.query_texts < 1 or self.query_epochs < 1:
            raise UserError("--query-texts and --query-epochs must be 1 or more.")
        if self.bridge_texts < 0:
            raise UserError(f"--bridge-texts {self.bridge_texts} is negative: use 0 or more.")
        if self.max_views < 0:
            raise UserError(f"--max-views {self.max_views} is negative: use 0 or more.")
        if self.refit_prior < 0 or self.tune_views < 0 or self.refit_views < 0 or self.rank_epochs < 0:
            raise UserError("--refit-prior, --refit-views, --rank-epochs and --tune-views must be 0 or more.")
        if self.meaning not in ("both", "lite", "full"):
            raise UserError(f"--meaning {self.meaning} is not allowed: use both, lite or full.")
        if self.offline not in ("auto", "off"):
            raise UserError(f"--offline {self.offline} is not allowed: use auto or off.")
        if self.transformer_codes not in ("auto", "whole", "probed"):
            raise UserError(f"--transformer-codes {self.transformer_codes} is not allowed: use auto, whole or probed.")
        if self.static_init not in ("centroids", "words", "both"):
            raise UserError(f"--static-init {self.static_init} is not allowed: use centroids, words or both.")
        if not (self.cluster_rows == 0 or self.cluster_rows >= 4) or self.clusters_from < 0 or \
                self.sign_centroids_from < 2:
            raise UserError("--cluster-rows must be 0 (auto) or 4 or more, --clusters-from 0 or more and "
                            "--sign-centroids-from 2 or more.")
        if self.static_epochs < 0 or self.static_bucket_bytes < 512:
            raise UserError("--static-epochs must be 0 or more and --static-bucket-bytes 512 or more.")
        if self.teacher_backend not in BACKENDS:
            raise UserError(f"--teacher-backend {self.teacher_backend} is not allowed: use {', '.join(BACKENDS)}.")
        if self.device not in DEVICES:
            raise UserError(f"--device {self.device} is not allowed: use {', '.join(DEVICES)}.")
        if self.engine not in ENGINES:
            raise UserError(f"--engine {self.engine} is not allowed: use {', '.join(ENGINES)}.")
        if self.engine == "ray" and importlib.util.find_spec("ray") is None:
            raise UserError("--engine ray needs Ray with Ray Data: pip install 'hamming-site[ray]'.")
        if self.teacher_processes < 0:
            raise UserError(f"--teacher-processes {self.teacher_processes} is negative: use 0 (auto) or more.")
        if self.overlap < 0:
            raise UserError(f"--overlap {self.overlap} is negative: use 0 or more.")
        if self.model_from is not None and self.retrain:
            raise UserError("--model-from reuses a site's model and --retrain trains a new one: give one of them.")
        if not self.corpus.exists():
            raise UserError(f"{self.corpus}: no such file or folder.")
        return self

    def options(self) -> dict:
        """The options that determine the output bytes (for the manifest and cache keys)."""
        skip = {"corpus", "out", "force", "cache_dir", "teacher_processes", "device", "engine"}  # where and how
        skip |= {"strings"}  # a file's name: the words it gives are the manifest's "strings"
        skip |= {"model_from", "retrain"}  # where the model comes from: a reuse makes the same bytes as a new build
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in skip}

    def for_languages(self, pages: dict[str, int]) -> BuildConfig:
        """This configuration with its teacher, student and query model chosen for a site with `pages` pages per
        language, where they are auto (the build and site-eval call it once the pages are read)."""
        teacher, student, query_model = models_for(self.teacher, self.student, self.query_model, pages)
        layers = self.student_layers or auto_layers(student)
        return dataclasses.replace(self, teacher=teacher, student=student, query_model=query_model,
                                   student_layers=layers)

    def site_folder(self) -> Path:
        """OUT: as given, else inside a site folder (its URLs then stay relative), else site/."""
        if self.out is not None:
            return Path(self.out)
        return self.corpus / "hamming" if self.corpus.is_dir() else Path("site")

    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or Path.home() / ".cache" / "hamming-site"
