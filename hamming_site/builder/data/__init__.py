"""Data shipped with the package: the query model's text sample (tools/make_query_sample.py makes it)."""
