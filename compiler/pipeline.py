"""The core use cases, returning results as values: check files, render them.

The CLI formats these results; nothing here prints or exits.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from compiler.analysis.analyze import Analysis, analyze, check_rules
from compiler.analysis.chaincodes import Deployed
from compiler.analysis.chaincodes import against_deployed as chaincode_lifecycle
from compiler.analysis.network import Network
from compiler.blueprint.loader import load_with_remainder
from compiler.collector import cycle_collector_paused
from compiler.diagnostics import Diagnostic, error, has_errors, sorted_diagnostics

if TYPE_CHECKING:
    from compiler.emit.writer import WriteReport
    from compiler.plan.model import Plan

# Rendering, writing and planning (PyYAML, the renderers) are imported by the
# functions that use them: `hlfc validate` is run on every save and in every pre-commit
# hook, and should not pay for them at start-up.


@dataclass(frozen=True)
class FileResult:
    file: str
    diagnostics: tuple[Diagnostic, ...]
    analysis: Analysis | None  # None when the file did not load

    @property
    def ok(self) -> bool:
        return self.analysis is not None and not has_errors(self.diagnostics)


@cycle_collector_paused()
def check_file(file: str | Path) -> FileResult:
    loaded, diagnostics = load_with_remainder(file)
    if loaded is None:
        return FileResult(str(file), tuple(sorted_diagnostics(diagnostics)), None)
    if loaded.remainder is not None:
        # the schema refused parts: the rules check the rest, in the same run, and say
        # nothing the schema's errors already say
        rest = loaded.remainder
        found = [
            loaded.source.place(rest.translate(d))
            for d in check_rules(loaded)
            if not rest.repeats(d)
        ]
        every = sorted_diagnostics([*diagnostics, *found])
        return FileResult(str(file), tuple(every), None)
    analysis = analyze(loaded)
    every = sorted_diagnostics([*diagnostics, *analysis.diagnostics])
    return FileResult(str(file), tuple(every), analysis)


def check_files(files: Iterable[str | Path]) -> list[FileResult]:
    return [check_file(f) for f in files]


@dataclass(frozen=True)
class RenderResult:
    checks: tuple[FileResult, ...]
    writes: tuple[WriteReport, ...]  # empty unless every file was valid

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _one_file_per_network(checks: list[FileResult]) -> tuple[FileResult, ...]:
    """Two files rendering one network would overwrite each other's output: refuse it."""
    first: dict[str, str] = {}
    out: list[FileResult] = []
    for check in checks:
        if check.analysis is None:
            out.append(check)
            continue
        name = check.analysis.network.name
        if name in first:
            clash = check.analysis.source.place(
                error(
                    "N005",
                    ("metadata", "name"),
                    f"network {name!r} is already defined by {first[name]}; each blueprint "
                    "must name its own network",
                )
            )
            every = tuple(sorted_diagnostics([*check.diagnostics, clash]))
            out.append(FileResult(check.file, every, check.analysis))
            continue
        first[name] = check.file
        out.append(check)
    return tuple(out)


def deployed_definitions(network_dir: Path) -> dict[tuple[str, str], Deployed]:
    """The chaincode definitions a rendered network directory holds (the lifecycle Jobs'
    job.json): what the clusters run once that output is synced."""
    import yaml  # noqa: PLC0415  (see the imports above)

    found: dict[tuple[str, str], Deployed] = {}
    # chaincode-*.yaml (the Job with its ConfigMap), or configmap-*.yaml as hlfc wrote them
    # before it grouped files
    for path in sorted(network_dir.glob("*/*/*.yaml")):
        try:
            text = path.read_text(encoding="utf-8")
            if "chaincode-lifecycle" not in text:
                continue  # most files: not worth parsing
            for obj in yaml.load_all(text, Loader=yaml.CSafeLoader):
                labels = obj["metadata"].get("labels", {})
                if obj["kind"] != "ConfigMap" or (
                    labels.get("app.kubernetes.io/component") != "chaincode-lifecycle"
                ):
                    continue
                job = json.loads(obj["data"]["job.json"])
                key = (str(job["channel"]), str(job["chaincode"]))
                found[key] = Deployed(int(job["sequence"]), dict(job["definition"]))
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError):
            continue  # not a lifecycle file this version wrote: nothing to hold to
    return found


