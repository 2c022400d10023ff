"""The published programme: the read model every public answer is built from, and its per-worker cache."""
