"""The teacher: load a sentence-transformers model (load), embed texts (embed) through an on-disk cache (cache)
on torch or onnxruntime (backends)."""
