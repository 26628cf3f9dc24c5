"""Every row of the behaviour contract (tests/contract/contract.yml), in both selection modes.

The policies `generate` writes for the contract's scenario answer each request through a model of
Authorino and the wasm-shim (tests/contract/gateway.py) whose every CEL expression runs in the real
CEL helper; an expression that raises fails the case rather than counting as a denial.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gateway import Gateway

from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import generate

CONTRACT = yaml.safe_load((Path(__file__).resolve().parents[3] / "contract" / "contract.yml").read_text())
MODES = ("groups", "subscription")
MODEL = ("llm", "qwen3")


def generated(mode):
    scenario = CONTRACT["scenario"]
    return generate(scenario["resources"], routes=scenario["routes"], selection=mode,
                    gateway={"namespace": "openshift-ingress", "name": "maas-default-gateway"})


def policy(result, kind, model=MODEL):
    prefix = {"AuthPolicy": "maas-auth-", "TokenRateLimitPolicy": "maas-trlp-"}[kind]
    for obj in result["objects"]:
        if obj["kind"] == kind and obj["metadata"]["namespace"] == model[0] \
                and obj["metadata"]["name"] == prefix + model[1]:
            return obj
    return None


@pytest.fixture(scope="module", params=MODES)
def gateway(request, cel):
    result = generated(request.param)
    return request.param, Gateway(cel, CONTRACT["scenario"], policy(result, "AuthPolicy"),
                                  policy(result, "TokenRateLimitPolicy"))


def expected(case, mode):
    return dict(case["expect"], **(case.get("expect_" + mode) or {}))


@pytest.mark.parametrize("case", CONTRACT["cases"], ids=[c["name"] for c in CONTRACT["cases"]])
def test_contract(gateway, case):
    mode, gw = gateway
    if mode not in case.get("modes", MODES):
        pytest.skip("not a %s mode case" % mode)
    want = expected(case, mode)
    request = case["request"]
    got = gw.answer(request["method"], request["path"], request.get("headers"))
    assert got.status == want["status"], (mode, got)
    if "reason" in want:
        assert got.reason == want["reason"], (mode, got)
        assert got.body.startswith(want["reason"] + ": "), got.body
    if want["status"] == 200:
        assert got.counted == want.get("counted", got.counted), (mode, got)
    for header, value in (want.get("forwarded") or {}).items():
        assert got.forwarded.get(header) == value, (mode, header, got.forwarded)
    # What the TelemetryPolicy's labels read (the selected subscription's tokenMetadata).
    for name, value in (want.get("identity") or {}).items():
        assert got.identity.get(name) == value, (mode, name, got.identity)


def test_the_scenario_has_the_invalid_subscription_it_relies_on():
    """The `unusable` rows need `broken` to be invalid in both modes, for its window."""
    for mode in MODES:
        invalid = generated(mode)["invalid"]
        assert [e["name"] for e in invalid] == ["broken"], invalid
        assert "9000h" in invalid[0]["reason"]


def test_every_contract_row_has_a_case():
    rows = {c["row"] for c in CONTRACT["cases"]}
    assert rows == {"unauthenticated", "invalid-key", "not-a-subject", "forged-identity", "one-owned", "multiple",
                    "no-subscription", "header-not-found", "header-not-owned", "unusable", "key-bound",
                    "models-list", "oidc"}
