"""Compose a blueprint's YAML into ruamel's nodes from libyaml's events.

ruamel's scanner and parser are pure Python: reading the 58 kB blueprint of a 1,007-node
network took 0.70 s of the 0.80 s `hlfc validate` spends on it (cProfile: 86 % of check
in ruamel.yaml.scanner/parser/composer). libyaml, PyYAML's C parser, reads the same text
in 0.03 s.

The nodes are ruamel's own and every scalar is tagged by ruamel's resolver (YAML 1.2, as
ruamel's composer tags them), so everything after composition is unchanged. Where the two
libraries could part, this declines and the caller composes with ruamel instead, whose
diagnostics are then what the user sees:
- anything libyaml refuses (malformed YAML, an undefined alias, a bad character);
- text with a tab, an unusual line break or an unusual anchor name (`_PARTING`);
- a %YAML or %TAG directive (they change how ruamel resolves and names tags);
- the non-specific tag `!`, or a tag with a URI escape;
- an empty value in a flow collection (`[a: ]`: the two place it apart);
- nesting deeper than the caller's bound (ruamel's error points where the nesting starts).
tests/test_libyaml.py holds the two to the same documents, positions and diagnostics on
every blueprint here and on damaged ones.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.tag import Tag
from yaml import YAMLError
from yaml import events as ev

try:
    from yaml._yaml import CParser

    HAVE_LIBYAML = True
except ImportError:  # PyYAML built without libyaml: ruamel composes everything
    HAVE_LIBYAML = False


def compose_all(text: str, resolver: Any, max_depth: int) -> list[Node] | None:
    """The root node of each document in `text`, or None where ruamel must compose it."""
    if not HAVE_LIBYAML or _PARTING.search(text):
        return None
    parser = CParser(text)
    try:
        return _Composer(resolver, max_depth).compose(parser)
    except (YAMLError, _Declined):
        return None
    finally:
        parser.dispose()


# Text where the two libraries were seen to part (tests/test_libyaml.py's fuzzing):
# - a tab: libyaml takes `a<TAB>b: 1` for a key, ruamel refuses the tab;
# - a line break other than LF and CRLF (CR alone, NEL, LS, PS): they count lines apart;
# - an anchor or alias name beyond letters, digits, `-` and `_`: YAML 1.2 (ruamel) takes
#   `&name:` as the anchor "name:", libyaml as the anchor "name" and a colon;
# - a tag run into a flow indicator: in `{a: !x, b: 1}` ruamel takes the tag "!x," and
#   refuses the rest, libyaml takes "!x" and a comma.
# Declining costs only speed: a `&` in a URL or a comment sends the file to ruamel.
_PARTING = re.compile(
    r"[\t\x85\u2028\u2029]|\r(?!\n)"
    r"|[&*][A-Za-z0-9_-]*[^A-Za-z0-9_\-\s,\[\]{}]"
    r"|![^\s,\[\]{}]*[,\[\]{}]"
)


class _Declined(Exception):
    """The text is one ruamel must compose (see the module)."""


def _declined(tag: str | None) -> bool:
    """The non-specific tag `!` (ruamel and libyaml resolve it apart), or a tag with a %
    (libyaml gives its suffix URI-decoded, ruamel decodes it once more)."""
    return tag is not None and (tag == "!" or "%" in tag)


class _Composer:
    """Events to nodes, iteratively: a document's depth costs no Python stack."""

    def __init__(self, resolver: Any, max_depth: int) -> None:
        self.resolver = resolver
        self.max_depth = max_depth
        self.roots: list[Node] = []
        self.anchors: dict[str, Node] = {}
        # open collections, innermost last; for a mapping, its key waiting for a value
        self.open: list[CollectionNode] = []
        self.keys: list[Node | None] = []
        # A tag depends only on the scalar's text and style (the YAML version is fixed),
        # and a blueprint repeats the same keys and values: one resolution and one Tag per
        # distinct pair (ruamel's `resolve` and a Tag's first str() were a third of the time)
        self.tags: dict[tuple[Any, ...], Any] = {}
        # ruamel places an empty value of a block mapping (`key:` and nothing) where the
        # next token starts, the next key or the mapping's end; libyaml just after the colon
        self.empty_value: Node | None = None

    def compose(self, parser: Any) -> list[Node]:
        while True:
            event = parser.get_event()
            if self.empty_value is not None:
                self.empty_value.start_mark = event.start_mark
                self.empty_value = None
            kind = type(event)
            if kind is ev.ScalarEvent:
                self.scalar(event)
            elif kind is ev.AliasEvent:
                if event.anchor not in self.anchors:
                    raise _Declined
                self.attach(self.anchors[event.anchor])
            elif kind is ev.SequenceStartEvent:
                self.start(event, SequenceNode)
            elif kind is ev.MappingStartEvent:
                self.start(event, MappingNode)
            elif kind is ev.SequenceEndEvent or kind is ev.MappingEndEvent:
                self.open.pop().end_mark = event.end_mark
                self.keys.pop()
            elif kind is ev.DocumentStartEvent:
                if event.version is not None or event.tags:
                    raise _Declined
                self.anchors = {}
            elif kind is ev.StreamEndEvent:
                return self.roots

    def tag_of(self, cls: type[Node], explicit: str | None, value: Any, implicit: Any) -> Any:
        if _declined(explicit) or len(self.open) >= self.max_depth:
            raise _Declined
        key = (cls, explicit, value, implicit)
        tag = self.tags.get(key)
        if tag is None:
            tag = Tag(suffix=explicit) if explicit else self.resolver.resolve(cls, value, implicit)
            self.tags[key] = tag
        return tag

    def scalar(self, event: Any) -> None:
        tag = self.tag_of(ScalarNode, event.tag, event.value, event.implicit)
        node = ScalarNode(
            tag, event.value, event.start_mark, event.end_mark, style=event.style or None
        )
        if event.value == "" and not event.style and event.anchor is None and not event.tag:
            parent = self.open[-1] if self.open else None
            if parent is not None and parent.flow_style is not False:
                # `[a: ]`: ruamel places the empty value after the colon, libyaml at `]`
                raise _Declined
            if parent is not None and self.keys[-1] is not None:
                self.empty_value = node
        self.attach(node)
        if event.anchor is not None:
            self.anchors[event.anchor] = node

    def start(self, event: Any, cls: type[SequenceNode] | type[MappingNode]) -> None:
        tag = self.tag_of(cls, event.tag, None, event.implicit)
        node = cls(tag, [], event.start_mark, None, flow_style=event.flow_style)
        self.attach(node)
        if event.anchor is not None:
            self.anchors[event.anchor] = node
        self.open.append(node)
        self.keys.append(None)

    def attach(self, node: Node) -> None:
        if not self.open:
            self.roots.append(node)
            return
        parent = self.open[-1]
        if isinstance(parent, SequenceNode):
            parent.value.append(node)
        elif self.keys[-1] is None:
            self.keys[-1] = node
        else:
            parent.value.append((self.keys[-1], node))
            self.keys[-1] = None
