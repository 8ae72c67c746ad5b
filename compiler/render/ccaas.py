"""The chaincode-as-a-service package, built byte for byte the same on every render, so that
its package ID (`<label>:<sha256 of the package>`) is known at compile time: the chaincode
server is told its ID in its environment, and no Job has to ask a peer for it.

The package is what `peer lifecycle chaincode package` makes for type `ccaas`: a gzipped
tar of `metadata.json` and `code.tar.gz`, the latter holding `connection.json`. Tar headers
and gzip headers carry no time, owner or host, so nothing but the content decides the bytes.

`connection.json` names the server by its Service name alone, which the peer resolves in
its own namespace (the server runs beside the organisation's peers in every cluster), so
one package serves every organisation. The peer checks the server's TLS certificate
against `root_cert`, a template the CCaaS builder fills from the peer's
CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG: the organisation's TLS CA root, known only at run
time and written next to the peer's TLS certificate by the enroller.
"""

from __future__ import annotations

import hashlib
import json
import struct
import tarfile
import zlib
from dataclasses import dataclass

from compiler.analysis.chaincodes import ChaincodeInfo
from compiler.analysis.endpoints import CHAINCODE_PORT

DIAL_TIMEOUT = "10s"
# the key of the peer's TLS Secret, and the template field, that carry the TLS CA root
BUILDER_CONFIG_KEY = "ccaas-builder.json"
ROOT_FIELD = "tls_root"


@dataclass(frozen=True)
class Package:
    label: str
    data: bytes  # the .tar.gz `peer lifecycle chaincode install` takes

    @property
    def package_id(self) -> str:
        return f"{self.label}:{hashlib.sha256(self.data).hexdigest()}"


def _tar_gz(files: dict[str, bytes]) -> bytes:
    """A ustar archive without the padding to 10 KiB records that tar writers add (readers
    need only the two zero blocks at the end), then gzip."""
    raw = bytearray()
    for name, content in files.items():
        info = tarfile.TarInfo(name)
        info.size = len(content)
        info.mode = 0o644
        info.mtime = 0
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        raw += info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict")
        raw += content + bytes(-len(content) % tarfile.BLOCKSIZE)
    raw += bytes(2 * tarfile.BLOCKSIZE)
    return _gzip_stored(bytes(raw))


def _gzip_stored(data: bytes) -> bytes:
    """gzip with stored (uncompressed) deflate blocks: compressed bytes would depend on the
    zlib build of the machine that renders, and so would the package ID. No time, no name,
    OS "unknown" (RFC 1952)."""
    out = bytearray(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")
    chunks = [data[i : i + 0xFFFF] for i in range(0, len(data), 0xFFFF)] or [b""]
    for i, chunk in enumerate(chunks):
        out.append(1 if i == len(chunks) - 1 else 0)
        out += struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF)
        out += chunk
    out += struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return bytes(out)


def _json(data: dict[str, object]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def connection(chaincode: ChaincodeInfo) -> dict[str, object]:
    return {
        "address": f"{chaincode.server}:{CHAINCODE_PORT}",
        "dial_timeout": DIAL_TIMEOUT,
        "tls_required": True,
        "client_auth_required": False,
        "root_cert": "{{." + ROOT_FIELD + "}}",
    }


def metadata(chaincode: ChaincodeInfo) -> dict[str, object]:
    return {"label": chaincode.label, "type": "ccaas"}


def package(chaincode: ChaincodeInfo) -> Package:
    code = _tar_gz({"connection.json": _json(connection(chaincode))})
    meta = _json(metadata(chaincode))
    return Package(chaincode.label, _tar_gz({"metadata.json": meta, "code.tar.gz": code}))


def readable(chaincode: ChaincodeInfo) -> dict[str, str]:
    """What the package holds, as text beside it, so that a review sees what changes."""
    return {
        "package-connection.json": _json(connection(chaincode)).decode(),
        "package-metadata.json": _json(metadata(chaincode)).decode(),
    }
