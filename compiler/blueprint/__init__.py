"""The blueprint language: models, the positional YAML reader, the loader, the schema."""
