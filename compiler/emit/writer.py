"""The one place that turns Manifests into bytes on disk.

Determinism is made here, not hoped for in the renderers:
- mapping keys: `apiVersion, kind, metadata` first, `name`/`namespace` first inside any
  mapping, the rest sorted;
- lists whose order Kubernetes ignores (ports, volumes, volumeMounts, ...) sorted by their
  identifying key; every other list keeps the order the renderer chose on purpose (env, args,
  containers);
- libyaml's C emitter with fixed options, multi-line strings as `|` blocks; the direct
  writer in fastyaml.py produces the same bytes without PyYAML's representer (most of a
  large render's time) and hands libyaml whatever it cannot match exactly;
- layout `<out>/<network>/<cluster>/<namespace>/<file>.yaml` and a kustomization.yaml per
  cluster, where a file holds one thing a reviewer reasons about: a node with its config,
  Services and route (`peer-org1-peer0.yaml`), an identity's enrollment objects
  (`identity-org1-admin.yaml`), one channel or chaincode Job with its config, and
  otherwise one object (`<kind>-<name>.yaml`): 3,400 files, not 16,000, for 1,000 nodes;
- files are rewritten only when their bytes change, and stale `.yaml` and `.json` files of
  an earlier render are removed, only inside `<out>/<network>/` (hlfc owns that tree).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from compiler.emit import fastyaml, order
from compiler.render.manifest import Manifest

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

CLUSTER_WIDE_DIR = "_cluster"
STALE = (".json", ".yaml")  # what a render writes, so what a later render may remove


class _Dumper(yaml.CSafeDumper):
    """libyaml emitter with block literals for multi-line strings (config files)."""


def _str_representer(dumper: _Dumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def normalise(value: Any, field: str | None = None) -> Any:
    """A canonical copy of a manifest: ordered keys, sorted unordered lists."""
    if isinstance(value, Mapping):
        return {
            str(k): normalise(value[k], str(k))
            for k in sorted(value, key=lambda k: order.key_order(str(k)))
        }
    if isinstance(value, list | tuple):
        items = [normalise(v) for v in value]
        if field in order.UNORDERED_LISTS:
            items.sort(key=lambda item: order.item_key(item, order.UNORDERED_LISTS[field]))
        return items
    if isinstance(value, set | frozenset):
        raise TypeError("sets have no order; renderers must produce lists")
    return value


def dump(obj: Mapping[str, Any]) -> bytes:
    try:
        return fastyaml.dump(obj).encode("utf-8")
    except fastyaml.Unsupported:
        return libyaml_dump(obj)


def libyaml_dump(obj: Mapping[str, Any]) -> bytes:
    """libyaml's bytes for the manifest: the reference fastyaml must equal, and the writer
    for whatever fastyaml leaves to it."""
    text = yaml.dump(
        normalise(obj),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=4096,
        indent=2,
        explicit_start=False,
    )
    return text.encode("utf-8")


def manifest_path(manifest: Manifest) -> str:
    directory = manifest.directory or CLUSTER_WIDE_DIR
    stem = manifest.unit or f"{manifest.kind.lower()}-{manifest.name}"
    return f"{manifest.cluster}/{directory}/{stem}.yaml"


Placed = list[tuple[str, list[Manifest]]]  # file (relative) -> its objects, in render order


def _placed(manifests: Iterable[Manifest]) -> Placed:
    """Manifests grouped by file, files in the order they first appear; refuses two
    manifests of one object, and a second object in a file of its own."""
    files: dict[str, list[Manifest]] = {}
    seen: set[tuple[str, str, str, str]] = set()
    for manifest in manifests:
        rel = manifest_path(manifest)
        key = (manifest.cluster, manifest.directory or "", manifest.kind, manifest.name)
        if key in seen:
            raise ValueError(f"two manifests of {manifest.kind} {manifest.name} in {rel}")
        seen.add(key)
        shared = files.setdefault(rel, [])
        if shared and (manifest.unit is None or shared[0].unit is None):
            raise ValueError(f"two manifests render to the same file {rel}")
        shared.append(manifest)
    return list(files.items())


def dump_file(manifests: Sequence[Manifest]) -> bytes:
    """A file's bytes: its objects as YAML documents, `---` between them."""
    return b"---\n".join(dump(m.obj) for m in manifests)


