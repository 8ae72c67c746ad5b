"""Container images built here, tagged with exactly the references output/ names.

No registry is reachable, so every image the rendered workloads name is built from binaries
built on this machine, laid out as the official image is (its Dockerfile in the source):
entrypoint, environment such as FABRIC_CFG_PATH, file layout. Layers: a Debian root made by
mmdebstrap (glibc for fabric-ca-server, Python for the enroller, a shell for scripts), then
one layer of the image's own files; umoci (a maintained OCI image tool) assembles them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from compiler.twin.paths import binary, tools_dir
from compiler.twin.process import TwinError, run

DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# what every image's Debian root has: Python is the enroller's runtime; curl, ICU and
# OpenSSL are CouchDB's (its probes run curl); jq is the channel scripts' (the official
# fabric-tools image has bash, curl and jq)
BASE_PACKAGES = ("ca-certificates", "tzdata", "python3", "curl", "jq", "libicu72", "libssl3")
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"


@dataclass(frozen=True)
class Recipe:
    """How to build the image of one repository; `files` maps image path -> source."""

    files: Callable[[str], dict[str, Path | bytes]]
    env: Callable[[str], dict[str, str]] = lambda _v: {}
    cmd: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    workdir: str | None = None
    user: str | None = None
    expose: tuple[str, ...] = ()
    base: bool = True


NSSWITCH = b"hosts: files dns\n"  # for Go's netgo resolver, as the official images set


def _fabric_dir(version: str) -> Path:
    return tools_dir() / f"fabric-{version}"


def _fabric_src(version: str) -> Path:
    return tools_dir() / "src" / f"fabric-{version}"


def _need(path: Path) -> Path:
    if not path.exists():
        raise TwinError(f"{path} is missing: run `make tools` first")
    return path


def _sampleconfig(version: str, *names: str) -> dict[str, Path | bytes]:
    src = _fabric_src(version) / "sampleconfig"
    files: dict[str, Path | bytes] = {}
    for name in names:
        files[f"etc/hyperledger/fabric/{name}"] = _need(src / name)
    for path in sorted((src / "msp").rglob("*")):
        if path.is_file():
            files[f"etc/hyperledger/fabric/msp/{path.relative_to(src / 'msp')}"] = path
    return files


def _peer_files(version: str) -> dict[str, Path | bytes]:
    bin_dir = _fabric_dir(version) / "bin"
    files: dict[str, Path | bytes] = {
        "usr/local/bin/peer": _need(bin_dir / "peer"),
        "etc/nsswitch.conf": NSSWITCH,
        **_sampleconfig(version, "core.yaml"),
    }
    for step in ("detect", "build", "release"):
        files[f"opt/hyperledger/ccaas_builder/bin/{step}"] = _need(bin_dir / f"ccaas-{step}")
    return files


def _orderer_files(version: str) -> dict[str, Path | bytes]:
    return {
        "usr/local/bin/orderer": _need(_fabric_dir(version) / "bin" / "orderer"),
        "etc/nsswitch.conf": NSSWITCH,
        **_sampleconfig(version, "orderer.yaml", "configtx.yaml"),
    }


def _tools_files(version: str) -> dict[str, Path | bytes]:
    bin_dir = _fabric_dir(version) / "bin"
    tools = ("peer", "configtxgen", "configtxlator", "osnadmin", "cryptogen", "discover")
    return {
        **{f"usr/local/bin/{t}": _need(bin_dir / t) for t in tools},
        "etc/nsswitch.conf": NSSWITCH,
        **_sampleconfig(version, "core.yaml", "orderer.yaml", "configtx.yaml"),
    }


def _fabric_env(version: str) -> dict[str, str]:
    return {"FABRIC_CFG_PATH": "/etc/hyperledger/fabric", "FABRIC_VER": version}


def _ca_files(version: str) -> dict[str, Path | bytes]:
    server = binary("fabric-ca-server")
    said = subprocess.run([str(server), "version"], capture_output=True, text=True, check=False)
    if f"Version: {version}" not in said.stdout:
        raise TwinError(f"{server} is not fabric-ca {version}: {said.stdout.strip()}")
    return {
        "usr/local/bin/fabric-ca-server": server,
        "usr/local/bin/fabric-ca-client": binary("fabric-ca-client"),
    }


def _enroller_files(_version: str) -> dict[str, Path | bytes]:
    site = _need(tools_dir() / "images" / "enroller-site")
    files: dict[str, Path | bytes] = {
        "usr/local/bin/hlfc": b"#!/usr/bin/python3\n"
        b"import sys\nfrom compiler.cli.main import main\nsys.exit(main())\n",
    }
    for path in sorted(site.rglob("*")):
        # with the bytecode compiled for Python 3.11 (the Makefile): a read-only root
        # filesystem leaves a pod's Python no place to write it
        if path.is_file() and (
            "__pycache__" not in path.parts or path.name.endswith(".cpython-311.pyc")
        ):
            files[f"usr/local/lib/python3.11/dist-packages/{path.relative_to(site)}"] = path
    return files


# The official couchdb image's entrypoint, for what the rendered sidecar relies on: the
# admin from COUCHDB_USER / COUCHDB_PASSWORD, written once into local.d (an emptyDir, as
# the root filesystem is read-only), then CouchDB in the foreground as the pod's user.
COUCHDB_ENTRYPOINT = b"""#!/bin/bash
set -e
if [ "$1" = /opt/couchdb/bin/couchdb ]; then
  if [ -n "$COUCHDB_USER" ] && [ -n "$COUCHDB_PASSWORD" ]; then
    if ! grep -Pzoqr "\\[admins\\]\n$COUCHDB_USER =" /opt/couchdb/etc/local.d/ 2>/dev/null; then
      printf '\n[admins]\n%s = %s\n' "$COUCHDB_USER" "$COUCHDB_PASSWORD" \
        >> /opt/couchdb/etc/local.d/docker.ini
    fi
  fi
