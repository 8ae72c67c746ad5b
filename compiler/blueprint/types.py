"""Constrained scalar types of the blueprint language.

Each is a plain `str` at run time with a pattern in the schema, so the JSON Schema that
editors use and the validation hlfc runs are the same rules.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints

# What each pattern means, in words, for error messages (a regex is no help to a user).
PATTERN_HELP: dict[str, str] = {}


def _pattern(regex: str, meaning: str) -> str:
    PATTERN_HELP[regex] = meaning
    return regex


def _int_to_str(value: object) -> object:
    # `cpu: 2` and `size: 10` are common and unambiguous; booleans are not numbers here.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


# A DNS-1123 label that also starts with a letter (DNS-1035), because hlfc derives Service
# names from it and Service names must start with a letter.
Name = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=63,
        pattern=_pattern(
            r"^[a-z]([-a-z0-9]*[a-z0-9])?$",
            "lower-case letters, digits and '-', starting with a letter and not ending with '-'",
        ),
    ),
    Field(description="lower-case letters, digits and '-', starting with a letter (DNS-1035)"),
]

# Fabric's chaincode name rule, narrowed to what can also name Kubernetes objects.
ChaincodeName = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=40,
        pattern=_pattern(
            r"^[a-z]([-a-z0-9]*[a-z0-9])?$",
            "lower-case letters, digits and '-', starting with a letter (at most 40)",
        ),
    ),
]

# Fabric's collection name rule (core/common/privdata).
CollectionName = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=128,
        pattern=_pattern(r"^[A-Za-z0-9-]+$", "letters, digits and '-' (a collection name)"),
    ),
]

# A Fabric CA attribute put into an application certificate; the `hf.` names are the
# CA's own privileges, which an application identity must not be given (rule R013).
AttributeName = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=128,
        pattern=_pattern(
            r"^[A-Za-z][A-Za-z0-9_.-]*$",
            "a letter, then letters, digits, '_', '.' or '-'",
        ),
    ),
]

# DNS-1123 subdomain: external domains, hosts.
DnsSubdomain = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=253,
        pattern=_pattern(
            r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
            "a lower-case DNS name (labels of letters, digits and '-' joined by dots)",
        ),
    ),
]

MspId = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=128,
        pattern=_pattern(
            r"^[A-Za-z0-9][A-Za-z0-9.-]*$", "letters, digits, '.' and '-' (an MSP ID)"
        ),
    ),
]

# Fabric's channel name rule (configtx validation): lower case, starts with a letter.
ChannelName = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=249,
        pattern=_pattern(
            r"^[a-z][a-z0-9.-]*$",
            "lower-case letters, digits, '.' and '-', starting with a letter (Fabric's rule)",
        ),
    ),
]

# Kubernetes resource quantity ("250m", "1Gi", 2).
Quantity = Annotated[
    str,
    BeforeValidator(_int_to_str),
    StringConstraints(
        pattern=_pattern(
            r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$",
            "a Kubernetes quantity such as 250m, 512Mi or 20Gi",
        )
    ),
    Field(json_schema_extra={"examples": ["250m", "512Mi", "20Gi"]}),
]

# Go duration as Fabric and Velero parse it ("2s", "500ms", "168h", "1h30m").
Duration = Annotated[
    str,
    StringConstraints(
        pattern=_pattern(
            r"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$", "a duration such as 500ms, 2s or 168h"
        )
    ),
]

# Byte size as configtxgen reads it ("10 MB", "512 KB", or a plain number of bytes).
ByteSize = Annotated[
    str,
    BeforeValidator(_int_to_str),
    StringConstraints(
        pattern=_pattern(r"^[0-9]+ ?(B|KB|MB|GB)?$", "a byte size such as 512 KB or 10 MB")
    ),
]

# An OCI image reference: repository, optional tag, optional sha256 digest.
ImageRef = Annotated[
    str,
    StringConstraints(
        max_length=512,
        pattern=_pattern(
            r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
            r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$",
            "an image reference: repository[:tag][@sha256:<64 hex>]",
        ),
    ),
]

Version = Annotated[
    str,
    StringConstraints(pattern=_pattern(r"^[0-9]+\.[0-9]+\.[0-9]+$", "a version such as 2.5.16")),
]

# Five-field cron as Velero and CronJob read it.
Cron = Annotated[
    str,
    StringConstraints(
        pattern=_pattern(
            r"^(@(hourly|daily|weekly|monthly|yearly))$|^(\S+\s+){4}\S+$",
            "a five-field cron expression such as '0 2 * * *'",
        )
    ),
]

LabelMap = dict[
    Annotated[str, StringConstraints(max_length=317, pattern=r"^([a-z0-9.-]+/)?[A-Za-z0-9_.-]+$")],
    Annotated[str, StringConstraints(max_length=63, pattern=r"^([A-Za-z0-9_.-]*)$")],
]
