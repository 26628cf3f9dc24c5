"""Ask a real Authorino for a decision, the two ways it listens.

- `check_grpc`: the Envoy ext_authz v3 `Authorization/Check` call, shaped as Kuadrant's wasm-shim
  sends it: the request's own host, method, path and lower-cased headers, with the context extension
  `host` set to the action's scope, which the Kuadrant operator makes the AuthConfig's name (and
  only host, `spec.hosts`). The answer carries the dynamic metadata (the `identity` object the
  wasm-shim hands its rate-limit predicates as `auth.identity`) and the headers added upstream.
- `check_http`: Authorino's raw HTTP authorization endpoint (`/check`), where the Host header picks
  the AuthConfig. Authorino presents the request to the AuthConfig with path `/check` whatever the
  caller asked for, and returns no dynamic metadata: only cases whose decision does not depend on
  the path can be replayed through it.

The protobuf messages are encoded by hand (a few fields of CheckRequest, all of CheckResponse that
Authorino fills), so only grpcio is needed, not Envoy's generated Python.
"""

from __future__ import annotations

import http.client
import ssl
import struct
from dataclasses import dataclass, field

CHECK_METHOD = "/envoy.service.auth.v3.Authorization/Check"

# google.rpc.Code -> the HTTP status Envoy answers for a denial without an explicit one.
_RPC_HTTP = {0: 200, 7: 403, 16: 401, 5: 404, 3: 400, 14: 503}


@dataclass
class Decision:
    status: int
    reason: str = ""
    body: str = ""
    headers: dict = field(default_factory=dict)  # ok: added upstream; denied: sent to the client (first value)
    header_list: list = field(default_factory=list)  # every (name, value) in the order Authorino sent them
    removed: list = field(default_factory=list)  # ok: removed upstream
    metadata: dict = field(default_factory=dict)  # dynamic metadata (gRPC only)
    rpc_code: int | None = None

    @property
    def reasons(self) -> list:
        """Every x-ext-auth-reason value, in order: Authorino appends its own after the AuthConfig's."""
        return [v for k, v in self.header_list if k == "x-ext-auth-reason"]

    @property
    def identity(self) -> dict:
        return self.metadata.get("identity") or {}


# -- protobuf wire format ---------------------------------------------------------------------------

def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _string_field(number: int, text: str) -> bytes:
    return _bytes_field(number, text.encode()) if text else b""


def _map_field(number: int, mapping: dict) -> bytes:
    return b"".join(_bytes_field(number, _string_field(1, k) + _string_field(2, v)) for k, v in mapping.items())


def _fields(data: bytes):
    """(number, wire type, value) of each field of one message."""
    i = 0
    while i < len(data):
        key, i = _read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(data, i)
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 2:
            size, i = _read_varint(data, i)
            value, i = data[i:i + size], i + size
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield number, wire, value


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, i
        shift += 7


def _struct(data: bytes) -> dict:
    out = {}
    for number, _wire, entry in _fields(data):
        if number == 1:
            parts = dict((n, v) for n, _w, v in _fields(entry))
            out[parts.get(1, b"").decode()] = _value(parts.get(2, b""))
    return out


def _value(data: bytes):
    for number, _wire, value in _fields(data):
        if number == 1:
            return None
        if number == 2:
            number_value = struct.unpack("<d", value)[0]
            return int(number_value) if number_value.is_integer() else number_value
        if number == 3:
            return value.decode()
        if number == 4:
            return bool(value)
        if number == 5:
            return _struct(value)
        if number == 6:
            return [_value(v) for n, _w, v in _fields(value) if n == 1]
    return None


def _header_options(entries: list) -> list:
    headers = []
    for entry in entries:
        for number, _wire, value in _fields(entry):
            if number == 1:
                parts = dict((n, v) for n, _w, v in _fields(value))
                headers.append((parts.get(1, b"").decode().lower(), parts.get(2, b"").decode()))
    return headers


def check_request(host: str, method: str, path: str, headers: dict, scope: str) -> bytes:
    """A CheckRequest as the wasm-shim builds it for one request and one auth action scope."""
    http_request = (_string_field(1, "contract-replay") + _string_field(2, method)
                    + _map_field(3, {k.lower(): v for k, v in headers.items()}) + _string_field(4, path)
                    + _string_field(5, host) + _string_field(6, "https") + _string_field(10, "HTTP/1.1"))
    attributes = _bytes_field(4, _bytes_field(2, http_request)) + _map_field(10, {"host": scope})
    return _bytes_field(1, attributes)


def decision_from_response(data: bytes) -> Decision:
    """A CheckResponse read into a Decision; a denial's HTTP status is the one Authorino set."""
    rpc_code, status, body, reason = 0, None, "", ""
    header_entries, removed, metadata = [], [], {}
    for number, _wire, value in _fields(data):
        if number == 1:
            rpc_code = dict((n, v) for n, _w, v in _fields(value)).get(1, 0)
        elif number == 2:
            for n, _w, v in _fields(value):
                if n == 1:
                    status = dict((a, b) for a, _x, b in _fields(v)).get(1)
                elif n == 2:
                    header_entries.append(v)
                elif n == 3:
                    body = v.decode()
        elif number == 3:
            for n, _w, v in _fields(value):
                if n == 2:
                    header_entries.append(v)
                elif n == 5:
                    removed.append(v.decode())
        elif number == 4:
            metadata = _struct(value)
    header_list = _header_options(header_entries)
    headers = {}
    for name, value in header_list:
        headers.setdefault(name, value)
    return Decision(status=status or _RPC_HTTP.get(rpc_code, 500), reason=headers.get("x-ext-auth-reason", ""),
                    body=body, headers=headers, header_list=header_list, removed=removed, metadata=metadata,
                    rpc_code=rpc_code)


# -- clients ----------------------------------------------------------------------------------------

class GrpcClient:
    """One TLS channel to Authorino's ext_authz listener; `check` sends one CheckRequest."""

    def __init__(self, address: str, ca_pem: bytes, server_name: str, timeout: float = 10.0):
        import grpc  # only the gRPC replay needs it

        credentials = grpc.ssl_channel_credentials(root_certificates=ca_pem)
        self.channel = grpc.secure_channel(address, credentials,
                                           options=[("grpc.ssl_target_name_override", server_name)])
        self.call = self.channel.unary_unary(CHECK_METHOD, request_serializer=None, response_deserializer=None)
        self.timeout = timeout

    def check(self, host: str, method: str, path: str, headers: dict, scope: str) -> Decision:
        return decision_from_response(self.call(check_request(host, method, path, headers, scope),
                                                timeout=self.timeout))

    def close(self) -> None:
        self.channel.close()


def check_http(port: int, ca_file: str, scope: str, method: str, headers: dict, timeout: float = 10.0) -> Decision:
    """One request to the raw HTTP authorization endpoint, the AuthConfig picked by Host."""
    context = ssl.create_default_context(cafile=str(ca_file))
    context.check_hostname = False  # the Host header names the AuthConfig, not Authorino
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=timeout)
    try:
        connection.request(method, "/check", headers=dict(headers, Host=scope))
        response = connection.getresponse()
        body = response.read().decode()
        header_list = [(k.lower(), v) for k, v in response.getheaders()]
        got = {}
        for name, value in header_list:
            got.setdefault(name, value)
        return Decision(status=response.status, reason=got.get("x-ext-auth-reason", ""), body=body, headers=got,
                        header_list=header_list)
    finally:
        connection.close()
