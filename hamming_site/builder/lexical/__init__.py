"""The lexical side of the search: one tokenization shared with the page (tokenize.py), a BM25 index with
quantised impacts written in term-sorted chunks (index.py), and the page's exact keyword ranking (rank.py)."""
