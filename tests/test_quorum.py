"""Raft quorum across clusters: the arithmetic, checked against brute force, and the CLI."""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from compiler.analysis import placement
from compiler.analysis.network import build_network
from compiler.analysis.quorum import quorum_table, raft_quorum
from compiler.blueprint.loader import load
from compiler.cli.main import cli
from compiler.pipeline import check_file
from compiler.render.policies import orderer_disruption_budget
from tests.conftest import BAD, GLOBAL, MINIMAL


def test_raft_quorum_sizes() -> None:
    assert [raft_quorum(n) for n in range(1, 8)] == [1, 2, 2, 3, 3, 4, 4]


def _blueprint_with_placement(tmp_path: Path, counts: list[int], tolerate: int) -> Path:
    clusters = "".join(
        f"    - name: c{i}\n      argocd: {{server: https://c{i}.example.com}}\n"
        f"      externalDomain: c{i}.example.com\n      ingress: {{kind: loadBalancer}}\n"
        for i in range(len(counts))
    )
    orderers = "".join(
        f"        - {{name: o{i}x{j}, cluster: c{i}}}\n"
        for i, n in enumerate(counts)
        for j in range(n)
    )
    peers = "".join(
        f"        - {{name: p{i}, cluster: c{i}, anchor: true}}\n" for i in range(len(counts))
    )
    text = f"""apiVersion: hlfc/v1alpha1
kind: FabricNetwork
metadata: {{name: q}}
spec:
  clusters:
{clusters}  organizations:
    - name: ord
      mspID: OrdMSP
      ca: {{cluster: c0}}
      orderers:
{orderers}    - name: org1
      mspID: Org1MSP
      ca: {{cluster: c0}}
      peers:
{peers}  channels:
    - name: ch
      ordererOrganizations: [ord]
      members: [org1]
  safety: {{tolerateClusterLoss: {tolerate}, development: true}}
  argocd: {{repoURL: https://git.example.com/x.git}}
"""
    path = tmp_path / "q.yaml"
    path.write_text(text)
    return path


