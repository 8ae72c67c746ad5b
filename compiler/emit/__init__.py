"""Emit: the one module that writes manifests deterministically."""
