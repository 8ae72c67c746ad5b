"""Fabric's own config files (core.yaml, orderer.yaml, fabric-ca-server-config.yaml) are
jinja2 templates under compiler/templates/; Kubernetes objects are data, never templates."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("compiler", "templates"),
        undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML
    )


def render_template(name: str, **values: Any) -> str:
    return _environment().get_template(name).render(**values)
