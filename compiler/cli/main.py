"""`hlfc`: validate, analyze, render, plan, schema, graph, enroll, twin.

Exit codes: 0 ok (warnings allowed), 1 invalid blueprint, 2 usage error (bad options, a
file that cannot be read); `plan` also 3: hazards not acknowledged.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from compiler import __version__
from compiler.cli.process import batch
from compiler.cli.process import run as run_process
from compiler.cli.reporters import REPORTERS, Reporter
from compiler.codes import UNREADABLE_INPUT
from compiler.plan.model import HAZARD_CLASSES

if TYPE_CHECKING:
    from compiler.pipeline import FileResult

# Each command imports what it runs (pydantic models, renderers, the enroller's
# clients): `hlfc --help` loads none of it, `validate` not the renderers. Measured in
# bench/bench_cli.py.
GRAPH_FORMATS = ("svg", "dot", "mermaid")  # compiler.graph.FORMATS (tests/test_cli.py)

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_HAZARD = 3  # hlfc plan: hazards that nobody acknowledged

_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(REPORTERS)),
    default="text",
    show_default=True,
    help="report format",
)
_files = click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))


def _exit_code(results: Sequence[FileResult]) -> int:
    codes = {d.code for r in results for d in r.diagnostics}
    if codes & UNREADABLE_INPUT:
        return EXIT_USAGE
    return EXIT_OK if all(r.ok for r in results) else EXIT_INVALID


def _emit(text: str) -> None:
    click.echo(text)


def _cannot_write(error: OSError, target: Path) -> NoReturn:
    """An output the process cannot write (a file where a directory belongs, a read-only
    or missing mount): said in one line, exit 2 like any other unusable argument."""
    where = error.filename or target
    click.echo(f"{where}: error: cannot write: {error.strerror or error}", err=True)
    sys.exit(EXIT_USAGE)


def _write_text(out_file: Path, text: str) -> None:
    """To standard output for '-'; else to the file, untouched if its text is the same."""
    if str(out_file) == "-":
        click.echo(text, nl=False)
        return
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        if out_file.is_file() and out_file.read_text(encoding="utf-8") == text:
            click.echo(f"{out_file}: unchanged")
            return
        out_file.write_text(text, encoding="utf-8")
    except OSError as error:
        _cannot_write(error, out_file)
    click.echo(f"{out_file}: written")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hlfc")
def cli() -> None:
    """hlfc compiles a Fabric network blueprint into Kubernetes manifests."""


@cli.command()
@_files
@click.option(
    "--deployed",
    "deployed",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="an output directory (as committed): refuse chaincode definition changes without "
    "a higher sequence against it (render always checks against its --output)",
)
@_format
@batch
def validate(files: tuple[Path, ...], deployed: Path | None, fmt: str) -> None:
    """Check blueprints: schema and every analysis rule. Prints all problems at once."""
    from compiler.pipeline import against_deployed, check_files

    results = check_files(files)
    if deployed is not None:
        results = [against_deployed(r, deployed) for r in results]
    _emit(REPORTERS[fmt].diagnostics(results))
    sys.exit(_exit_code(results))


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@_format
@batch
def analyze(file: Path, fmt: str) -> None:
    """Show what the network survives and who dials whom.

    Per channel: consenters per cluster, the Raft quorum, the node failures it tolerates,
    each single cluster loss (quorum kept or lost) and the smallest loss that breaks it.
    Then every connection the network makes (enrollment, Raft, deliver, gossip, channel
    Jobs) with the address it uses: in-cluster names, or external ones across clusters."""
    from compiler.analysis.endpoints import dial_table
    from compiler.analysis.quorum import quorum_table
    from compiler.pipeline import check_files

    (result,) = check_files([file])
    reporter: Reporter = REPORTERS[fmt]
    if result.analysis is None:
        _emit(reporter.diagnostics([result]))
    else:
        network = result.analysis.network
        _emit(reporter.analysis(result, quorum_table(network), dial_table(network)))
    sys.exit(_exit_code([result]))


@cli.command()
@_files
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="output directory; each network renders into <output>/<network>/",
)
@_format
@batch
def render(files: tuple[Path, ...], out_dir: Path, fmt: str) -> None:
    """Validate, then render every blueprint into per-cluster manifests (all or nothing)."""
    from compiler.pipeline import render_files

    try:
        result = render_files(files, out_dir)
    except OSError as error:
        _cannot_write(error, out_dir)
    _emit(REPORTERS[fmt].render(result.checks, result.writes))
    sys.exit(_exit_code(result.checks))


@cli.command("plan")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--base", "base_ref", default=None, help="git ref of the base  [default: HEAD]")
@click.option(
    "--base-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="the base blueprint as a file, instead of --base",
)
@click.option(
    "--ack",
    "acks",
    multiple=True,
    type=click.Choice(HAZARD_CLASSES),
    help="acknowledge a class of hazard (repeatable): it no longer fails the plan",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: markdown, fit for a pull-request comment",
)
@batch
def plan_command(
    file: Path, base_ref: str | None, base_file: Path | None, acks: tuple[str, ...], fmt: str
) -> None:
    """Classify what syncing FILE will do to the network its base compiles to.

    Exit 0 no hazard, 3 hazards not acknowledged, 1 invalid blueprint, 2 usage. Writes nothing.
    """
    import tempfile

    from compiler.cli import plan_report
    from compiler.cli.gitbase import BaseError, blueprint_at
    from compiler.pipeline import plan_file

    if base_ref is not None and base_file is not None:
        raise click.UsageError("give --base or --base-file, not both")
    with tempfile.TemporaryDirectory(prefix="hlfc-plan-") as tmp:
        label = str(base_file) if base_file is not None else f"git {base_ref or 'HEAD'}"
        if base_file is None:
            try:
                base_path = blueprint_at(file, base_ref or "HEAD", Path(tmp))
            except BaseError as exc:
                click.echo(f"error: {exc}", err=True)
                sys.exit(EXIT_USAGE)
            if base_path is None:
                label += " (the file is new there)"
        else:
            base_path = base_file
        result = plan_file(file, base_path, acks)
    if result.plan is None:
        _emit(REPORTERS["json" if fmt == "json" else "text"].diagnostics(list(result.checks)))
        sys.exit(_exit_code(result.checks) or EXIT_INVALID)
    code = EXIT_HAZARD if result.plan.unacknowledged else EXIT_OK
    if fmt == "json":
        _emit(plan_report.as_json(result.plan, str(file), label, code))
    else:
        _emit(plan_report.text(result.plan, str(file), label))
    sys.exit(code)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("-"),
    show_default=True,
    help="where to write; '-' for stdout",
)
@click.option("--format", "fmt", type=click.Choice(GRAPH_FORMATS), default="svg", show_default=True)
@batch
def graph(file: Path, out_file: Path, fmt: str) -> None:
    """Draw the network: clusters, organisations, nodes, channels and Raft membership."""
    from compiler.graph import render_graph
    from compiler.pipeline import check_files

    (result,) = check_files([file])
    if result.analysis is None or not result.ok:
        _emit(REPORTERS["text"].diagnostics([result]))
        sys.exit(_exit_code([result]))
    _write_text(out_file, render_graph(result.analysis.network, fmt))


@cli.command()
@click.option(
    "-o",
    "--output",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="where to write; '-' for standard output  [default: schemas/blueprint.schema.json, "
    "with --markdown docs/blueprint-reference.md]",
)
@click.option(
    "--markdown",
    is_flag=True,
    help="write the field reference (every key: type, default, what it does) instead",
)
@batch
def schema(out_file: Path | None, markdown: bool) -> None:
    """Write the blueprint's JSON Schema, generated from the models.

    Refused (exit 1, nothing written) while a property lacks a description or a title in
    words: editors complete blueprints from this schema."""
    from compiler.blueprint.reference import markdown as reference
    from compiler.blueprint.schema import UndocumentedSchemaError, blueprint_schema, schema_text

    try:
        text = reference(blueprint_schema()) if markdown else schema_text()
    except UndocumentedSchemaError as exc:
        click.echo(f"hlfc schema: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    if out_file is None:
        default = "docs/blueprint-reference.md" if markdown else "schemas/blueprint.schema.json"
        out_file = Path(default)
    _write_text(out_file, text)


@cli.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="the identity's enrollment config (JSON, from its ConfigMap)",
)
@click.option(
    "--revoke",
    "revoke_identity",
    is_flag=True,
    help="revoke the certificates this cluster's Secrets hold instead (the PostDelete hook)",
)
@click.option(
    "--held",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("/var/run/hlfc/held"),
    show_default=True,
    help="with --revoke: where the identity's certificates are mounted (msp/, tls/)",
)
@click.option(
    "--registrar",
    "registrar_only",
    is_flag=True,
    help="enroll only the organisation's registrar and keep it for its identities' Jobs",
)
def enroll(config_path: Path, revoke_identity: bool, held: Path, registrar_only: bool) -> None:
    """In-cluster: give one identity its MSP and TLS Secrets from Fabric CA."""
    if revoke_identity and registrar_only:
        raise click.UsageError("--revoke and --registrar do not go together")
    # imported here: the enroller's HTTP and Kubernetes clients cost every other command
    # a quarter of a second at start-up
    from compiler.enroll.main import main as enroll_main

    sys.exit(
        enroll_main(
            config_path, revoke_identity=revoke_identity, held=held, registrar_only=registrar_only
        )
    )


@cli.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="what to fetch (JSON, from the channel Job's ConfigMap)",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="where to write the MSP folders and consenter certificates",
)
@click.option(
    "--stay",
    is_flag=True,
    help="then wait to be stopped (a native sidecar); the outcome is in trust.done/failed",
)
def trust(config_path: Path, out_dir: Path, stay: bool) -> None:
    """Fetch and verify public certificates: what a channel or lifecycle Job needs, or the
    TLS roots a connection profile names.

    Reads the JSON from --config (a Job's or connection profile's trust.json), asks each CA
    for its chain and each orderer for its TLS certificate, verifies each against its
    issuer, and writes MSP folders and certificates under --out. Used in-cluster by the
    rendered Jobs, and by applications outside the clusters with the profile files in
    output/<network>/_profiles/<org>/."""
    from compiler.enroll.trust import main as trust_main

    sys.exit(trust_main(config_path, out_dir, stay=stay))


@cli.group()
def twin() -> None:
    """Run output/ on real Kubernetes and real Fabric built here (root, Linux)."""


_network_dir = click.argument(
    "network_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)
)


@twin.command("up")
@_network_dir
def twin_up(network_dir: Path) -> None:
    """Start one cluster per directory of NETWORK_DIR (output/<network>) and sync it."""
    # the twin is imported only by its own commands: it weighs on every other start-up
    from compiler.twin.process import TwinError
    from compiler.twin.twin import Twin

    try:
        timings = Twin(network_dir, log=click.echo).up()
    except TwinError as err:
        click.echo(f"hlfc twin up: {err}", err=True)
        sys.exit(EXIT_INVALID)
    for step, seconds in timings.items():
        click.echo(f"{step}: {seconds:.1f}s")


@twin.command("status")
@_network_dir
@_format
def twin_status(network_dir: Path, fmt: str) -> None:
    """Per pod: phase, ready, restarts, in every cluster of the twin."""
    import json

    from compiler.twin.twin import Twin

    rows = Twin(network_dir).status()
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        heights = row.get("heights")
        channels = sorted(heights.items()) if isinstance(heights, dict) else []
        click.echo(
            f"{row['cluster']:<12} {row['pod']:<48} {row['state']:<10} "
            f"ready={row.get('ready', '-')} restarts={row.get('restarts', '-')}"
            + "".join(f" {channel}@{height}" for channel, height in channels)
        )


@twin.command("down")
@_network_dir
def twin_down(network_dir: Path) -> None:
    """Stop every cluster of the twin and remove all it made (processes, mounts, namespaces,
    cgroups, iptables rules live in the removed namespaces)."""
    from compiler.twin.twin import Twin

    Twin(network_dir, log=click.echo).down()


def main() -> None:
    """The console script `hlfc`."""
    run_process(cli)
