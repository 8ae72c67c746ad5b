"""The protobuf wire format, as far as signed config updates need it.

A config update is signed over the exact bytes of its `ConfigUpdate`. Decoding it to
JSON and encoding it again (configtxlator) re-marshals maps in Go's random order, which
breaks every signature already made. So signatures gathered from several organisations are
combined here at the wire level: the `config_update` bytes are copied, never re-encoded,
and each `ConfigSignature` is copied as the signer made it.

Messages used (fabric-protos common/common.proto, common/configtx.proto, msp/identities.proto):
- Envelope { bytes payload = 1; bytes signature = 2; }
- Payload { Header header = 1; bytes data = 2; }
- ConfigUpdateEnvelope { bytes config_update = 1; repeated ConfigSignature signatures = 2; }
- ConfigSignature { bytes signature_header = 1; bytes signature = 2; }
- SignatureHeader { bytes creator = 1; bytes nonce = 2; }
- SerializedIdentity { string mspid = 1; bytes id_bytes = 2; }
"""

from __future__ import annotations

from dataclasses import dataclass

VARINT, FIXED64, BYTES, FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise WireError("truncated or oversized varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def fields(data: bytes) -> list[tuple[int, int, bytes]]:
    """Every field of a message in order: (number, wire type, value). A length-delimited
    value is its bytes; a varint or fixed value is its raw encoding."""
    out = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, kind = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        start = pos
        if kind == VARINT:
            _, pos = _varint(data, pos)
        elif kind == FIXED64:
            pos += 8
        elif kind == FIXED32:
            pos += 4
        elif kind == BYTES:
            size, start = _varint(data, pos)
            pos = start + size
        else:
            raise WireError(f"unsupported wire type {kind}")
        if pos > len(data):
            raise WireError("truncated field")
        out.append((number, kind, data[start:pos]))
    return out


def field(number: int, value: bytes) -> bytes:
    """One length-delimited field."""
    return _encode_varint(number << 3 | BYTES) + _encode_varint(len(value)) + value


def only(data: bytes, number: int) -> bytes:
    """The last value of length-delimited field `number` (protobuf's rule), or b""."""
    found = b""
    for n, kind, value in fields(data):
        if n == number:
            if kind != BYTES:
                raise WireError(f"field {number} is not length-delimited")
            found = value
    return found


def every(data: bytes, number: int) -> list[bytes]:
    return [value for n, kind, value in fields(data) if n == number and kind == BYTES]


@dataclass(frozen=True)
class ConfigUpdateEnvelope:
    """The parts of a CONFIG_UPDATE Envelope that signatures are about."""

    header: bytes  # Payload.header, copied as it is
    config_update: bytes
    signatures: tuple[bytes, ...]  # each a ConfigSignature, as its signer encoded it

    @classmethod
    def parse(cls, envelope: bytes) -> ConfigUpdateEnvelope:
        payload = only(envelope, 1)
        data = only(payload, 2)
        update = only(data, 1)
        if not update:
            raise WireError("no config update in the envelope")
        return cls(only(payload, 1), update, tuple(every(data, 2)))

    def encode(self) -> bytes:
        """An unsigned Envelope: whoever submits it signs the envelope itself."""
        data = field(1, self.config_update) + b"".join(field(2, s) for s in self.signatures)
        return field(1, field(1, self.header) + field(2, data))


@dataclass(frozen=True)
class ConfigSignature:
    raw: bytes
    signature_header: bytes
    signature: bytes
    msp_id: str
    certificate: bytes  # the signer's PEM, as the signature header names it

    @classmethod
    def parse(cls, raw: bytes) -> ConfigSignature:
        header = only(raw, 1)
        creator = only(header, 1)
        try:
            msp_id = only(creator, 1).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WireError("the signer's MSP ID is not text") from exc
        return cls(raw, header, only(raw, 2), msp_id, only(creator, 2))
