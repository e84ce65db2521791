"""Course sources (issue 17): conversion of uploads to Markdown, chunks, retrieval."""