fi
exec "$@"
"""


def _couchdb_files(version: str) -> dict[str, Path | bytes]:
    home = _need(tools_dir() / f"couchdb-{version}")
    files: dict[str, Path | bytes] = {"docker-entrypoint.sh": COUCHDB_ENTRYPOINT}
    for path in sorted(home.rglob("*")):
        if path.is_symlink() or path.is_file():
            files[f"opt/couchdb/{path.relative_to(home)}"] = path
    return files


# The example chaincode the example blueprints run (blueprints/chaincode/), built as its
# image tag says: `-X main.version=<tag>`, so that an upgrade is seen in what it answers.
CHAINCODE_SRC = Path(__file__).resolve().parents[2] / "blueprints" / "chaincode"


def _shim_source() -> Path:
    """A Fabric source tree (`make fabric` unpacks the rendered version's) whose vendor/ has
    the chaincode shim."""
    shim = "vendor/github.com/hyperledger/fabric-chaincode-go/shim"
    trees = sorted(p for p in (tools_dir() / "src").glob("fabric-2.*") if (p / shim).is_dir())
    if not trees:
        raise TwinError(
            f"no Fabric source with {shim} under {tools_dir() / 'src'}: run `make fabric`"
        )
    return trees[-1]


def _chaincode_files(name: str) -> Callable[[str], dict[str, Path | bytes]]:
    def files(version: str) -> dict[str, Path | bytes]:
        src = CHAINCODE_SRC / name
        sources = sorted(src.glob("*.go"))
        digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:12]
        out = tools_dir() / "images" / f"{name}-{version}-{digest}" / name
        if not out.exists():
            # the shim vendored in Fabric's source: built inside that module, offline
            fabric = _shim_source()
            pkg = fabric / "hlfc-chaincode" / name
            shutil.rmtree(pkg, ignore_errors=True)
            pkg.mkdir(parents=True)
            for path in sources:
                shutil.copy(path, pkg / path.name)
            argv = [
                "go", "build", "-mod=vendor", "-trimpath", "-buildvcs=false",
                "-ldflags", f"-s -w -X main.version={version}",
                "-o", str(out), f"./hlfc-chaincode/{name}",
            ]  # fmt: skip
            env = os.environ | {"CGO_ENABLED": "0"}
            done = subprocess.run(
                argv, check=False, cwd=fabric, env=env, capture_output=True, text=True
            )
            if done.returncode != 0:
                raise TwinError(f"building chaincode {name} {version}: {done.stderr.strip()}")
        return {f"usr/local/bin/{name}": out, "etc/nsswitch.conf": NSSWITCH}

    return files


APP_SRC = Path(__file__).resolve().parents[2] / "blueprints" / "app"


def _app_files(_version: str) -> dict[str, Path | bytes]:
    """The example application: the machine's Node.js, app.js, and the packages its lock
    file pins (installed by `make twin-tools` into .tools/app)."""
    node = shutil.which("node")
    if node is None:
        raise TwinError("node is not on PATH: the application image needs Node.js")
    modules = _need(tools_dir() / "app" / "node_modules")
    files: dict[str, Path | bytes] = {
        "usr/local/bin/node": Path(node).resolve(),
        "app/app.js": _need(APP_SRC / "app.js"),
        "app/package.json": _need(APP_SRC / "package.json"),
    }
    for path in sorted(modules.rglob("*")):
        if path.is_file() and not path.is_symlink():
            files[f"app/node_modules/{path.relative_to(modules)}"] = path
    return files


RECIPES: dict[str, Recipe] = {
    "couchdb": Recipe(
        _couchdb_files,
        lambda _v: {"COUCHDB_HOME": "/opt/couchdb"},
        entrypoint=("/docker-entrypoint.sh",),
        cmd=("/opt/couchdb/bin/couchdb",),
        user="5984:5984",
        expose=("5984/tcp",),
    ),
    "hyperledger/fabric-peer": Recipe(
        _peer_files, _fabric_env, cmd=("peer", "node", "start"), expose=("7051/tcp",)
    ),
    "hyperledger/fabric-orderer": Recipe(
        _orderer_files, _fabric_env, cmd=("orderer",), expose=("7050/tcp",)
    ),
    "hyperledger/fabric-tools": Recipe(_tools_files, _fabric_env, cmd=("/bin/bash",)),
    "hyperledger/fabric-ca": Recipe(
        _ca_files,
        lambda _v: {"FABRIC_CA_HOME": "/etc/hyperledger/fabric-ca-server"},
        cmd=("fabric-ca-server", "start", "-b", "admin:adminpw"),
        expose=("7054/tcp",),
    ),
    # the enroller's Dockerfile (compiler/enroll/Dockerfile): hlfc and its pinned wheels
    "hlfc-enroller": Recipe(_enroller_files, cmd=("hlfc", "enroll", "--help"), user="1000:1000"),
    "hlfc-dev/asset-transfer": Recipe(
        _chaincode_files("asset-transfer"),
        entrypoint=("/usr/local/bin/asset-transfer",),
        expose=("7052/tcp",),
        user="1000:1000",
        base=False,
    ),
    "hlfc-dev/fabric-app": Recipe(
        _app_files,
        entrypoint=("/usr/local/bin/node", "/app/app.js"),
        workdir="/app",
        user="1000:1000",
    ),
    "registry.k8s.io/pause": Recipe(
        lambda _v: {"pause": binary("pause")}, entrypoint=("/pause",), base=False
    ),
}


def normalize(ref: str) -> str:
    """A reference as containerd stores it: docker.io/library/ for bare names."""
    name, _, tag = ref.rpartition(":")
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return f"{name}:{tag}"


def recipe_for(ref: str) -> tuple[Recipe, str]:
    name, _, version = ref.rpartition(":")
    for repo, recipe in RECIPES.items():
        if name == repo or name.endswith("/" + repo):
            return recipe, version
    raise TwinError(f"no recipe to build image {ref!r}: the twin builds {sorted(RECIPES)}")


def base_root() -> Path:
    """The Debian root every image but pause starts from, made once per machine."""
    # named by its package list: a changed list makes a new root, never reuses the old one
    packages = hashlib.sha256(",".join(BASE_PACKAGES).encode()).hexdigest()[:12]
    path = tools_dir() / "images" / f"debian-{DEBIAN_SUITE}-{packages}.tar"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.partial.tar")  # mmdebstrap: format by suffix
        run(
            "mmdebstrap",
            "--quiet",
            "--variant=minbase",
            f"--include={','.join(BASE_PACKAGES)}",
            DEBIAN_SUITE,
            str(partial),
            DEBIAN_MIRROR,
        )
        partial.rename(path)
        for stale in path.parent.glob(f"debian-{DEBIAN_SUITE}*.tar"):
            if stale != path:
                stale.unlink()
    return path


def _layer(files: dict[str, Path | bytes], out: Path) -> None:
    """One layer: the files with their parents, root-owned, timestamps fixed."""
    dirs: set[str] = set()
    for name in files:
        parts = name.split("/")[:-1]
        dirs.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for d in sorted(dirs):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for name, source in sorted(files.items()):
            if isinstance(source, Path) and source.is_symlink():
                info = tarfile.TarInfo(name)
                info.type, info.linkname = tarfile.SYMTYPE, str(source.readlink())
                tar.addfile(info)
                continue
            data = source if isinstance(source, bytes) else source.read_bytes()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            executable = isinstance(source, bytes) and data.startswith(b"#!")
            info.mode = (
                0o755
                if executable or (isinstance(source, Path) and source.stat().st_mode & 0o111)
                else 0o644
            )
            tar.addfile(info, io.BytesIO(data))


def build(ref: str) -> Path:
    """The OCI archive of image `ref`, built if its inputs changed."""
    recipe, version = recipe_for(ref)
    files = recipe.files(version)
    base = (DEBIAN_SUITE, BASE_PACKAGES) if recipe.base else ()
    settings = (recipe.cmd, recipe.entrypoint, recipe.user, recipe.workdir, recipe.expose)
    env = sorted(recipe.env(version).items())
    digest = hashlib.sha256(repr((ref, settings, env, base)).encode())
    for name, source in sorted(files.items()):
        digest.update(name.encode())
        if isinstance(source, Path) and source.is_symlink():
            digest.update(str(source.readlink()).encode())
        else:
            digest.update(source if isinstance(source, bytes) else source.read_bytes())
    out_dir = tools_dir() / "images"
    slug = ref.replace("/", "_").replace(":", "_")
    archive = out_dir / f"{slug}-{digest.hexdigest()[:16]}.tar"
    if archive.exists():
        return archive
    for stale in out_dir.glob(f"{slug}-*.tar"):
        stale.unlink()
    work = out_dir / f"{slug}.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    layout = work / "oci"
    image = f"{layout}:img"
    run("umoci", "init", "--layout", str(layout))
    run("umoci", "new", "--image", image)
    if recipe.base:
        run("umoci", "raw", "add-layer", "--image", image, str(base_root()))
    _layer(files, work / "layer.tar")
    run("umoci", "raw", "add-layer", "--image", image, str(work / "layer.tar"))
    config = ["umoci", "config", "--image", image]
    for key, value in sorted(recipe.env(version).items()):
        config.append(f"--config.env={key}={value}")
    config.append("--config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    for arg in recipe.cmd:
        config.append(f"--config.cmd={arg}")
    for arg in recipe.entrypoint:
        config.append(f"--config.entrypoint={arg}")
    for port in recipe.expose:
        config.append(f"--config.exposedports={port}")
    if recipe.user:
        config.append(f"--config.user={recipe.user}")
    if recipe.workdir:
        config.append(f"--config.workingdir={recipe.workdir}")
    run(*config)
    _name_for_containerd(layout, normalize(ref))
    with tarfile.open(archive.with_suffix(".partial"), "w") as tar:
        for path in sorted(layout.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(layout)), recursive=False)
    archive.with_suffix(".partial").rename(archive)
    shutil.rmtree(work)
    return archive


def _name_for_containerd(layout: Path, name: str) -> None:
    """containerd's importer names an image by the io.containerd.image.name annotation."""
    index_path = layout / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    for manifest in index["manifests"]:
        manifest.setdefault("annotations", {})["io.containerd.image.name"] = name
    index_path.write_text(json.dumps(index), encoding="utf-8")


def images_in(resources: Iterable[dict[str, object]]) -> list[str]:
    """Every image reference the rendered pod templates name."""
    found: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("containers", "initContainers") and isinstance(value, list):
                    found.update(str(c["image"]) for c in value if isinstance(c, dict))
                else:
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    for res in resources:
        visit(res)
    return sorted(found)


@dataclass
class ImageSet:
    """Built archives by reference."""

    archives: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def for_refs(cls, refs: Iterable[str]) -> ImageSet:
        return cls({ref: build(ref) for ref in sorted({*refs, PAUSE_IMAGE})})
