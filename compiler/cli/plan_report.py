"""`hlfc plan` reports: markdown text fit for a pull-request comment, and JSON."""

from __future__ import annotations

import json
from typing import Any

from compiler.plan.model import CLASSES, HAZARD_CLASSES, Change, Plan

TITLES = {
    "data-hazard": "Data hazards",
    "identity-hazard": "Identity hazards",
    "consensus-hazard": "Consensus hazards",
    "restart-quorum": "Restart quorum",
    "recreate": "Recreate",
    "channel-update": "Channel updates",
    "in-place": "In place",
}


def _line(change: Change, plan: Plan) -> list[str]:
    mark = ""
    if change.hazard:
        mark = "**hazard (acknowledged)** " if change.cls in plan.acknowledged else "**hazard** "
    lines = [f"- {mark}`{change.subject}`: {change.message}"]
    if change.pods:
        lines.append(f"  - pods: {', '.join(change.pods)}")
    if change.action:
        lines.append(f"  - to do: {change.action}")
    return lines


def text(plan: Plan, new_file: str, base: str) -> str:
    hazards, open_ = len(plan.hazards), len(plan.unacknowledged)
    head = [f"### hlfc plan: `{new_file}` against {base}", ""]
    if not plan.changes:
        return "\n".join([*head, "No changes: syncing this does nothing."])
    summary = f"{len(plan.changes)} change(s), {hazards} hazard(s)"
    if plan.acknowledged:
        summary += f", acknowledged: {', '.join(sorted(plan.acknowledged))}"
    summary += "." if not open_ else f"; {open_} not acknowledged (exit 3)."
    out = [*head, summary]
    for cls in CLASSES:
        mine = [c for c in plan.changes if c.cls == cls]
        if not mine:
            continue
        out += ["", f"#### {TITLES[cls]} ({len(mine)})", ""]
        for change in mine:
            out += _line(change, plan)
    if open_:
        classes = sorted({c.cls for c in plan.unacknowledged})
        out += ["", f"Acknowledge with `--ack {' --ack '.join(classes)}` once reviewed."]
    return "\n".join(out)


def _change_json(change: Change, plan: Plan) -> dict[str, Any]:
    return {
        "class": change.cls,
        "subject": change.subject,
        "message": change.message,
        "hazard": change.hazard,
        "acknowledged": change.hazard and change.cls in plan.acknowledged,
        "objects": list(change.objects),
        "pods": list(change.pods),
        "action": change.action,
    }


def as_json(plan: Plan, new_file: str, base: str, exit_code: int) -> str:
    value = {
        "file": new_file,
        "base": base,
        "changes": [_change_json(c, plan) for c in plan.changes],
        "hazards": len(plan.hazards),
        "unacknowledged": len(plan.unacknowledged),
        "acknowledged": sorted(plan.acknowledged),
        "hazardClasses": list(HAZARD_CLASSES),
        "exitCode": exit_code,
    }
    return json.dumps(value, indent=2, sort_keys=False)
