"""What the real Kuadrant operator (v1.5.2) does with the policies the collection generates.

The demo's CRs (tests/fixtures/maas-sample.yaml) go through playbooks/site.yml with the demo's
variables (maas_policies per model, gateway defaults and tiers; maas_api's own AuthPolicy;
kuadrant_mtls in auto mode) on a private plane where the operator runs (fixture `kuadrant_plane`).
Nothing of Kuadrant is stubbed; the status Istio and the Authorino and Limitador operators would
write is written by the fixture, and the AuthConfigs' Ready status (which Authorino writes once it
has loaded them) by `authconfigs_loaded` below, after the test has seen the operator wait for it.
"""

import json
import sys
import time

import pytest
import yaml

from plane import REPO

GATEWAY_NS = "openshift-ingress"
KUADRANT_NS = "kuadrant-system"
RECONCILE = REPO / "playbooks" / "reconcile.yml"
POLICY_KINDS = ("authpolicies.kuadrant.io", "tokenratelimitpolicies.kuadrant.io", "ratelimitpolicies.kuadrant.io")
KUADRANT_FILTERS = {"kuadrant-auth-maas-default-gateway", "kuadrant-ratelimiting-maas-default-gateway",
                    "kuadrant-maas-default-gateway"}
MESH_CLUSTERS = {"kuadrant-auth-service", "kuadrant-ratelimit-service"}

# Every policy the demo generates: per model, the gateway defaults, the tiers and maas-api's own.
ROUTE_POLICIES = {
    ("AuthPolicy", "llm/maas-auth-facebook-opt-125m"),
    ("AuthPolicy", "llm/maas-auth-gpt-4o-mini"),
    ("AuthPolicy", "opendatahub/maas-api-auth-policy"),
    ("TokenRateLimitPolicy", "llm/maas-trlp-facebook-opt-125m"),
    ("TokenRateLimitPolicy", "llm/maas-trlp-gpt-4o-mini"),
}
TIER_POLICIES = {
    ("TokenRateLimitPolicy", "openshift-ingress/maas-tier-usage"),
    ("RateLimitPolicy", "openshift-ingress/maas-tier-usage"),
}
GATEWAY_DEFAULTS = {
    ("AuthPolicy", "openshift-ingress/gateway-default-auth"),
    ("TokenRateLimitPolicy", "openshift-ingress/gateway-default-deny"),
}


def key(obj):
    return obj["kind"], f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"


def conditions(obj):
    return {c["type"]: c for c in obj.get("status", {}).get("conditions", [])
            if c.get("observedGeneration", obj["metadata"]["generation"]) == obj["metadata"]["generation"]}


def policies(plane):
    return {key(p): p for kind in POLICY_KINDS for p in plane.list(kind)}


def wait_conditions(kuadrant, wanted, condition_type, timeout=90):
    """{policy key: its current `condition_type` condition}, once the operator has set it on all."""
    def current():
        found = {k: conditions(p).get(condition_type) for k, p in policies(kuadrant.plane).items() if k in wanted}
        return found if len(found) == len(wanted) and all(found.values()) else None
    return kuadrant.operator.wait_for(current, timeout, f"{condition_type} on {sorted(wanted)}")


def refused(found):
    """{policy key: the operator's reason and message} of the conditions that are not True."""
    return {k: f"{c['reason']}: {c['message']}" for k, c in found.items() if c["status"] != "True"}


def settled(kuadrant, wanted, condition_type, timeout=60):
    """The `condition_type` conditions of `wanted`, once all are True or `timeout` seconds passed."""
    deadline = time.monotonic() + timeout
    found = wait_conditions(kuadrant, wanted, condition_type)
    while refused(found) and time.monotonic() < deadline:
        time.sleep(1)
        found = wait_conditions(kuadrant, wanted, condition_type)
    return found


