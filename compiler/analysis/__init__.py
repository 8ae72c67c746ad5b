"""Semantic analysis: resolve the blueprint into a Network and check it with rules."""
