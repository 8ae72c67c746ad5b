"""The values a plan is made of: changes, each in one class, some of them hazards."""

from __future__ import annotations

from dataclasses import dataclass, field

IN_PLACE = "in-place"
RESTART_QUORUM = "restart-quorum"
RECREATE = "recreate"
DATA = "data-hazard"
IDENTITY = "identity-hazard"
CONSENSUS = "consensus-hazard"
CHANNEL_UPDATE = "channel-update"

# report order; also the names `--ack` and `spec.plan.acknowledge` take
CLASSES = (DATA, IDENTITY, CONSENSUS, RESTART_QUORUM, RECREATE, CHANNEL_UPDATE, IN_PLACE)
# the classes that can hold a hazard, so the ones that can be acknowledged
HAZARD_CLASSES = (DATA, IDENTITY, CONSENSUS, RESTART_QUORUM, RECREATE)


@dataclass(frozen=True)
class Change:
    cls: str
    subject: str  # what changed: an object, a node, a channel, an organisation
    message: str  # what the sync will do, and why it matters
    hazard: bool = False  # needs a person: data, identity, quorum or a manual step at stake
    objects: tuple[str, ...] = ()  # "<cluster> <namespace>/<Kind>/<name>"
    pods: tuple[str, ...] = ()  # "<cluster> <namespace>/<pod>"
    action: str = ""  # what the user must do, if anything

    def sort_key(self) -> tuple[int, str, str]:
        return (CLASSES.index(self.cls), self.subject, self.message)


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    acknowledged: frozenset[str] = field(default_factory=frozenset)

    @property
    def hazards(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.hazard)

    @property
    def unacknowledged(self) -> tuple[Change, ...]:
        return tuple(c for c in self.hazards if c.cls not in self.acknowledged)