def authconfigs_loaded(plane):
    """What Authorino writes on an AuthConfig it has loaded (the real Authorino is not run here)."""
    for config in plane.list("authconfigs.authorino.kuadrant.io", KUADRANT_NS):
        hosts = config["spec"].get("hosts", [])
        plane.kubectl("patch", "authconfigs.authorino.kuadrant.io", config["metadata"]["name"], "-n", KUADRANT_NS,
                      "--subresource=status", "--type=merge", "-p", json.dumps({"status": {
                          "conditions": [{"type": "Available", "status": "True", "reason": "HostsLinked"},
                                         {"type": "Ready", "status": "True", "reason": "Reconciled"}],
                          "summary": {"ready": True, "hostsReady": hosts, "numHostsReady": f"{len(hosts)}/{len(hosts)}",
                                      "numIdentitySources": len(config["spec"].get("authentication", {})),
                                      "numMetadataSources": len(config["spec"].get("metadata", {})),
                                      "numAuthorizationPolicies": len(config["spec"].get("authorization", {})),
                                      "numResponseItems": 0, "festivalWristbandEnabled": False}}}))


@pytest.fixture(scope="module")
def demo(kuadrant_plane):
    """The demo's CRs, site.yml run with the demo's variables, the routes accepted by the gateway."""
    plane = kuadrant_plane.plane
    sample = yaml.safe_load((REPO / "tests/fixtures/maas-sample.yaml").read_text())["items"]
    plane.apply(*sample, manager="demo-fixture")
    run = plane.playbook(REPO / "playbooks/site.yml", extra_vars=yaml.safe_load(
        (REPO / "hack/demo/vars.yml").read_text()))
    assert run.ok, run.explain()
    kuadrant_plane.settle_platform()
    return kuadrant_plane


def test_the_operator_accepts_every_policy_the_demo_generates(demo):
    wanted = ROUTE_POLICIES | TIER_POLICIES | GATEWAY_DEFAULTS
    assert set(policies(demo.plane)) == wanted
    assert refused(settled(demo, wanted, "Accepted")) == {}


def test_route_auth_policies_wait_for_their_authconfigs_then_are_enforced(demo):
    auth = {k for k in ROUTE_POLICIES if k[0] == "AuthPolicy"}
    waiting = wait_conditions(demo, auth, "Enforced")
    configs = {c["metadata"]["name"] for c in demo.plane.list("authconfigs.authorino.kuadrant.io", KUADRANT_NS)}
    for policy, cond in waiting.items():
        assert cond["status"] == "False" and "waiting for the following components to sync" in cond["message"], cond
        assert [name for name in configs if name in cond["message"]], (policy, cond["message"])

    authconfigs_loaded(demo.plane)
    assert refused(settled(demo, auth, "Enforced")) == {}


def test_route_and_tier_rate_limits_are_enforced(demo):
    limits = {k for k in ROUTE_POLICIES | TIER_POLICIES if k[0] != "AuthPolicy"}
    assert refused(settled(demo, limits, "Enforced")) == {}


def test_gateway_defaults_give_way_to_the_route_policies(demo):
    found = wait_conditions(demo, GATEWAY_DEFAULTS, "Enforced")
    assert {k: c["reason"] for k, c in found.items()} == {k: "Overridden" for k in GATEWAY_DEFAULTS}
    auth_default = found[("AuthPolicy", "openshift-ingress/gateway-default-auth")]["message"]
    for kind, name in sorted(ROUTE_POLICIES):
        if kind == "AuthPolicy":
            assert name in auth_default


def test_the_operator_writes_our_auth_rules_into_authconfigs(demo):
    configs = [c["spec"] for c in demo.plane.list("authconfigs.authorino.kuadrant.io", KUADRANT_NS)]
    for (kind, name), policy in policies(demo.plane).items():
        if kind != "AuthPolicy" or (kind, name) in GATEWAY_DEFAULTS:
            continue
        rules = policy["spec"]["rules"]
        carrying = [c for c in configs if set(c.get("authentication", {})) == set(rules["authentication"])
                    and set(c.get("authorization", {})) == set(rules.get("authorization", {}))]
        assert carrying, f"no AuthConfig carries the rules of {name}"
        for config in carrying:
            for rule, spec in rules["authentication"].items():
                assert all(config["authentication"][rule].get(k) == v for k, v in spec.items()
                           if k not in ("credentials", "metrics", "priority", "cache")), (name, rule)


