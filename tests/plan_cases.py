"""The plan test pairs: each case under tests/plan/ names a blueprint of blueprints/ as its
base, the edits that make the new blueprint (and, if the base itself differs from the
example, the edits that make the base), and the exact changes `hlfc plan` must report."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT

CASES_DIR = Path(__file__).parent / "plan"
CASES = sorted(p.stem for p in CASES_DIR.glob("*.yaml"))


def _apply(doc: dict[str, Any], edits: list[dict[str, Any]]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for edit in edits:
        op = next(k for k in ("set", "delete", "append") if k in edit)
        *parents, last = edit[op]
        target: Any = out
        for part in parents:
            target = target[part]
        if op == "set":
            target[last] = edit["value"]
        elif op == "delete":
            del target[last]
        else:
            target[last].append(edit["value"])
    return out


@dataclass(frozen=True)
class Case:
    name: str
    about: str
    base: dict[str, Any]
    new: dict[str, Any]
    expect: list[dict[str, Any]]
    classes: tuple[str, ...]  # the classes whose changes `expect` lists exactly

    def write(self, directory: Path) -> tuple[Path, Path]:
        base, new = directory / "base.yaml", directory / "new.yaml"
        base.write_text(yaml.safe_dump(self.base, sort_keys=False), encoding="utf-8")
        new.write_text(yaml.safe_dump(self.new, sort_keys=False), encoding="utf-8")
        return base, new


def load_case(name: str) -> Case:
    spec = yaml.safe_load((CASES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    example = yaml.safe_load((ROOT / "blueprints" / f"{spec['blueprint']}.yaml").read_text())
    base = _apply(example, spec.get("baseEdits", []))
    return Case(
        name=name,
        about=spec["about"],
        base=base,
        new=_apply(base, spec["edits"]),
        expect=spec["expect"],
        classes=tuple(spec["classes"]),
    )
