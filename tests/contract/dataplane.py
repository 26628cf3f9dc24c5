"""What decides which token limit counts a request, read from the objects Kuadrant hands its data plane.

Two readings of the same TokenRateLimitPolicy:

- `limits_from_trlp`: the policy as we wrote it;
- `limits_from_operator`: what the Kuadrant operator made of it, the wasm-shim's actions (the
  `ratelimit-check-service` action of a route's action set: predicates and descriptor data) and
  Limitador's limits (conditions on the limit's descriptor, counter variables, max value, seconds).
  On Istio, v1.5.2 hands the wasm-shim its configuration inside the EnvoyFilter
  `kuadrant-<gateway>` (the wasm HTTP filter's `configuration`, a JSON string), no longer in a
  WasmPlugin (`wasm_config_from_envoyfilter`).

`counted` evaluates the predicates with a CEL engine on an identity object (as Authorino returned it
in its dynamic metadata), presenting every `auth.identity` field a predicate names, null when the
identity lacks it, as the wasm-shim does.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

CHECK_SERVICE = "ratelimit-check-service"
_IDENTITY_FIELD = re.compile(r"auth\.identity\.([A-Za-z_][A-Za-z0-9_]*)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


@dataclass
class Limit:
    name: str
    predicates: list
    counters: list
    rates: list = field(default_factory=list)  # [(max value, seconds)]
    limitador_variables: list = field(default_factory=list)


def token_limit_identifier(namespace: str, policy: str, limit: str) -> str:
    """The Limitador descriptor key the operator gives one TokenRateLimitPolicy limit
    (kuadrant-operator v1.5.2 TokenLimitNameToLimitadorIdentifier)."""
    sanitized = "".join(c if c.isalnum() or c == "_" else "_" for c in limit)
    digest = hashlib.sha256(("%s/%s/%s" % (namespace, policy, limit)).encode()).hexdigest()[:8]
    return "tokenlimit.%s__%s" % (sanitized, digest)


def seconds(window: str) -> int:
    total = 0.0
    for number, unit in re.findall(r"(\d+)(ms|s|m|h)", window):
        total += int(number) * _UNITS[unit]
    return int(total)


def limits_from_trlp(trlp: dict) -> list:
    return [Limit(name, [w["predicate"] for w in spec.get("when") or []],
                  [c["expression"] for c in spec.get("counters") or []],
                  [(r["limit"], seconds(r["window"])) for r in spec.get("rates") or []])
            for name, spec in sorted(trlp["spec"]["limits"].items())]


def wasm_config_from_envoyfilter(envoyfilter: dict) -> dict:
    """The wasm-shim's plugin configuration the operator put in its EnvoyFilter."""
    for patch in envoyfilter["spec"].get("configPatches") or []:
        value = (patch.get("patch") or {}).get("value") or {}
        if value.get("name") == "envoy.filters.http.wasm":
            return json.loads(value["typed_config"]["value"]["config"]["configuration"]["value"])
    raise AssertionError("EnvoyFilter %s has no wasm filter patch" % envoyfilter["metadata"]["name"])


def action_sets_for(config: dict, hostname: str) -> list:
    return [s for s in config.get("actionSets") or []
            if hostname in (s.get("routeRuleConditions") or {}).get("hostnames", [])]


def limits_from_operator(trlp: dict, config: dict, limitador: dict, hostname: str) -> list:
    """The limits of `trlp` as the wasm-shim (action sets matching `hostname`) and Limitador will apply them."""
    namespace, policy = trlp["metadata"]["namespace"], trlp["metadata"]["name"]
    names = {token_limit_identifier(namespace, policy, name): name for name in trlp["spec"]["limits"]}
    found: dict = {}
    for action_set in action_sets_for(config, hostname):
        for action in action_set.get("actions") or []:
            if action.get("service") != CHECK_SERVICE:
                continue
            for conditional in action.get("conditionalData") or []:
                keys = [d["expression"]["key"] for d in conditional.get("data") or [] if "expression" in d]
                identifiers = [k for k in keys if k in names]
                for identifier in identifiers:
                    counters = [d["expression"]["value"] for d in conditional["data"]
                                if "expression" in d and d["expression"]["key"] not in (identifier, "ratelimit.hits_addend")]
                    found[names[identifier]] = Limit(names[identifier], list(conditional.get("predicates") or []),
                                                     counters)
    for entry in limitador["spec"].get("limits") or []:
        for identifier, name in names.items():
            if entry.get("conditions") == ['descriptors[0]["%s"] == "1"' % identifier] and name in found:
                found[name].rates.append((entry["max_value"], entry["seconds"]))
                found[name].limitador_variables = entry.get("variables") or []
    return [found[name] for name in sorted(found)]


def request_activation(method: str, path: str, headers: dict, identity: dict, predicates: list) -> dict:
    ident = dict(identity)
    for predicate in predicates:
        for name in _IDENTITY_FIELD.findall(predicate):
            ident.setdefault(name, None)
    return {"request": {"method": method, "path": path, "url_path": urlsplit(path).path,
                        "headers": {k.lower(): v for k, v in headers.items()}},
            "auth": {"identity": ident}}


def counted(cel, limits: list, method: str, path: str, headers: dict, identity: dict) -> list:
    """The names of the limits whose every predicate holds for this request and identity."""
    fired = []
    for limit in limits:
        env = request_activation(method, path, headers, identity, limit.predicates)
        holds = True
        for predicate in limit.predicates:
            result = cel.evaluate(predicate, env)
            if not result.get("ok") or not isinstance(result.get("value"), bool):
                raise AssertionError("limit %s: %s\n  gave %r\n  for %r" % (limit.name, predicate, result, env))
            holds = holds and result["value"]
        if holds:
            fired.append(limit.name)
    return sorted(fired)
