"""What the gateway answers a request, from the AuthPolicy and TokenRateLimitPolicy we generate.

A model of the pure part of Authorino's pipeline (authentication by priority, metadata, authorization,
success and denial responses) and of the wasm-shim's limit matching, with every CEL expression
evaluated by a real CEL engine (the tests' cel-rust helper). What is not pure is replaced by data:
maas-api's answers (tests/contract/maas_api.py), TokenReview and OIDC verification (the scenario's
credential tables). The real-Kuadrant suite sends the same requests to a real Authorino instead.

Any CEL evaluation error is a failure of the policy (every generated expression must be total),
reported as `CelError`, never silently read as a denial.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import maas_api


class CelError(AssertionError):
    """A generated expression raised or returned the wrong type."""


@dataclass
class Outcome:
    status: int
    reason: str = ""
    body: str = ""
    forwarded: dict = field(default_factory=dict)  # headers the model receives (Authorino's additions)
    counted: list = field(default_factory=list)  # limit keys that count the request
    identity: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {"status": self.status, "reason": self.reason, "counted": self.counted}


class Gateway:
    """Answers requests for one scenario (its resources and credentials) and one generated policy set."""

    def __init__(self, cel, scenario: dict, auth_policy: dict | None, trlp: dict | None):
        self.cel, self.scenario, self.auth_policy, self.trlp = cel, scenario, auth_policy, trlp
        self.credentials = scenario.get("credentials") or {}

    # -- CEL ------------------------------------------------------------------------------------

    def _eval(self, expr: str, env: dict):
        result = self.cel.evaluate(expr, env)
        if not result.get("ok"):
            raise CelError("%s\n  raised %s\n  for %s" % (expr[:400], result.get("error"), _short(env)))
        return result["value"]

    def _holds(self, conditions: list, env: dict) -> bool:
        for condition in conditions or []:
            value = self._eval(condition["predicate"], env)
            if not isinstance(value, bool):
                raise CelError("%s returned %r, not a boolean" % (condition["predicate"][:200], value))
            if not value:
                return False
        return True

    def _value(self, spec: dict, env: dict):
        if "expression" in spec:
            return self._eval(spec["expression"], env)
        if "selector" in spec:
            return _select(env, spec["selector"])
        return spec.get("value")

    # -- Authorino ------------------------------------------------------------------------------

    def _identity(self, name: str, rule: dict, env: dict):
        header = env["request"]["headers"].get("authorization", "")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
        if "plain" in rule:
            found = _select(env, rule["plain"]["selector"])
            return found if found not in (None, "") else None
        if "kubernetesTokenReview" in rule:
            review = (self.credentials.get("kubernetes_tokens") or {}).get(token)
            audiences = set(rule["kubernetesTokenReview"]["audiences"])
            if review is None or not audiences & set(review.get("audiences") or []):
                return None
            identity = {"authenticated": True, "user": {"username": review["username"],
                                                        "groups": list(review.get("groups") or [])},
                        "audiences": list(review["audiences"])}
        elif "jwt" in rule:
            claims = (self.credentials.get("oidc_tokens") or {}).get(token)
            if claims is None or claims.get("iss") != rule["jwt"]["issuerUrl"]:
                return None
            identity = dict(claims)
        else:
            raise AssertionError("authentication %s: method not modelled" % name)
        for key, spec in (rule.get("overrides") or {}).items():
            identity[key] = self._value(spec, env)
        return identity

    def _authenticate(self, rules: dict, env: dict):
        for priority in sorted({r.get("priority", 0) for r in rules.values()}):
            for name in sorted(n for n, r in rules.items() if r.get("priority", 0) == priority):
                if self._holds(rules[name].get("when"), env):
                    identity = self._identity(name, rules[name], env)
                    if identity is not None:
                        return identity
        return None

    def _call(self, url: str, body):
        path = urlsplit(url).path
        if path.endswith("/internal/v1/api-keys/validate"):
            return maas_api.validate_key(self.credentials.get("api_keys") or {}, body)
        if path.endswith("/internal/v1/subscriptions/select"):
            return maas_api.select_subscription(self.scenario["resources"], body)
        raise AssertionError("metadata call to %s not modelled" % url)

    def _metadata(self, rules: dict, env: dict) -> None:
        for name, rule in sorted(rules.items(), key=lambda kv: (kv[1].get("priority", 0), kv[0])):
            if self._holds(rule.get("when"), env):
                env["auth"].setdefault("metadata", {})[name] = self._call(
                    rule["http"]["url"], self._value(rule["http"]["body"], env))

    def _authorized(self, rules: dict, env: dict) -> bool:
        for _name, rule in sorted(rules.items(), key=lambda kv: (kv[1].get("priority", 0), kv[0])):
            if self._holds(rule.get("when"), env) and not self._holds(rule["patternMatching"]["patterns"], env):
                return False
        return True

    def _deny(self, spec: dict, env: dict, default_code: int) -> Outcome:
        headers = {k.lower(): self._value(v, env) for k, v in (spec.get("headers") or {}).items()}
        body = self._value(spec["body"], env) if "body" in spec else self._value(spec.get("message") or {}, env)
        return Outcome(status=spec.get("code", default_code), reason=headers.get("x-ext-auth-reason", ""),
                       body=body or "")

    def _success(self, response: dict, env: dict) -> Outcome:
        forwarded = {}
        for name, spec in (response.get("headers") or {}).items():
            if self._holds(spec.get("when"), env):
                forwarded[(spec.get("key") or name).lower()] = self._value(spec["plain"], env)
        identity = {}
        for _name, spec in (response.get("filters") or {}).items():
            if self._holds(spec.get("when"), env):
                identity = {k: self._value(v, env) for k, v in spec["json"]["properties"].items()}
        return Outcome(status=200, forwarded=forwarded, identity=identity)

    def _authorino(self, env: dict) -> Outcome:
        rules, response = self.auth_policy["spec"]["rules"], self.auth_policy["spec"]["rules"]["response"]
        identity = self._authenticate(rules.get("authentication") or {}, env)
        if identity is None:
            return self._deny(response.get("unauthenticated") or {}, env, 401)
        env["auth"]["identity"] = identity
        self._metadata(rules.get("metadata") or {}, env)
        if not self._authorized(rules.get("authorization") or {}, env):
            return self._deny(response.get("unauthorized") or {}, env, 403)
        return self._success(response.get("success") or {}, env)

    # -- wasm-shim ------------------------------------------------------------------------------

    def _limits(self, outcome: Outcome, request: dict) -> Outcome:
        if self.trlp is None:
            return outcome
        identity = dict(outcome.identity)
        env = {"request": request, "auth": {"identity": identity}}
        for name, limit in self.trlp["spec"]["limits"].items():
            # The wasm-shim presents every identity field a predicate names, null when absent.
            for when in limit.get("when") or []:
                for fieldname in _identity_fields(when["predicate"]):
                    identity.setdefault(fieldname, None)
        fired = sorted(k for k, limit in self.trlp["spec"]["limits"].items() if self._holds(limit.get("when"), env))
        if any(r["limit"] == 0 for k in fired for r in self.trlp["spec"]["limits"][k]["rates"]):
            return Outcome(status=429, reason="rate_limited", counted=fired, forwarded=outcome.forwarded)
        outcome.counted = fired
        return outcome

    def answer(self, method: str, path: str, headers: dict | None = None) -> Outcome:
        """The gateway's answer to one request on a model route."""
        request = {"method": method, "path": path, "url_path": urlsplit(path).path,
                   "headers": {k.lower(): v for k, v in (headers or {}).items()}}
        if self.auth_policy is None:
            return Outcome(status=403, reason="unauthorized", body="no AuthPolicy: the gateway default denies")
        outcome = self._authorino({"request": request, "auth": {}})
        if outcome.status != 200:
            return outcome
        return self._limits(outcome, request)


def _select(env: dict, selector: str):
    value = env
    for part in selector.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _identity_fields(expr: str) -> list:
    import re
    return re.findall(r"auth\.identity\.([A-Za-z_][A-Za-z0-9_]*)", expr)


def _short(env: dict) -> str:
    text = repr(env)
    return text if len(text) < 600 else text[:600] + "..."