def test_the_operator_turns_our_token_limits_into_limitador_limits(demo):
    limits = demo.plane.get("limitadors.limitador.kuadrant.io", "limitador", KUADRANT_NS)["spec"].get("limits", [])
    served = {(lim["name"], lim["max_value"], lim["seconds"]) for lim in limits}
    for (kind, name), policy in policies(demo.plane).items():
        if kind != "TokenRateLimitPolicy" or (kind, name) in GATEWAY_DEFAULTS:
            continue
        for limit_name, limit in policy["spec"].get("limits", {}).items():
            for rate in limit["rates"]:
                assert (limit_name, rate["limit"], seconds(rate["window"])) in served, (name, limit_name, rate)


def seconds(window):
    return int(window[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[window[-1]]


def test_the_operator_generates_its_data_plane_objects(demo):
    plane = demo.plane
    filters = {f["metadata"]["name"] for f in plane.list("envoyfilters", GATEWAY_NS)}
    created = {
        "AuthConfig": len(plane.list("authconfigs.authorino.kuadrant.io", KUADRANT_NS)),
        "EnvoyFilter": sorted(filters),
        "WasmPlugin": [w["metadata"]["name"] for w in plane.list("wasmplugins.extensions.istio.io")],
        "Limitador limits": len(plane.get("limitadors.limitador.kuadrant.io", "limitador", KUADRANT_NS)["spec"]["limits"]),
    }
    print(f"\nthe Kuadrant operator created: {json.dumps(created)}", file=sys.stderr)
    assert filters == KUADRANT_FILTERS
    assert created["AuthConfig"] >= len([k for k in ROUTE_POLICIES if k[0] == "AuthPolicy"])


# ---------------------------------------------------------------------------------------------
# mTLS: the operator's own EnvoyFilters, patched (envoyfilter mode) or produced secured (native)

OPERATOR_USER = "maas-local-admin"  # the operator runs with the plane's admin kubeconfig
OUR_FILTERS = {"kuadrant-auth-maas-default-gateway", "kuadrant-ratelimiting-maas-default-gateway"}


def reconcile(plane, **extra_vars):
    extra_vars.setdefault("maas_reconcile_policies", False)
    run = plane.playbook(RECONCILE, extra_vars=extra_vars)
    assert run.ok, run.explain()
    return run


def drifted(run):
    return set(run.output["global_custom_stats"]["drifted"])


def mode_used(run):
    return run.task_results()["modelserving.maas.kuadrant_mtls : Record what this run changed"][
        "ansible_facts"]["kuadrant_mtls_mode_used"]


def mesh_sockets(plane):
    """{filter: [transport_socket or None of each auth/rate-limit cluster patch]} of the operator's filters."""
    return {f["metadata"]["name"]: [p["patch"]["value"].get("transport_socket")
                                    for p in f["spec"]["configPatches"]
                                    if p["patch"].get("value", {}).get("name") in MESH_CLUSTERS]
            for f in plane.list("envoyfilters", GATEWAY_NS) if f["metadata"]["name"] in OUR_FILTERS}


def all_secured(plane):
    sockets = mesh_sockets(plane)
    return set(sockets) == OUR_FILTERS and all(s and all(s) for s in sockets.values())


def none_secured(plane):
    sockets = mesh_sockets(plane)
    return set(sockets) == OUR_FILTERS and not any(any(s) for s in sockets.values())


def native_disabled(kuadrant):
    reconcile(kuadrant.plane, kuadrant_mtls_mode="native", kuadrant_mtls_state="disabled")
    kuadrant.operator.wait_for(lambda: none_secured(kuadrant.plane), 60, "the operator's filters without mTLS")


def envoyfilter_writes(plane, mark):
    """[(time, who, verb, filter)] of every write to our filters since `mark`, in order."""
    events = plane.requests_since(mark, user=OPERATOR_USER) + plane.requests_since(mark)
    return sorted((e["stageTimestamp"], e["user"]["username"], e["verb"], e["objectRef"]["name"]) for e in events
                  if e.get("objectRef", {}).get("resource") == "envoyfilters" and e["verb"] in ("patch", "update")
                  and (e.get("objectRef") or {}).get("name") in OUR_FILTERS and e["responseStatus"]["code"] == 200)


def test_auto_mode_picks_native_and_the_operator_secures_its_own_filters(demo):
    plane = demo.plane
    native_disabled(demo)
    run = reconcile(plane)
    assert mode_used(run) == "native"
    assert drifted(run) == {f"Kuadrant {KUADRANT_NS}/kuadrant"}
    demo.operator.wait_for(lambda: all_secured(plane), 60, "the operator's transport sockets")
    peer = plane.get("peerauthentication", "default", KUADRANT_NS)
    assert peer["spec"]["mtls"] == {"mode": "STRICT"}
    assert peer["metadata"]["labels"]["kuadrant.io/managed"] == "true"
    for deployment in ("authorino", "limitador-limitador"):
        labels = plane.get("deployment", deployment, KUADRANT_NS)["spec"]["template"]["metadata"]["labels"]
        assert labels["sidecar.istio.io/inject"] == "true", deployment

    again = reconcile(plane)
    assert (again.changed, drifted(again)) == (0, set())
    assert all_secured(plane)


def test_in_native_mode_a_policy_added_or_removed_keeps_the_operators_sockets(demo):
    plane = demo.plane
    reconcile(plane)
    demo.operator.wait_for(lambda: all_secured(plane), 60, "the operator's transport sockets")
    wasm = "kuadrant-maas-default-gateway"
    before = plane.get("envoyfilter", wasm, GATEWAY_NS)["metadata"]["generation"]
    extra = {"apiVersion": "kuadrant.io/v1", "kind": "RateLimitPolicy",
             "metadata": {"name": "extra-route-limit", "namespace": "llm"},
             "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                    "name": "maas-gpt-4o-mini"},
                      "limits": {"burst": {"rates": [{"limit": 5, "window": "10s"}]}}}}
    plane.apply(extra, manager="someone-else")
    demo.operator.wait_for(lambda: "limit.burst__" in json.dumps(plane.get("envoyfilter", wasm, GATEWAY_NS)),
                           60, "the operator rewriting its Wasm EnvoyFilter for the added policy")
    assert plane.get("envoyfilter", wasm, GATEWAY_NS)["metadata"]["generation"] > before
    plane.kubectl("delete", "ratelimitpolicy", "extra-route-limit", "-n", "llm")
    demo.operator.wait_for(lambda: "limit.burst__" not in json.dumps(plane.get("envoyfilter", wasm, GATEWAY_NS)),
                           60, "the operator rewriting it for the removed policy")
    assert all_secured(plane)
    again = reconcile(plane)
    assert (again.changed, drifted(again)) == (0, set())


def test_envoyfilter_mode_cannot_converge_the_operator_reverts_every_patch(demo):
    plane = demo.plane
    native_disabled(demo)
    timeline = []
    for attempt in (1, 2):
        mark = plane.audit_mark()
        run = reconcile(plane, kuadrant_mtls_mode="envoyfilter")
        assert {f"EnvoyFilter {GATEWAY_NS}/{name}" for name in OUR_FILTERS} <= drifted(run), attempt
        demo.operator.wait_for(lambda: none_secured(plane), 30, "the operator reverting our patch")
        writes = envoyfilter_writes(plane, mark)
        timeline += [(attempt, *w) for w in writes]
        for name in OUR_FILTERS:
            ours = [w for w in writes if w[3] == name]
            # our patch, then the operator's update of the same filter and nobody else's write between
            assert [write[1:3] for write in ours[:2]] == [("maas-automation", "patch"),
                                                          (OPERATOR_USER, "update")], ours
    print("\nEnvoyFilter writes (attempt, time, user, verb, filter):\n" +
          "\n".join(" ".join(map(str, t)) for t in timeline), file=sys.stderr)
    reconcile(plane)
    demo.operator.wait_for(lambda: all_secured(plane), 60, "native mTLS back")
