"""Load a blueprint file: YAML with positions → Blueprint model, or diagnostics.

Never raises for bad input: every problem becomes a Diagnostic with file, line and column.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from compiler.blueprint import repair
from compiler.blueprint.models import Blueprint
from compiler.blueprint.repair import Remainder
from compiler.blueprint.source import Document, SourceMap, read_document
from compiler.blueprint.types import PATTERN_HELP
from compiler.diagnostics import Diagnostic, Path, error, has_errors


@dataclass(frozen=True)
class Loaded:
    """A blueprint that passed the schema, with where each of its parts came from.
    `remainder` is set when only part of the file passed: the blueprint is that part (for
    the rules to check in the same run, never to render)."""

    blueprint: Blueprint
    source: SourceMap
    remainder: Remainder | None = None


def load(file: str | FsPath) -> tuple[Loaded | None, list[Diagnostic]]:
    """The blueprint, or None with the diagnostics that refuse it."""
    loaded, diagnostics = load_with_remainder(file)
    return (None if loaded is None or loaded.remainder else loaded), diagnostics


def load_with_remainder(file: str | FsPath) -> tuple[Loaded | None, list[Diagnostic]]:
    """Like `load`, but where the schema refuses parts of the file, the part it accepts
    (Loaded.remainder set), so that the rules can check it too."""
    document, diagnostics = read_document(file)
    if document is None:
        return None, diagnostics
    # a value the reader refused is None to the schema: its error there says nothing more
    refused = frozenset(d.path for d in diagnostics)
    blueprint, schema_diagnostics = validate_document(document, refused=refused)
    diagnostics = diagnostics + schema_diagnostics
    if blueprint is not None and not has_errors(diagnostics):
        return Loaded(blueprint, document.source), diagnostics
    if not isinstance(document.data, dict):
        return None, diagnostics
    found = repair.remainder(document.data, schema_diagnostics, _validate)
    if found is None:
        return None, diagnostics
    rest, partial = found
    return Loaded(partial, document.source, rest), diagnostics


def _validate(data: Any) -> tuple[Blueprint | None, list[Diagnostic]]:
    try:
        return Blueprint.model_validate(data), []
    except ValidationError as exc:
        return None, [_from_pydantic(d, data) for d in exc.errors(include_url=False)]


def validate_document(
    document: Document, refused: frozenset[Path] = frozenset()
) -> tuple[Blueprint | None, list[Diagnostic]]:
    """The blueprint, or the schema's diagnostics. `refused`: paths whose values the
    reader refused (None to the schema); only an unknown key is news there."""
    source = document.source
    if not isinstance(document.data, dict):
        found = _describe(document.data)
        return None, [
            source.place(error("S003", (), f"expected a FabricNetwork mapping, got {found}"))
        ]
    secrets = list(_inline_credentials(document.data, ()))
    secret_paths = {d.path for d in secrets}
    out = [source.place(d, prefer_key=True) for d in secrets]
    try:
        return Blueprint.model_validate(document.data), out
    except ValidationError as exc:
        for detail in exc.errors(include_url=False):
            diagnostic = _from_pydantic(detail, document.data)
            if diagnostic.path in secret_paths:
                continue  # already explained as an inline credential
            if diagnostic.path in refused and diagnostic.code != "S001":
                continue
            prefer_key = diagnostic.code in {"S001", "S002"}
            out.append(source.place(diagnostic, prefer_key=prefer_key))
        return None, out


# --- inline credentials (decision 2: passwords and keys are references, never values) ---

_CREDENTIAL_KEY = re.compile(
    r"(?i)^(.*passw(or)?d|.*secret|.*private_?key|key|.*token|.*api_?key|.*credentials?)$"
)
_PEM_PRIVATE_KEY = re.compile(r"-----BEGIN ([A-Z ]+ )?PRIVATE KEY-----")


def _inline_credentials(data: Any, path: Path) -> Iterator[Diagnostic]:
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, key)
            is_scalar = isinstance(value, str | int) and not isinstance(value, bool)
            if is_scalar and _CREDENTIAL_KEY.match(key) and str(value) != "":
                yield error(
                    "C001",
                    here,
                    f"`{key}` holds a value inline; credentials must be references to a "
                    "Kubernetes Secret (`{name: ...}`) or an external store key, never "
                    "values in git",
                )
                continue
            yield from _inline_credentials(value, here)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _inline_credentials(item, (*path, i))
    elif isinstance(data, str) and _PEM_PRIVATE_KEY.search(data):
        yield error(
            "C001",
            path,
            "a PEM private key is in the blueprint; keys are generated in the cluster or "
            "referenced from a Secret, never committed",
        )


# --- pydantic errors → diagnostics --------------------------------------------------------

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "none_required": "null",
}
_MAPPING_TYPES = {"dict_type", "model_type", "model_attributes_type"}
_RANGE_TYPES = {
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "too_short",
    "too_long",
    "string_too_short",
    "string_too_long",
    "literal_error",
    "enum",
    "value_error",
    "assertion_error",
}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _data_path(loc: tuple[int | str, ...], data: Any) -> Path:
    """pydantic's loc, keeping only the parts that are real keys and indexes of the data.

    pydantic adds pseudo-parts (`[key]`, validator names); the last part of a missing or
    unknown key is kept even though it is not (or not validly) in the data.
    """
    out: list[str | int] = []
    cursor = data
    for i, part in enumerate(loc):
        found, child = _child(cursor, part)
        if found:
            cursor = child
            out.append(part)
        elif i == len(loc) - 1 and isinstance(part, str) and not part.startswith("["):
            out.append(part)
    return tuple(out)


def _child(cursor: Any, part: int | str) -> tuple[bool, Any]:
    if isinstance(cursor, dict) and isinstance(part, str) and part in cursor:
        return True, cursor[part]
    if isinstance(cursor, list) and isinstance(part, int) and 0 <= part < len(cursor):
        return True, cursor[part]
    return False, None


def _model_at(path: Path) -> type[BaseModel] | None:
    """The model class whose mapping sits at `path`, for "did you mean" hints."""
    current: Any = Blueprint
    for part in path:
        current = _unwrap(current)
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (f for n, f in current.model_fields.items() if (f.alias or n) == part), None
            )
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated/list to the model or mapping type inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (types.UnionType, typing.Union):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0] if len(members) == 1 else annotation
            if len(members) != 1:
                return annotation
        elif origin is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


def _from_pydantic(detail: ErrorDetails, data: Any) -> Diagnostic:
    kind = detail["type"]
    path = _data_path(tuple(detail["loc"]), data)
    value = detail.get("input")
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        model = _model_at(path[:-1])
        allowed = sorted((f.alias or n) for n, f in model.model_fields.items()) if model else []
        hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        message = f"unknown key {key!r}"
        if hint:
            message += f"; did you mean {hint[0]!r}?"
        elif allowed:
            message += f"; allowed keys: {', '.join(allowed)}"
        return error("S001", path, message)
    if kind == "missing":
        key = str(path[-1]) if path else "?"
        return error("S002", path, f"required key {key!r} is missing")
    if kind in _TYPE_NAMES:
        message = f"expected {_TYPE_NAMES[kind]}, got {_describe(value)}"
        model = _model_at(path) if kind in _MAPPING_TYPES else None
        if model is not None:  # say what the mapping holds: the fix is usually one of these
            keys = sorted((f.alias or n) for n, f in model.model_fields.items())
            message += f" (keys: {', '.join(keys)})"
        return error("S003", path, message)
    if kind == "string_pattern_mismatch":
        pattern = str((detail.get("ctx") or {}).get("pattern", ""))
        rule = PATTERN_HELP.get(pattern, f"must match {pattern}")
        return error("S005", path, f"{_describe(value)} is not valid: {rule}")
    if kind in _RANGE_TYPES:
        return error("S004", path, f"{_describe(value)}: {detail['msg']}")
    return error("S003", path, f"{_describe(value)}: {detail['msg']}")