def plan(manifests: Iterable[Manifest]) -> dict[str, bytes]:
    """Relative path (under the network directory) → file bytes, kustomizations included."""
    placed = _placed(manifests)
    files = {rel: dump_file(group) for rel, group in placed}
    return dict(sorted((files | _kustomizations(placed)).items()))


def _kustomizations(placed: Placed) -> dict[str, bytes]:
    per_cluster: dict[str, list[str]] = {}
    for rel, group in placed:
        per_cluster.setdefault(group[0].cluster, []).append(rel.split("/", 1)[1])
    return {
        f"{cluster}/kustomization.yaml": dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": sorted(resources),
            }
        )
        for cluster, resources in per_cluster.items()
    }


@dataclass(frozen=True)
class WriteReport:
    root: Path
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def _atomic_write(path: Path, data: bytes) -> None:
    """Readers see the old bytes or the new, never a partial file: a temporary file in the
    same directory, renamed over the target."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:  # left by a process that was killed mid-write
        tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.fchmod(fd, 0o644)  # whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.close(fd)
        fd = -1
        tmp.replace(path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise


def _put(path: Path, data: bytes, made: set[Path]) -> bool:
    """Write `data` to `path` unless it holds exactly that already; True if written.
    `made`: directories known to exist (one mkdir per directory, not per file)."""
    try:
        with path.open("rb") as fh:
            if fh.read(len(data) + 1) == data:
                return False
    except FileNotFoundError:
        pass
    if path.parent not in made:
        path.parent.mkdir(parents=True, exist_ok=True)
        made.add(path.parent)
    _atomic_write(path, data)
    return True


def _put_all(root: Path, files: Iterable[tuple[str, bytes]]) -> tuple[list[str], list[str]]:
    """(written, unchanged) paths, each file put under `root` as it comes."""
    written: list[str] = []
    unchanged: list[str] = []
    made: set[Path] = set()
    for rel, data in files:
        (written if _put(root / rel, data, made) else unchanged).append(rel)
    return written, unchanged


def write_tree(out_dir: Path, network: str, files: Mapping[str, bytes]) -> WriteReport:
    root = out_dir / network
    written, unchanged = _put_all(root, files.items())
    return _finish(root, set(files), written, unchanged)


def _finish(
    root: Path, expected: set[str], written: list[str], unchanged: list[str]
) -> WriteReport:
    """Remove what an earlier render wrote and this one did not; the report."""
    removed: list[str] = []
    # one walk, deepest directories first, so a directory emptied of stale files goes too
    for directory, _subdirs, names in os.walk(root, topdown=False):
        base = Path(directory)
        for name in names:
            rel = (base / name).relative_to(root).as_posix()
            if name.endswith(STALE) and rel not in expected:
                (base / name).unlink()
                removed.append(rel)
        if base != root and not any(base.iterdir()):
            base.rmdir()
    removed.sort()
    return WriteReport(root, tuple(sorted(written)), tuple(sorted(unchanged)), tuple(removed))


# Parallel emission: the process itself and a forked worker per further core dump and
# write the files; the renderers' objects are inherited, not pickled. Worth it only for
# large networks: a fork costs tens of milliseconds, and a worker pays for a copy of every
# memory page whose objects' reference counts it touches (a 1,007-node network: ~0.4 s of
# CPU with two workers beside an idle parent, half that with the parent as one of them).
PARALLEL_FROM = 2000  # manifests
# Work is handed out in contiguous chunks, several per process, as each asks for the next:
# files differ a hundredfold in size (a connection profile against a NetworkPolicy), and
# two fixed halves of a 1,007-node network took 0.8 s and 1.35 s.
CHUNKS_PER_JOB = 16
Work = Sequence[tuple[str, "list[Manifest] | bytes"]]  # file -> its objects, or its bytes
Written = tuple[list[str], list[str]]  # (written, unchanged)


def jobs_default(count: int) -> int:
    """Processes for `count` manifests: HLFC_JOBS if set, else one per core (at most 4)
    for large networks. Output is the same bytes for any number."""
    if "HLFC_JOBS" in os.environ:
        return max(1, int(os.environ["HLFC_JOBS"]))
    if count < PARALLEL_FROM:
        return 1
    # imported here: multiprocessing costs a small render 8 ms of a 0.5 s start
    import multiprocessing  # noqa: PLC0415

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(4, len(os.sched_getaffinity(0))))


def _file_bytes(work: Work) -> Iterator[tuple[str, bytes]]:
    for rel, content in work:
        yield rel, content if isinstance(content, bytes) else dump_file(content)


@dataclass(frozen=True)
class _Chunks:
    """The work cut into `count` contiguous chunks (objects rendered together sit together
    in memory, so a process touches few pages of the objects another writes), taken in
    turn by whichever process asks first."""

    root: Path
    work: Work
    count: int
    taken: Any  # multiprocessing.Value("i"): the next chunk to take, shared across forks

    def run(self) -> Written:
        written: list[str] = []
        unchanged: list[str] = []
        size = -(-len(self.work) // self.count)
        while True:
            with self.taken.get_lock():
                chunk = self.taken.value
                self.taken.value = chunk + 1
            if chunk >= self.count:
                return written, unchanged
            w, u = _put_all(self.root, _file_bytes(self.work[chunk * size : (chunk + 1) * size]))
            written += w
            unchanged += u


def _worker(chunks: _Chunks, conn: Connection) -> None:
    """A forked worker: its share of the chunks, then its result (or its error) back."""
    try:
        result: tuple[bool, Any] = (True, chunks.run())
    except BaseException as exc:  # re-raised by the parent
        result = (False, exc)
    try:
        conn.send(result)
    except Exception:  # an exception that does not pickle
        conn.send((False, RuntimeError(repr(result[1]))))
    conn.close()


def _emit_parallel(root: Path, work: Work, jobs: int) -> list[Written]:
    import multiprocessing  # noqa: PLC0415

    fork = multiprocessing.get_context("fork")
    chunks = _Chunks(root, work, jobs * CHUNKS_PER_JOB, fork.Value("i", 0))
    workers = []
    # frozen: the workers' garbage collector never walks (and so never copies) the
    # inherited objects
    gc.freeze()
    try:
        for _ in range(jobs - 1):
            receive, send = fork.Pipe(duplex=False)
            process = fork.Process(target=_worker, args=(chunks, send), daemon=True)
            process.start()
            send.close()
            workers.append((process, receive))
        results = [chunks.run()]
        for process, receive in workers:
            try:
                ok, value = receive.recv()
            except EOFError:
                raise RuntimeError(f"an emit worker died (exit code {process.exitcode})") from None
            if not ok:
                raise value
            results.append(value)
        return results
    finally:
        for process, receive in workers:
            receive.close()
            process.join(timeout=None if process.exitcode is not None else 60)
            if process.is_alive():
                process.kill()
                process.join()
        gc.unfreeze()


def emit_tree(
    out_dir: Path,
    network: str,
    manifests: Sequence[Manifest],
    extra: Mapping[str, bytes],
    jobs: int | None = None,
) -> WriteReport:
    """`write_tree(out_dir, network, plan(manifests) | extra)`, with the dumping and writing
    shared among `jobs` processes (this one and forked workers)."""
    root = out_dir / network
    placed = _placed(manifests)
    # the profiles first: a few large files, better not left to the end of a parallel run
    work: Work = [*(_kustomizations(placed) | dict(extra)).items(), *placed]
    jobs = jobs_default(len(manifests)) if jobs is None else max(1, jobs)
    one = jobs == 1
    shares = [_put_all(root, _file_bytes(work))] if one else _emit_parallel(root, work, jobs)
    written = [rel for w, _ in shares for rel in w]
    unchanged = [rel for _, u in shares for rel in u]
    return _finish(root, {rel for rel, _ in work}, written, unchanged)
