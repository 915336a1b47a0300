"""Decodes the protobuf request bodies kubectl's typed clients send
(`application/vnd.kubernetes.protobuf`): the `k8s\\0` + runtime.Unknown envelope,
and a schema for each kind those commands create, turned into the JSON form.

Limitations: only the kinds `kubectl auth can-i|whoami` and `kubectl create
configmap|secret|namespace|serviceaccount|deployment` send are known, and of them
only the fields those commands set; other fields are skipped.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Union

from krates_desktop.sandbox.status import bad_request, unsupported_media_type

MAGIC = b"k8s\x00"
Json = dict[str, Any]
# A field type: "string", "bytes", "int", "bool", a nested schema, or a tuple
# ("map", value type) / ("repeated", element type).
FieldType = Union[str, "Schema", tuple[str, Any]]
Schema = Mapping[int, tuple[str, FieldType]]

_OBJECT_META: Schema = {
    1: ("name", "string"),
    2: ("generateName", "string"),
    3: ("namespace", "string"),
    11: ("labels", ("map", "string")),
    12: ("annotations", ("map", "string")),
    14: ("finalizers", ("repeated", "string")),
}
_LABEL_SELECTOR: Schema = {1: ("matchLabels", ("map", "string"))}
_CONTAINER: Schema = {
    1: ("name", "string"),
    2: ("image", "string"),
    3: ("command", ("repeated", "string")),
    4: ("args", ("repeated", "string")),
    5: ("workingDir", "string"),
    6: ("ports", ("repeated", {1: ("name", "string"), 3: ("containerPort", "int"),
                               4: ("protocol", "string")})),
    7: ("env", ("repeated", {1: ("name", "string"), 2: ("value", "string")})),
    14: ("imagePullPolicy", "string"),
}  # fmt: skip
_POD_TEMPLATE: Schema = {
    1: ("metadata", _OBJECT_META),
    2: (
        "spec",
        {2: ("containers", ("repeated", _CONTAINER)), 3: ("restartPolicy", "string")},
    ),
}
_RESOURCE_ATTRIBUTES: Schema = {
    1: ("namespace", "string"),
    2: ("verb", "string"),
    3: ("group", "string"),
    4: ("version", "string"),
    5: ("resource", "string"),
    6: ("subresource", "string"),
    7: ("name", "string"),
}
KIND_SCHEMAS: dict[str, Schema] = {
    "ConfigMap": {
        1: ("metadata", _OBJECT_META),
        2: ("data", ("map", "string")),
        3: ("binaryData", ("map", "bytes")),
        4: ("immutable", "bool"),
    },
    "Secret": {
        1: ("metadata", _OBJECT_META),
        2: ("data", ("map", "bytes")),
        3: ("type", "string"),
        4: ("stringData", ("map", "string")),
        5: ("immutable", "bool"),
    },
    "Namespace": {1: ("metadata", _OBJECT_META)},
    "ServiceAccount": {1: ("metadata", _OBJECT_META)},
    "Deployment": {
        1: ("metadata", _OBJECT_META),
        2: (
            "spec",
            {
                1: ("replicas", "int"),
                2: ("selector", _LABEL_SELECTOR),
                3: ("template", _POD_TEMPLATE),
            },
        ),
    },
    "SelfSubjectAccessReview": {
        1: ("metadata", _OBJECT_META),
        2: (
            "spec",
            {
                1: ("resourceAttributes", _RESOURCE_ATTRIBUTES),
                2: (
                    "nonResourceAttributes",
                    {1: ("path", "string"), 2: ("verb", "string")},
                ),
            },
        ),
    },
    "SelfSubjectReview": {1: ("metadata", _OBJECT_META)},
    "SelfSubjectRulesReview": {
        1: ("metadata", _OBJECT_META),
        2: ("spec", {1: ("namespace", "string")}),
    },
}


class _Reader:
    """Reads protobuf wire-format fields from a buffer."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def varint(self) -> int:
        result = shift = 0
        while True:
            if self.pos >= len(self.data):
                raise bad_request("truncated protobuf body")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    def fields(self) -> list[tuple[int, int | bytes]]:
        found: list[tuple[int, int | bytes]] = []
        while self.pos < len(self.data):
            key = self.varint()
            number, wire = key >> 3, key & 7
            if wire == 0:
                found.append((number, self.varint()))
            elif wire == 2:
                size = self.varint()
                found.append((number, self.data[self.pos : self.pos + size]))
                self.pos += size
            elif wire in (1, 5):
                self.pos += 8 if wire == 1 else 4
            else:
                raise bad_request(f"unsupported protobuf wire type {wire}")
        return found


def _scalar(kind: str, value: int | bytes) -> Any:
    if kind == "int":
        return value if isinstance(value, int) else 0
    if kind == "bool":
        return bool(value)
    raw = value if isinstance(value, bytes) else b""
    if kind == "bytes":
        return base64.b64encode(raw).decode()
    return raw.decode("utf-8", "replace")


def _value(kind: FieldType, value: int | bytes) -> Any:
    if isinstance(kind, str):
        return _scalar(kind, value)
    if isinstance(kind, Mapping):
        return decode_message(value if isinstance(value, bytes) else b"", kind)
    raise bad_request("malformed protobuf schema")


def decode_message(data: bytes, schema: Schema) -> Json:
    """Decode one message with `schema` into its JSON form."""
    result: Json = {}
    for number, value in _Reader(data).fields():
        if number not in schema:
            continue
        name, kind = schema[number]
        if isinstance(kind, tuple) and kind[0] == "map":
            entry = dict(_Reader(value if isinstance(value, bytes) else b"").fields())
            key = _scalar("string", entry.get(1, b""))
            result.setdefault(name, {})[key] = _value(kind[1], entry.get(2, b""))
        elif isinstance(kind, tuple):
            result.setdefault(name, []).append(_value(kind[1], value))
        elif (decoded := _value(kind, value)) != "":
            # Go writes every string field, set or not; its JSON form omits the
            # empty ones, and the defaults look for them missing.
            result[name] = decoded
    return result


def decode(body: bytes) -> Json:
    """The JSON object of a protobuf request body; unknown kinds are a 415."""
    if not body.startswith(MAGIC):
        raise bad_request("protobuf body without the k8s envelope")
    envelope = dict(_Reader(body[len(MAGIC) :]).fields())
    type_meta = dict(_Reader(_bytes(envelope.get(1))).fields())
    api_version = _scalar("string", type_meta.get(1, b""))
    kind = _scalar("string", type_meta.get(2, b""))
    schema = KIND_SCHEMAS.get(kind)
    if schema is None:
        raise unsupported_media_type(f"application/vnd.kubernetes.protobuf ({kind})")
    obj = decode_message(_bytes(envelope.get(2)), schema)
    return {"apiVersion": api_version, "kind": kind, **obj}


def _bytes(value: int | bytes | None) -> bytes:
    return value if isinstance(value, bytes) else b""
