"""One reporter per output format. Reporters only format values; they never decide."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from compiler.diagnostics import Diagnostic, Severity, format_path

if TYPE_CHECKING:  # types only: importing them would load the whole compiler at start-up
    from compiler.analysis.endpoints import Dial
    from compiler.analysis.network import Network
    from compiler.analysis.quorum import ChannelQuorum
    from compiler.emit.writer import WriteReport
    from compiler.pipeline import FileResult


def _counts(results: Sequence[FileResult]) -> tuple[int, int]:
    every = [d for r in results for d in r.diagnostics]
    errors = sum(1 for d in every if d.severity is Severity.ERROR)
    return errors, len(every) - errors


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Reporter(Protocol):
    def diagnostics(self, results: Sequence[FileResult]) -> str: ...
    def analysis(
        self, result: FileResult, table: Sequence[ChannelQuorum], dials: Sequence[Dial]
    ) -> str: ...
    def render(self, results: Sequence[FileResult], writes: Sequence[WriteReport]) -> str: ...


class TextReporter:
    def diagnostics(self, results: Sequence[FileResult]) -> str:
        lines = [d.render() for r in results for d in r.diagnostics]
        errors, warnings = _counts(results)
        files = _plural(len(results), "file")
        if errors:
            lines.append(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in {files}")
        else:
            lines.append(f"ok: {files} valid, {_plural(warnings, 'warning')}")
        return "\n".join(lines)

    def analysis(
        self, result: FileResult, table: Sequence[ChannelQuorum], dials: Sequence[Dial]
    ) -> str:
        assert result.analysis is not None
        network = result.analysis.network
        lines = [_summary(network), ""]
        lines.append(
            f"tolerated cluster losses (safety.tolerateClusterLoss): "
            f"{network.tolerate_cluster_loss}"
        )
        for q in table:
            lines.append("")
            lines.append(
                f"channel {q.channel}: {q.size} consenters ({q.placement_text()}), "
                f"Raft quorum {q.quorum}, tolerates {q.tolerated_node_failures} node failure(s)"
            )
            rows: list[tuple[str, ...]] = [("cluster lost", "consenters left", "quorum")]
            rows += [
                (c, f"{left} of {q.size}", "kept" if kept else "LOST")
                for c, left, kept in q.single_losses()
            ]
            widths = [max(len(r[i]) for r in rows) for i in range(3)]
            lines += [
                "  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                for r in rows
            ]
            n = q.survivable_cluster_losses
            verdict = (
                f"  survives the loss of any {_plural(n, 'cluster')}"
                if n
                else "  survives the loss of no cluster"
            )
            if q.breaking_loss:
                lost = " + ".join(q.breaking_loss)
                verdict += (
                    f"; losing {lost} leaves {q.remaining_after(q.breaking_loss)} of {q.size}"
                )
            lines.append(verdict)
        lines += ["", "endpoints (who dials what)"]
        rows = [("from", "to", "for", "address")]
        rows += [
            (d.source.workload, d.target.workload, d.purpose, f"{d.host}:{d.port}") for d in dials
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines += [
            "  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
            for r in rows
        ]
        if result.diagnostics:
            lines += ["", self.diagnostics([result])]
        return "\n".join(lines)

    def render(self, results: Sequence[FileResult], writes: Sequence[WriteReport]) -> str:
        lines = [d.render() for r in results for d in r.diagnostics]
        for w in writes:
            lines.append(
                f"{w.root}: {len(w.written)} written, {len(w.unchanged)} unchanged, "
                f"{len(w.removed)} stale removed"
            )
        if not writes:
            errors, warnings = _counts(results)
            lines.append(
                f"nothing rendered: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
            )
        return "\n".join(lines)


def _summary(network: Network) -> str:
    peers = sum(len(o.peers) for o in network.orgs)
    orderers = sum(len(o.orderers) for o in network.orgs)
    return (
        f"network {network.name}: {_plural(len(network.clusters), 'cluster')}, "
        f"{_plural(len(network.orgs), 'organisation')}, {_plural(len(network.orgs), 'CA')}, "
        f"{_plural(peers, 'peer')}, {_plural(orderers, 'orderer')}, "
        f"{_plural(len(network.channels), 'channel')}"
    )


def _diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    return {
        "file": d.file,
        "line": d.position.line,
        "column": d.position.column,
        "severity": str(d.severity),
        "code": d.code,
        "path": format_path(d.path),
        "message": d.message,
    }


def _files_json(results: Sequence[FileResult]) -> list[dict[str, Any]]:
    return [
        {"file": r.file, "valid": r.ok, "diagnostics": [_diagnostic_json(d) for d in r.diagnostics]}
        for r in results
    ]


class JsonReporter:
    def _dump(self, value: Any) -> str:
        return json.dumps(value, indent=2, sort_keys=True)

    def diagnostics(self, results: Sequence[FileResult]) -> str:
        errors, warnings = _counts(results)
        return self._dump({"files": _files_json(results), "errors": errors, "warnings": warnings})

    def analysis(
        self, result: FileResult, table: Sequence[ChannelQuorum], dials: Sequence[Dial]
    ) -> str:
        assert result.analysis is not None
        network = result.analysis.network
        channels = [
            {
                "channel": q.channel,
                "consenters": q.size,
                "quorum": q.quorum,
                "consentersPerCluster": dict(q.placement),
                "toleratedNodeFailures": q.tolerated_node_failures,
                "survivableClusterLosses": q.survivable_cluster_losses,
                "breakingLoss": list(q.breaking_loss) if q.breaking_loss else None,
                "singleClusterLosses": [
                    {"cluster": c, "consentersLeft": left, "quorumKept": kept}
                    for c, left, kept in q.single_losses()
                ],
            }
            for q in table
        ]
        return self._dump(
            {
                "network": network.name,
                "tolerateClusterLoss": network.tolerate_cluster_loss,
                "channels": channels,
                "endpoints": [
                    {
                        "from": d.source.workload,
                        "to": d.target.workload,
                        "purpose": d.purpose,
                        "host": d.host,
                        "port": d.port,
                    }
                    for d in dials
                ],
                "diagnostics": [_diagnostic_json(d) for d in result.diagnostics],
            }
        )

    def render(self, results: Sequence[FileResult], writes: Sequence[WriteReport]) -> str:
        return self._dump(
            {
                "files": _files_json(results),
                "rendered": [
                    {
                        "root": str(w.root),
                        "written": list(w.written),
                        "unchanged": list(w.unchanged),
                        "removed": list(w.removed),
                    }
                    for w in writes
                ],
            }
        )


REPORTERS: dict[str, Reporter] = {"text": TextReporter(), "json": JsonReporter()}
