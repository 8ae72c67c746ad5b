"""Ground truth for `recreate`: a real kube-apiserver, not a table in hlfc. For every test
pair under tests/plan/, each object that differs between the two outputs is server-side
applied as the base renders it, then as the new blueprint renders it; the objects the API
server refuses as immutable are exactly those `hlfc plan` classed as recreate."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compiler.pipeline import check_file, plan_file
from compiler.plan.model import RECREATE
from compiler.plan.objects import Key, index
from compiler.render.network import render_network
from tests import apiserver
from tests.plan_cases import CASES, load_case

pytestmark = [pytest.mark.tools]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[apiserver.ApiServer]:
    with apiserver.running(tmp_path_factory.mktemp("apiserver")) as running:
        running.install_crds()
        yield running


def _objects(path: Path) -> dict[Key, dict[str, Any]]:
    check = check_file(path)
    assert check.analysis is not None and check.ok, check.diagnostics
    return index(render_network(check.analysis.network))


def _placed(obj: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The object in namespaces (or, cluster-wide, under a name) of this case and cluster
    alone: one API server judges every case and cluster without collisions."""
    out = copy.deepcopy(obj)
    meta = out["metadata"]
    if meta.get("namespace"):
        meta["namespace"] = f"{prefix}-{meta['namespace']}"
    else:
        meta["name"] = f"{prefix}-{meta['name']}"
    return out


def _refused(server: apiserver.ApiServer, case_no: int, path_old: Path, path_new: Path) -> set[str]:
    old, new = _objects(path_old), _objects(path_new)
    clusters = sorted({k.cluster for k in [*old, *new]})
    refused: set[str] = set()
    for key in sorted(old.keys() & new.keys()):
        if old[key] == new[key]:
            continue
        prefix = f"p{case_no}-{clusters.index(key.cluster)}"
        if key.namespace:
            ns = {"apiVersion": "v1", "kind": "Namespace",
                  "metadata": {"name": f"{prefix}-{key.namespace}"}}  # fmt: skip
            assert server.apply(ns).status_code < 300
        first = server.apply(_placed(old[key], prefix))
        assert first.status_code < 300, (key, first.text)
        second = server.apply(_placed(new[key], prefix))
        if second.status_code < 300:
            continue
        text = second.text
        assert second.status_code == 422 and ("immutable" in text or "Forbidden" in text), (
            key, second.status_code, text,
        )  # fmt: skip
        refused.add(str(key))
    return refused


def test_recreate_is_exactly_what_the_api_server_refuses(
    server: apiserver.ApiServer, tmp_path: Path
) -> None:
    mismatches = {}
    total = 0
    for number, name in enumerate(CASES):
        directory = tmp_path / name
        directory.mkdir()
        base, new = load_case(name).write(directory)
        result = plan_file(new, base)
        assert result.plan is not None
        classed = {o for c in result.plan.changes if c.cls == RECREATE for o in c.objects}
        refused = _refused(server, number, base, new)
        total += len(refused)
        if classed != refused:
            mismatches[name] = {"plan only": classed - refused, "API only": refused - classed}
    assert not mismatches, mismatches
    assert total > 0  # the pairs do reach the API server's immutability checks
