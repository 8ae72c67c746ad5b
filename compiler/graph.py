"""A picture of the network: clusters as boxes, organisations, CAs, peers and orderers in
them, channels with their Raft membership, and which cluster losses each survives.

SVG is drawn here directly (a fixed grid layout) rather than through Graphviz: no system
dependency, and the same input gives the same bytes. DOT and Mermaid are offered for
people who want their own layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from compiler.analysis.network import Network, Node
from compiler.analysis.quorum import ChannelQuorum, quorum_table

FORMATS = ("svg", "dot", "mermaid")
COLOURS = {"ca": "#f6d55c", "orderer": "#3caea3", "peer": "#20639b"}
COLUMN, ROW, PAD, HEADER = 250, 30, 16, 34
BOX = COLUMN - 3 * PAD  # width of a node's box


def _label(node: Node) -> str:
    if node.kind == "ca":
        return f"{node.org} CA"
    anchor = " (anchor)" if getattr(node, "anchor", False) else ""
    return f"{node.org}/{node.name}{anchor}"


def _verdict(q: ChannelQuorum) -> str:
    losses = q.survivable_cluster_losses
    return (
        f"{q.size} consenters, quorum {q.quorum}; survives losing any {losses} cluster(s)"
        if q.size
        else "no consenters"
    )


def to_dot(network: Network) -> str:
    lines = [
        f'digraph "{network.name}" {{',
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    ]
    for cluster in network.clusters:
        lines.append(f'  subgraph "cluster_{cluster.name}" {{')
        lines.append(f'    label="{cluster.name}";')
        for node in network.nodes:
            if node.cluster == cluster.name:
                lines.append(
                    f'    "{node.workload}" [label="{_label(node)}", '
                    f'fillcolor="{COLOURS[node.kind]}"];'
                )
        lines.append("  }")
    for channel, q in zip(network.channels, quorum_table(network), strict=True):
        lines.append(
            f'  "channel:{channel.name}" [shape=ellipse, fillcolor="#ffffff", '
            f'label="{channel.name}\\n{_verdict(q)}"];'
        )
        for orderer in channel.consenters:
            lines.append(f'  "channel:{channel.name}" -> "{orderer.workload}" [label="raft"];')
        orgs = {o.name: o for o in network.orgs}
        for member in channel.spec.members:
            for peer in orgs[member].peers if member in orgs else ():
                lines.append(f'  "{peer.workload}" -> "channel:{channel.name}" [style=dashed];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_id(text: str) -> str:
    return text.replace("-", "_").replace(".", "_")


def to_mermaid(network: Network) -> str:
    lines = ["flowchart TB"]
    for cluster in network.clusters:
        lines.append(f'  subgraph {_mermaid_id("c_" + cluster.name)}["{cluster.name}"]')
        for node in network.nodes:
            if node.cluster == cluster.name:
                lines.append(f'    {_mermaid_id(node.workload)}["{_label(node)}"]')
        lines.append("  end")
    for channel, q in zip(network.channels, quorum_table(network), strict=True):
        cid = _mermaid_id("ch_" + channel.name)
        lines.append(f'  {cid}(["{channel.name}: {_verdict(q)}"])')
        for orderer in channel.consenters:
            lines.append(f"  {cid} -- raft --> {_mermaid_id(orderer.workload)}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Box:
    node: Node
    x: int
    y: int


def to_svg(network: Network) -> str:
    columns = [c for c in network.clusters if any(n.cluster == c.name for n in network.nodes)]
    boxes: list[_Box] = []
    heights = []
    for i, cluster in enumerate(columns):
        y = HEADER + PAD
        for org in network.orgs:
            nodes = [n for n in (org.ca, *org.orderers, *org.peers) if n.cluster == cluster.name]
            for node in nodes:
                boxes.append(_Box(node, PAD + i * COLUMN + PAD, y))
                y += ROW
            if nodes:
                y += PAD // 2
        heights.append(y)
    top = max(heights, default=HEADER) + PAD
    table = quorum_table(network)
    channel_y = top + 2 * PAD
    width = max(len(columns), 1) * COLUMN + 2 * PAD
    height = channel_y + len(network.channels) * (ROW + 2 * PAD) + PAD
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="12">',
        f"<title>{escape(network.name)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for i, cluster in enumerate(columns):
        x = PAD + i * COLUMN
        out.append(
            f'<g class="cluster" id="cluster-{escape(cluster.name)}">'
            f'<rect x="{x}" y="{PAD}" width="{COLUMN - PAD}" height="{top - PAD}" rx="8" '
            f'fill="#f4f6f8" stroke="#8a96a3"/>'
            f'<text x="{x + 10}" y="{PAD + 20}" font-weight="bold">'
            f"{escape(cluster.name)}</text></g>"
        )
    where = {b.node.workload: b for b in boxes}
    for b in boxes:
        fill = COLOURS[b.node.kind]
        text_fill = "#000000" if b.node.kind == "ca" else "#ffffff"
        out.append(
            f'<g class="node {b.node.kind}" id="node-{escape(b.node.workload)}">'
            f'<rect x="{b.x}" y="{b.y}" width="{BOX}" height="{ROW - 6}" rx="5" fill="{fill}"/>'
            f'<text x="{b.x + 8}" y="{b.y + 16}" fill="{text_fill}">'
            f"{escape(_label(b.node))}</text></g>"
        )
    lines: list[str] = []
    for j, (channel, q) in enumerate(zip(network.channels, table, strict=True)):
        y = channel_y + j * (ROW + 2 * PAD)
        cx = PAD
        out.append(
            f'<g class="channel" id="channel-{escape(channel.name)}">'
            f'<rect x="{cx}" y="{y}" width="{width - 2 * PAD}" height="{ROW + PAD}" rx="8" '
            f'fill="#ffffff" stroke="#3caea3" stroke-width="2"/>'
            f'<text x="{cx + 10}" y="{y + 18}" font-weight="bold">'
            f"channel {escape(channel.name)}</text>"
            f'<text x="{cx + 10}" y="{y + 34}">{escape(_verdict(q))} '
            f"({escape(q.placement_text())})</text></g>"
        )
        for orderer in channel.consenters:
            box = where.get(orderer.workload)
            if box is not None:
                # from the box's right edge into a lane beside the column, down to the channel
                lane = box.x + BOX + PAD // 2
                mid = box.y + (ROW - 6) // 2
                lines.append(
                    f'<polyline class="raft" points="{box.x + BOX},{mid} {lane},{mid} {lane},{y}" '
                    f'fill="none" stroke="#3caea3" stroke-width="1.5"/>'
                )
    # Raft lines under everything else, so that no line crosses a label
    first_node = 3 + len(columns)  # after the header and the cluster boxes
    out[first_node:first_node] = lines
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render_graph(network: Network, fmt: str) -> str:
    return {"svg": to_svg, "dot": to_dot, "mermaid": to_mermaid}[fmt](network)