@given(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=5))
def test_survivable_losses_match_brute_force(counts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        loaded, diagnostics = load(_blueprint_with_placement(Path(tmp), counts, 0))
    assert loaded is not None, [d.render() for d in diagnostics]
    (q,) = quorum_table(build_network(loaded.blueprint))
    n, quorum = sum(counts), raft_quorum(sum(counts))
    survives = {
        k: all(
            n - sum(counts[i] for i in lost) >= quorum
            for lost in itertools.combinations(range(len(counts)), k)
        )
        for k in range(len(counts) + 1)
    }
    expected = max(k for k, ok in survives.items() if ok)
    assert q.survivable_cluster_losses == expected
    assert q.breaking_loss is not None
    assert q.remaining_after(q.breaking_loss) < quorum
    assert len(q.breaking_loss) == expected + 1


def test_global_survives_any_one_cluster() -> None:
    result = CliRunner().invoke(cli, ["analyze", str(GLOBAL)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert (
        "supply-chain: 5 consenters (us-east-1=2, us-west-2=2, eu-west-1=1), Raft quorum 3" in out
    )
    for row in (
        "us-east-1     3 of 5           kept",
        "us-west-2     3 of 5           kept",
        "eu-west-1     4 of 5           kept",
    ):
        assert row in out
    assert "survives the loss of any 1 cluster;" in out


def test_analyze_json() -> None:
    result = CliRunner().invoke(cli, ["analyze", str(GLOBAL), "--format", "json"])
    data = json.loads(result.output)
    (channel,) = data["channels"]
    assert channel["consentersPerCluster"] == {"us-east-1": 2, "us-west-2": 2, "eu-west-1": 1}
    assert channel["quorum"] == 3
    assert channel["survivableClusterLosses"] == 1
    assert all(row["quorumKept"] for row in channel["singleClusterLosses"])


def test_3_1_1_placement_is_refused_with_the_arithmetic() -> None:
    result = check_file(BAD / "q003-placement-3-1-1.yaml")
    assert not result.ok
    (d,) = result.diagnostics
    assert d.code == "Q003"
    assert "'supply-chain'" in d.message
    assert "losing cluster 'us-east-1' leaves 2 of 5 consenters" in d.message
    assert "Raft quorum of 3" in d.message
    assert "us-east-1=3, us-west-2=1, eu-west-1=1" in d.message


def test_minimal_single_cluster_defaults_to_no_cluster_tolerance() -> None:
    result = check_file(MINIMAL)
    assert result.ok and result.analysis is not None
    assert result.analysis.network.tolerate_cluster_loss == 0
    (q,) = quorum_table(result.analysis.network)
    assert (q.size, q.quorum, q.tolerated_node_failures) == (3, 2, 1)


def test_two_lost_clusters_demand_wider_spread(tmp_path: Path) -> None:
    # 2/2/1 survives one cluster loss, not two: asking for two is refused
    refused = check_file(_blueprint_with_placement(tmp_path, [2, 2, 1], 2))
    assert [d.code for d in refused.diagnostics] == ["Q003"]
    # 1/1/1/1/1 survives any two
    accepted = check_file(_blueprint_with_placement(tmp_path, [1, 1, 1, 1, 1], 2))
    assert accepted.ok, [d.render() for d in accepted.diagnostics]


def _budgets(tmp_path: Path, counts: list[int]) -> list[int]:
    result = check_file(_blueprint_with_placement(tmp_path, counts, 0))
    assert result.analysis is not None
    network = result.analysis.network
    return [orderer_disruption_budget(network, f"c{i}", "ord") for i in range(len(counts))]


def test_orderer_disruption_budget_follows_the_raft_arithmetic(tmp_path: Path) -> None:
    # five in one cluster tolerate two failures, all of them this cluster's to spend
    assert _budgets(tmp_path, [5]) == [2]
    # three in one cluster tolerate one
    assert _budgets(tmp_path, [3]) == [1]
    # 3/3/3 tolerates four: two clusters may each drain one, this one gets 4 - 2 = 2
    assert _budgets(tmp_path, [3, 3, 3]) == [2, 2, 2]
    # 2/2/1 tolerates two over three clusters: never below one, or drains block forever
    assert _budgets(tmp_path, [2, 2, 1]) == [1, 1, 1]


def _brute_survivable(n: int, clusters: int, tolerate: int) -> bool:
    """Some placement of n consenters on the clusters keeps quorum after any t losses."""
    spare = n - raft_quorum(n)
    for split in itertools.product(range(n + 1), repeat=clusters):
        if sum(split) == n and sum(sorted(split)[clusters - tolerate :]) <= spare:
            return True
    return False


@given(
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=1, max_value=3),
)
def test_placement_arithmetic_matches_brute_force(n: int, clusters: int, tolerate: int) -> None:
    expected = tolerate < clusters and _brute_survivable(n, clusters, tolerate)
    assert placement.survivable(n, clusters, tolerate) == expected


def test_two_clusters_cannot_tolerate_losing_one_and_the_hint_says_so(tmp_path: Path) -> None:
    (d,) = check_file(_blueprint_with_placement(tmp_path, [2, 1], 1)).diagnostics
    assert d.code == "Q003"
    assert "move consenters" not in d.message
    assert "no placement of 3 consenters on the network's 2 cluster(s) survives losing 1" in (
        d.message
    )
    assert "spread the 3 consenters over 3 clusters (the network has 2)" in d.message
    assert "safety.tolerateClusterLoss: 0" in d.message
    # the fix it names works
    assert check_file(_blueprint_with_placement(tmp_path, [1, 1, 1], 1)).ok


def test_seven_on_four_clusters_cannot_tolerate_two_and_the_hint_says_so(tmp_path: Path) -> None:
    (d,) = check_file(_blueprint_with_placement(tmp_path, [2, 2, 2, 1], 2)).diagnostics
    assert d.code == "Q003"
    assert "no placement of 7 consenters on the network's 4 cluster(s) survives losing 2" in (
        d.message
    )
    assert "any 2 of them would hold at least 4, more than the 3" in d.message
    # no number of consenters helps on 4 clusters: only more clusters or less tolerance
    assert "consenters spread evenly" not in d.message
    assert "spread the 7 consenters over 6 clusters (the network has 4)" in d.message
    assert "safety.tolerateClusterLoss: 1" in d.message
    assert check_file(_blueprint_with_placement(tmp_path, [2, 1, 1, 1, 1, 1], 2)).ok
    assert check_file(_blueprint_with_placement(tmp_path, [2, 2, 2, 1], 1)).ok


def test_a_possible_placement_is_suggested_and_holds(tmp_path: Path) -> None:
    (d,) = check_file(_blueprint_with_placement(tmp_path, [3, 1, 1], 1)).diagnostics
    assert "move consenters, for example to c0=2, c1=2, c2=1" in d.message
    assert check_file(_blueprint_with_placement(tmp_path, [2, 2, 1], 1)).ok
