"""Renderers: pure functions from the analysed Network to Manifest values (no I/O)."""