def against_deployed(check: FileResult, out_dir: Path) -> FileResult:
    """The file's chaincode definitions against those rendered under out_dir (L001/L002)."""
    if check.analysis is None:
        return check
    network = check.analysis.network
    deployed = deployed_definitions(out_dir / network.name)
    found = [check.analysis.source.place(d) for d in chaincode_lifecycle(network, deployed)]
    if not found:
        return check
    every = tuple(sorted_diagnostics([*check.diagnostics, *found]))
    return FileResult(check.file, every, check.analysis)


def repository_path(out_dir: Path) -> str | None:
    """`out_dir` as Argo CD finds it: relative to the root of the git repository it is in
    (the nearest parent holding `.git`); None outside any repository."""
    here = out_dir.resolve()
    root = next((p for p in (here, *here.parents) if (p / ".git").exists()), None)
    return None if root is None else Path(os.path.relpath(here, root)).as_posix()


def _delivered_from(network: Network, out_dir: Path) -> Network:
    """The network with spec.argocd.path set to where the output really goes in its
    repository, unless the blueprint says where the repository keeps it. Outside any
    repository the renderer's default (`output`) stands: no one syncs from there."""
    blueprint = network.blueprint
    argocd = blueprint.spec.argocd
    path = repository_path(out_dir)
    if argocd.path is not None or path is None:
        return network
    spec = blueprint.spec.model_copy(update={"argocd": argocd.model_copy(update={"path": path})})
    return replace(network, blueprint=blueprint.model_copy(update={"spec": spec}))


@cycle_collector_paused()
def render_files(files: Iterable[str | Path], out_dir: Path) -> RenderResult:
    """Render every file, or nothing at all if any of them is invalid."""
    from compiler.emit.writer import emit_tree  # noqa: PLC0415
    from compiler.render import profile  # noqa: PLC0415
    from compiler.render.network import render_network  # noqa: PLC0415

    checks = tuple(against_deployed(c, out_dir) for c in _one_file_per_network(check_files(files)))
    if not all(c.ok for c in checks):
        return RenderResult(checks, ())
    networks = [
        _delivered_from(c.analysis.network, out_dir) for c in checks if c.analysis is not None
    ]
    writes = tuple(
        emit_tree(out_dir, network.name, render_network(network), profile.files(network))
        for network in networks
    )
    return RenderResult(checks, writes)


@dataclass(frozen=True)
class PlanResult:
    new: FileResult
    base: FileResult | None  # None: the blueprint is new (not in the base)
    plan: Plan | None  # None unless both files are valid

    @property
    def checks(self) -> tuple[FileResult, ...]:
        return (self.new,) if self.base is None else (self.new, self.base)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@cycle_collector_paused()
def plan_file(
    new_file: str | Path, base_file: str | Path | None, acknowledged: Iterable[str] = ()
) -> PlanResult:
    """What syncing `new_file` does to the network `base_file` compiles to. Writes nothing."""
    from compiler.plan.plan import compare  # noqa: PLC0415
    from compiler.render.network import render_network  # noqa: PLC0415

    new = check_file(new_file)
    base = check_file(base_file) if base_file is not None else None
    if new.analysis is None or not new.ok or (base is not None and not base.ok):
        return PlanResult(new, base, None)
    network = new.analysis.network
    if base is None or base.analysis is None:
        old_network = replace(network, clusters=(), orgs=(), channels=())
        old_manifests = []
    else:
        old_network = base.analysis.network
        old_manifests = render_network(old_network)
    result = compare(old_network, network, old_manifests, render_network(network), acknowledged)
    return PlanResult(new, base, result)
