"""Fabric signature policies (`AND('Org1MSP.peer', OutOf(1, 'Org2MSP.member', ...))`), parsed
the way Fabric's `policydsl` reads them, so that rules can say which organisations a policy
names and whether a given set of organisations can satisfy it, before Fabric is asked.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

ROLES = ("member", "admin", "client", "peer", "orderer")
_TOKEN = re.compile(
    r"\s*(?:(?P<word>[A-Za-z]+)|(?P<num>\d+)|(?P<quoted>'[^']*'|\"[^\"]*\")|(?P<punct>[(),]))"
)


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class Principal:
    msp_id: str
    role: str


@dataclass(frozen=True)
class Gate:
    """n of the parts must be satisfied (AND: all, OR: one)."""

    n: int
    parts: tuple[Principal | Gate, ...]


Policy = Principal | Gate


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise PolicyError(f"unexpected {text[pos:].strip()[:20]!r} at character {pos + 1}")
        out.append(match.group().strip())
        pos = match.end()
    return out


def _principal(token: str) -> Principal:
    body = token[1:-1]
    msp_id, dot, role = body.rpartition(".")
    if not dot or not msp_id:
        raise PolicyError(f"principal {token} is not 'MSPID.role'")
    if role not in ROLES:
        raise PolicyError(f"principal {token} has role {role!r}; Fabric knows {', '.join(ROLES)}")
    return Principal(msp_id, role)


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str:
        return self.tokens[self.i] if self.i < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token:
            raise PolicyError("the policy ends too early")
        if expected is not None and token != expected:
            raise PolicyError(f"expected {expected!r}, found {token!r}")
        self.i += 1
        return token

    def expr(self) -> Policy:
        token = self.take()
        if token[0] in "'\"":
            return _principal(token)
        name = token.lower()
        if name not in ("and", "or", "outof"):
            raise PolicyError(f"unknown function {token!r}: Fabric knows AND, OR and OutOf")
        self.take("(")
        n = None
        if name == "outof":
            count = self.take()
            if not count.isdigit():
                raise PolicyError(f"OutOf needs a number first, found {count!r}")
            n = int(count)
            self.take(",")
        parts = [self.expr()]
        while self.peek() == ",":
            self.take(",")
            parts.append(self.expr())
        self.take(")")
        if n is None:
            n = len(parts) if name == "and" else 1
        if not 1 <= n <= len(parts):
            raise PolicyError(f"OutOf({n}, ...) over {len(parts)} parts can never be satisfied")
        return Gate(n, tuple(parts))


def parse(text: str) -> Policy:
    parser = _Parser(_tokens(text))
    policy = parser.expr()
    if parser.peek():
        raise PolicyError(f"unexpected {parser.peek()!r} after the policy")
    return policy


def msp_ids(policy: Policy) -> frozenset[str]:
    if isinstance(policy, Principal):
        return frozenset({policy.msp_id})
    return frozenset().union(*(msp_ids(p) for p in policy.parts))


def satisfiable(policy: Policy, orgs: Collection[str]) -> bool:
    """Whether identities of the given MSP IDs (in whatever role a principal asks for) can
    satisfy the policy: the question a blueprint can answer before any identity exists."""
    return _best(policy, frozenset(orgs))


def _best(policy: Policy, orgs: frozenset[str]) -> bool:
    if isinstance(policy, Principal):
        return policy.msp_id in orgs
    return sum(_best(p, orgs) for p in policy.parts) >= policy.n
