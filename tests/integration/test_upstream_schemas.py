"""The real upstream schemas accept what Kuadrant accepts and reject what it rejects."""

import copy

import pytest

AUTH_POLICY = {
    "apiVersion": "kuadrant.io/v1",
    "kind": "AuthPolicy",
    "metadata": {"name": "example"},
    "spec": {
        "targetRef": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "model"},
        "rules": {
            "authentication": {"api-keys": {"plain": {"selector": "request.headers.authorization"}}},
            "authorization": {"members": {"patternMatching": {"patterns": [
                {"selector": "auth.identity.groups", "operator": "incl", "value": "premium"}]}}},
        },
    },
}


def with_namespace(obj, namespace):
    obj = copy.deepcopy(obj)
    obj["metadata"]["namespace"] = namespace
    return obj


def test_valid_auth_policy_is_accepted(plane, namespace):
    proc = plane.dry_run(with_namespace(AUTH_POLICY, namespace))
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("breakage, expected", [
    (lambda p: p["spec"]["targetRef"].update(kind="Deployment"), "targetRef"),
    (lambda p: p["spec"]["rules"]["authorization"]["members"]["patternMatching"]["patterns"][0]
     .update(operator="like"), "operator"),
    (lambda p: p["spec"]["targetRef"].pop("name"), "name"),
])
def test_malformed_auth_policy_is_rejected(plane, namespace, breakage, expected):
    policy = with_namespace(AUTH_POLICY, namespace)
    breakage(policy)
    proc = plane.dry_run(policy)
    assert proc.returncode != 0
    assert expected in proc.stderr
