"""The Python twin of the page's search, each module named like its JavaScript twin: rank (rank.js: SiteRanker, the
page's rankings of a built site), fusion (fusion.js: hybrid fusion), lexical (lexical.js's BM25 scoring and
keyword order). site-eval, the parity tests and the benchmarks rank through them."""
