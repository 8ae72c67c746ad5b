"""Read a blueprint file into plain Python data plus a source map of positions.

We walk ruamel.yaml's *node* tree ourselves instead of letting it construct objects, for
two reasons: every key and value keeps its line and column, and every duplicate key in
the file is reported (ruamel's constructor stops at the first one).
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from compiler.diagnostics import Diagnostic, Path, Position, Severity

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
# Scalars we construct; anything else (custom `!tags`, binary, sets) is refused.
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")
)
_MAX_BYTES = 16 * 1024 * 1024
# A blueprint nests about a dozen levels; far deeper is damage or an attack, refused with
# the position where it passes this depth instead of a RecursionError at 1:1.
MAX_DEPTH = 64
# Aliases share nodes, so a small file can stand for a huge document ("billion laughs").
# Expanding one is allowed this many values per node the file really has, plus a margin.
ALIAS_EXPANSION = 10
ALIAS_MARGIN = 1000
# libyaml (compiler/blueprint/libyaml.py) pays from about this size: below it ruamel reads
# the file sooner than PyYAML imports (15-20 ms, mostly its regexes; ruamel reads about
# 5 ms a kB, libyaml a tenth of that). Where PyYAML is loaded already (render and plan
# write YAML with it), libyaml reads every file.
LIBYAML_FROM = 8 * 1024


class _Refused(Exception):
    """The document cannot be walked: an alias cycle or an expansion past the bound."""

    def __init__(self, code: str, message: str, node: Node, path: Path) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.node = node
        self.path = path


class _Composer(Composer):
    """ruamel's composer, remembering where each open collection started and in which
    parent, so that a nesting error can point where the nesting starts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warn_double_anchors = False  # legal YAML (the later anchor wins): no warning
        self.open: list[tuple[Any, Any]] = []  # (parent node, start mark of the child)

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.open.append((parent, self.parser.peek_event().start_mark))
        node = super().compose_node(parent, index)
        self.open.pop()  # not on error: the stack is what the error handler reads
        return node

    def nesting_start(self) -> Any:
        """The outermost collection from which the document only goes deeper: each level
        below it is the first entry of the one above, so far (where the run begins)."""
        start = len(self.open) - 1
        while start > 0:
            parent = self.open[start][0]
            if parent is None or len(parent.value) > 0:
                break
            start -= 1
        return self.open[start][1]


