"""Every diagnostic code hlfc can emit, with a one-line title.

Codes are stable identifiers (users grep for them, CI greps for them): never renumber one.
The letter says which stage found the problem: Y the YAML reader, S the schema (models),
and the analysis rules N (names), R (references), C (credentials), Q (quorum/consensus),
P (policies), L (chaincode lifecycle against output/), T (topology).
"""

from __future__ import annotations

CODES: dict[str, str] = {
    # input: the file itself
    "Y001": "file cannot be read (missing, a directory, no permission)",
    "Y002": "file is not UTF-8 text (binary content)",
    "Y003": "file is empty or holds only comments",
    "Y004": "malformed YAML",
    "Y005": "duplicate mapping key",
    "Y006": "more than one YAML document in a file",
    "Y007": "unsupported YAML tag or key type",
    "Y008": "aliases that expand past the bound the file's size sets, or an alias cycle",
    # schema: the models
    "S001": "unknown key",
    "S002": "required key missing",
    "S003": "wrong type",
    "S004": "value out of range or not in the allowed set",
    "S005": "value does not match the required format",
    # names
    "N001": "duplicate name",
    "N002": "duplicate MSP ID",
    "N003": "derived Kubernetes name exceeds its limit",
    "N004": "two components derive the same Kubernetes name",
    "N005": "two blueprints rendered together define the same network",
    # references
    "R001": "unknown cluster",
    "R002": "unknown organisation",
    "R003": "unknown orderer",
    "R004": "channel member organisation has no peers",
    "R005": "name listed twice in one list",
    "R006": "channel admin organisation is not a channel member",
    "R007": "organisation running a chaincode is not a channel member",
    "R008": "policy names an MSP ID that is not a channel member",
    "R009": "unknown channel policy referenced",
    "R010": "application identity given a reserved `hf.` attribute",
    # credentials
    "C001": "inline password, secret or private key",
    # consensus
    "Q001": "too few Raft consenters",
    "Q002": "even number of Raft consenters",
    "Q003": "losing the tolerated number of clusters breaks a channel's Raft quorum",
    "Q004": "tolerated cluster losses exceed the clusters hosting consenters",
    "Q005": "channel has no consenters",
    # policies
    "P001": "signature policy does not parse",
    "P002": "endorsement policy cannot be satisfied by the organisations running the chaincode",
    "P003": "private data collection that cannot work as written",
    # lifecycle: against the definitions output/ last rendered (what is deployed)
    "L001": "chaincode definition changed without raising its sequence",
    "L002": "chaincode sequence lower than the deployed one",
    # topology
    "T001": "cluster hosts no component",
    "T002": "member organisation has no anchor peer",
    "T003": "image reference uses the mutable tag `latest`",
    "T004": "a cluster other clusters must reach has no ingress or external domain; a gateway "
    "without its gateway (istio) or gatewayClass (gatewayApi)",
    "T005": "Argo CD destination sets both server and name",
}

# Codes that mean "this input is not a blueprint file at all": the CLI maps them to the
# usage-error exit code rather than "invalid blueprint".
UNREADABLE_INPUT = frozenset({"Y001"})
