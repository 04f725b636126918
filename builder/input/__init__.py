"""Pages in, documents out: .txt/.jsonl corpora, folders of HTML or Markdown pages, and passages."""