def _distinct_nodes(root: Node) -> int:
    """Nodes of the composed graph, each counted once however many aliases share it."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return len(seen)


@dataclass
class SourceMap:
    """Positions of keys and values by document path."""

    file: str
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)

    def locate(self, path: Path, *, prefer_key: bool = False) -> Position:
        """Position of `path`, or of its nearest ancestor that exists in the file."""
        probe = path
        while True:
            table = (self.keys, self.values) if prefer_key else (self.values, self.keys)
            for t in table:
                if probe in t:
                    return t[probe]
            if not probe:
                return Position(1, 1)
            probe = probe[:-1]

    def place(self, diagnostic: Diagnostic, *, prefer_key: bool = False) -> Diagnostic:
        pos = self.locate(diagnostic.path, prefer_key=prefer_key)
        return dataclasses.replace(diagnostic, file=self.file, position=pos)


@dataclass
class Document:
    data: Any
    source: SourceMap


def _pos(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _Walker:
    def __init__(self, yaml: YAML, source: SourceMap, budget: int) -> None:
        self._yaml = yaml
        self.source = source
        self.diagnostics: list[Diagnostic] = []
        self._budget = budget  # values left to construct: bounds alias expansion
        self._limit = budget
        self._open: set[int] = set()  # collections being walked: an alias to one is a cycle

    def _fail(self, code: str, path: Path, message: str, node: Node) -> None:
        self.diagnostics.append(
            Diagnostic(code, Severity.ERROR, path, message, self.source.file, _pos(node))
        )

    def value(self, node: Node, path: Path) -> Any:
        self._budget -= 1
        if self._budget < 0:
            raise _Refused(
                "Y008",
                f"aliases expand the document past {self._limit} values, "
                f"{ALIAS_EXPANSION} times what the file holds: refused (an alias bomb?); "
                "the anchor being expanded is here",
                node,
                path,
            )
        self.source.values.setdefault(path, _pos(node))
        if isinstance(node, MappingNode | SequenceNode):
            if id(node) in self._open:
                raise _Refused(
                    "Y008", "an alias refers to a collection that contains it", node, path
                )
            self._open.add(id(node))
            try:
                if isinstance(node, MappingNode):
                    return self._mapping(node, path)
                return [self.value(item, (*path, i)) for i, item in enumerate(node.value)]
            finally:
                self._open.discard(id(node))
        if isinstance(node, ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                self._fail("Y007", path, f"unsupported YAML tag {node.tag!r}", node)
                return None
            try:
                return self._yaml.constructor.construct_object(node, deep=True)
            except (ValueError, YAMLError) as refused:
                # a scalar that resolves to a type its value cannot be: `2001-13-45` is a
                # timestamp by its shape, and no date
                kind = node.tag.rsplit(":", 1)[-1]
                self._fail("Y004", path, f"{node.value!r} is not a valid {kind}: {refused}", node)
                return None
        self._fail("Y007", path, f"unsupported YAML node {node.tag!r}", node)
        return None

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, Position] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged = self.value(value_node, path)
                for item in merged if isinstance(merged, list) else [merged]:
                    if isinstance(item, dict):
                        for k, v in item.items():
                            out.setdefault(k, v)
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self._fail("Y007", path, "mapping keys must be plain scalars", key_node)
                continue
            # Keys are names in this language: `1: x` means the key "1", and a YAML 1.2
            # boolean key such as `true:` would be a wrong key, reported by the schema.
            key = str(key_node.value)
            if key in seen:
                first = seen[key]
                self._fail(
                    "Y005",
                    (*path, key),
                    f"duplicate key {key!r} (first defined at line {first.line}, "
                    f"column {first.column})",
                    key_node,
                )
                continue
            seen[key] = _pos(key_node)
            self.source.keys[(*path, key)] = _pos(key_node)
            out[key] = self.value(value_node, (*path, key))
        return out


def _compose_all(yaml: YAML, text: str) -> list[Any]:
    """The documents' root nodes. libyaml reads them where it can (20x faster); ruamel
    reads the rest, and its errors are the ones reported."""
    if len(text) >= LIBYAML_FROM or "yaml" in sys.modules:
        from compiler.blueprint import libyaml  # noqa: PLC0415  (imports PyYAML)

        fast = libyaml.compose_all(text, yaml.resolver, MAX_DEPTH)
        if fast is not None:
            return fast
    return list(yaml.compose_all(text))


def read_document(file: str | FsPath) -> tuple[Document | None, list[Diagnostic]]:
    """Read one file. Returns the document, or None with the diagnostics that explain why."""
    name = str(file)
    source = SourceMap(name)

    def fail(
        code: str, message: str, line: int = 1, column: int = 1
    ) -> tuple[None, list[Diagnostic]]:
        return None, [Diagnostic(code, Severity.ERROR, (), message, name, Position(line, column))]

    fs_path = FsPath(file)
    try:
        if fs_path.is_dir():
            return fail("Y001", "is a directory, expected a blueprint file")
        with fs_path.open("rb") as fh:
            raw = fh.read(_MAX_BYTES + 1)
    except OSError as exc:
        return fail("Y001", f"cannot read file: {exc.strerror or exc}")
    if len(raw) > _MAX_BYTES:
        return fail("Y001", f"file is larger than {_MAX_BYTES // (1024 * 1024)} MiB")
    if b"\x00" in raw:
        return fail("Y002", "binary content (NUL bytes), expected YAML text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return fail("Y002", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", line)

    yaml = YAML(typ="safe", pure=True)
    yaml.max_depth = MAX_DEPTH
    yaml.Composer = _Composer
    try:
        nodes = _compose_all(yaml, text)
    except MaxDepthExceededError:
        mark = yaml.composer.nesting_start()
        return fail(
            "Y004", f"nesting deeper than {MAX_DEPTH} levels starts here (a blueprint needs "
            "about a dozen)", mark.line + 1, mark.column + 1,
        )  # fmt: skip
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = str(exc.problem or "syntax error")
        if exc.context:
            problem += f" ({exc.context}"
            if exc.context_mark is not None and exc.context_mark is not mark:
                cm = exc.context_mark
                problem += f" started at line {cm.line + 1}, column {cm.column + 1}"
            problem += ")"
        if mark is None:
            return fail("Y004", problem)
        return fail("Y004", problem, mark.line + 1, mark.column + 1)
    except YAMLError as exc:  # ruamel raises a few unmarked errors (e.g. bad characters)
        return fail("Y004", str(exc).splitlines()[0] if str(exc) else "malformed YAML")
    except RecursionError:
        return fail("Y004", "nesting is too deep")

    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return fail("Y003", "the file is empty; expected a FabricNetwork blueprint")
    if len(nodes) > 1:
        second = _pos(nodes[1])
        return fail(
            "Y006",
            "one blueprint per file: found a second YAML document",
            second.line,
            second.column,
        )

    budget = ALIAS_EXPANSION * _distinct_nodes(nodes[0]) + ALIAS_MARGIN
    walker = _Walker(yaml, source, budget)
    try:
        data = walker.value(nodes[0], ())
    except _Refused as exc:
        refused = Diagnostic(exc.code, Severity.ERROR, exc.path, exc.message, name, _pos(exc.node))
        return None, [refused]
    except RecursionError:
        return fail("Y004", "nesting is too deep")
    except YAMLError as exc:  # e.g. an invalid timestamp that matched the resolver
        return fail("Y004", str(exc).splitlines()[0])
    # Duplicate keys and odd tags do not stop us: the schema and the rules still run on
    # the rest of the file, so the user sees every problem in one pass.
    return Document(data, source), walker.diagnostics
