"""Tenancy and blast radius, on the real API server: what a hostile or careless namespace user can
and cannot do to everyone else through maas_policy_sync.

Each test is one finding of a hostile trial run: it failed on the collection before the fix."""

import json

from plane import REPO, writes
from test_maas_policy_sync import MAAS, TENANT_NS, condition, world  # noqa: F401 pylint: disable=unused-import


def tenant(plane, namespace, gateway_ns="openshift-ingress", gateway="maas-default-gateway"):
    plane.apply({"apiVersion": MAAS, "kind": "Tenant", "metadata": {"name": "default-tenant", "namespace": namespace},
                 "spec": {"gatewayRef": {"namespace": gateway_ns, "name": gateway}}})


def gateway(plane, namespace, name):
    plane.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                 "metadata": {"name": name, "namespace": namespace},
                 "spec": {"gatewayClassName": "openshift-default",
                          "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}})


def gateway_policies(plane, namespace):
    return sorted(f"{o['kind']} {o['metadata']['name']}"
                  for kind in ("authpolicies.kuadrant.io", "tokenratelimitpolicies.kuadrant.io")
                  for o in plane.list(kind, namespace, selector="app.kubernetes.io/managed-by=maas-controller"))


def failed_sync(world, **args):
    result = world.plane.module("modelserving.maas.maas_policy_sync", **args)
    assert result.get("failed"), "the run should have failed: %s" % json.dumps(result)[:2000]
    return result


# -- 1. one tenant, by rule --------------------------------------------------------------------


def test_a_second_tenant_elsewhere_cannot_move_the_gateway(world):
    plane = world.plane
    intruder = plane.create_namespace("aaa")  # sorts before models-as-a-service
    gateway(plane, intruder, "stolen")
    tenant(plane, intruder, gateway_ns=intruder, gateway="stolen")
    world.model("llama")
    world.access("team-a-access", ["llama"])
    try:
        world.sync()
        assert gateway_policies(plane, "openshift-ingress") == [
            "AuthPolicy gateway-default-auth", "TokenRateLimitPolicy gateway-default-deny"]
        assert gateway_policies(plane, intruder) == []
        ignored = world.status("tenant", "default-tenant", intruder)
        assert ignored["phase"] == "Failed"
        assert f"{TENANT_NS}/default-tenant" in condition(ignored, "Ready")["message"]
        assert world.status("tenant", "default-tenant")["phase"] == "Active"
    finally:
        plane.delete_namespace(intruder)


def test_a_tenant_naming_a_missing_gateway_fails_and_keeps_the_real_defaults(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.sync()
    before = world.plane.get("authpolicies.kuadrant.io", "gateway-default-auth", "openshift-ingress")

    tenant(world.plane, TENANT_NS, gateway="does-not-exist")
    result = failed_sync(world)
    assert "Gateway openshift-ingress/does-not-exist" in result["msg"]
    after = world.plane.get("authpolicies.kuadrant.io", "gateway-default-auth", "openshift-ingress")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert world.plane.get("tokenratelimitpolicies.kuadrant.io", "gateway-default-deny", "openshift-ingress")
    assert world.auth("llama") is not None


# -- 3. namespaces confined --------------------------------------------------------------------


def test_policies_written_outside_the_allowed_namespaces_grant_nothing(world):
    plane = world.plane
    rogue = plane.create_namespace("rogue")
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"])
    try:
        plane.apply(
            {"apiVersion": MAAS, "kind": "MaaSAuthPolicy", "metadata": {"name": "everyone", "namespace": rogue},
             "spec": {"modelRefs": [{"name": "llama", "namespace": world.ns}],
                      "subjects": {"groups": [{"name": "system:authenticated"}]}}},
            {"apiVersion": MAAS, "kind": "MaaSSubscription", "metadata": {"name": "unlimited", "namespace": rogue},
             "spec": {"owner": {"groups": [{"name": "system:authenticated"}]}, "priority": 1000000,
                      "modelRefs": [{"name": "llama", "namespace": world.ns,
                                     "tokenRateLimits": [{"limit": 1000000000, "window": "1m"}]}]}})
        result = world.sync()
        assert "system:authenticated" not in json.dumps(world.auth("llama")["spec"])
        assert "unlimited" not in json.dumps(world.trlp("llama")["spec"])
        assert world.trlp("llama")["metadata"]["annotations"]["maas.opendatahub.io/producers"] == f"{TENANT_NS}/basic"
        for kind, name in (("maasauthpolicy", "everyone"), ("maassubscription", "unlimited")):
            status = world.status(kind, name, rogue)
            assert status["phase"] == "Failed"
            assert "namespace" in condition(status, "Ready")["message"] and "not allowed" in condition(status, "Ready")["message"]
        assert {(i["kind"], i["namespace"]) for i in result["invalid"]} == {
            ("MaaSAuthPolicy", rogue), ("MaaSSubscription", rogue)}
    finally:
        plane.delete_namespace(rogue)


# -- 4. result keys Ansible does not reserve ---------------------------------------------------


def test_a_pending_model_does_not_turn_the_task_into_skipped(world, tmp_path):
    world.model("llama")
    world.access("team-a-access", ["llama", "waiting"])
    world.plane.apply({"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": "waiting", "namespace": world.ns},
                       "spec": {"modelRef": {"kind": "LLMInferenceService", "name": "waiting"}}})
    playbook = tmp_path / "sync.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                        "    - name: sync\n      modelserving.maas.maas_policy_sync: {}\n")
    run = world.plane.playbook(playbook, diff=True)
    assert run.ok, run.explain()
    result = run.task_results()["sync"]
    assert "skipped" not in result
    assert [m["name"] for m in result["skipped_models"]] == ["waiting"]
    assert result["changed"] is True and run.stats.get("skipped", 0) == 0 and run.changed == 1
    assert result["diff"], "--diff must show the policies created"


# -- 5. one refused object blocks only its own model -------------------------------------------


def test_a_refused_object_leaves_every_other_model_converging(world):
    world.model("llama")
    world.model("mistral")
    world.access("team-a-access", ["llama", "mistral"])
    world.subscription("basic", ["llama", "mistral"], limit=1000)
    world.sync()
    key = next(iter(world.trlp("llama")["spec"]["limits"]))
    # A GitOps applier takes a field of llama's TRLP: applying ours conflicts.
    world.plane.apply({"apiVersion": "kuadrant.io/v1alpha1", "kind": "TokenRateLimitPolicy",
                       "metadata": {"name": "maas-trlp-llama", "namespace": world.ns},
                       "spec": {"limits": {key: {"rates": [{"limit": 7, "window": "1m"}]}}}}, manager="gitops")
    world.plane.kubectl("delete", "tokenratelimitpolicies.kuadrant.io", "maas-trlp-mistral", "-n", world.ns)
    world.subscription("basic", ["llama", "mistral"], limit=2000)

    result = failed_sync(world)
    assert "TokenRateLimitPolicy %s/maas-trlp-llama" % world.ns in result["msg"] and "gitops" in result["msg"]
    assert world.trlp("mistral")["spec"]["limits"], "mistral's TRLP must be re-created despite llama's conflict"
    assert f"TokenRateLimitPolicy {world.ns}/maas-trlp-mistral" in result["created"]
    assert result["summary"]["models_converged"] == 1 and result["summary"]["models_failed"] == 1
    llama = world.status("maasmodelref", "llama", world.ns)
    assert llama["phase"] == "Failed" and "gitops" in condition(llama, "Ready")["message"]
    assert world.status("maasmodelref", "mistral", world.ns)["phase"] == "Ready"


def test_a_prune_dry_run_deletes_nothing(world):
    # Deletions are dry-run with the applies, before any write; the API server reads DeleteOptions
    # from the body, so a dryRun only in the query would delete for real.
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"])
    world.sync()
    world.plane.kubectl("delete", "maassubscription", "basic", "-n", TENANT_NS)
    mark = world.plane.audit_mark()

    result = world.plane.module("modelserving.maas.maas_policy_sync", check=True)
    assert result["deleted"] == [f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama"]
    events = writes(world.plane.audited(mark, ["delete tokenratelimitpolicies"]))
    assert events and all("dryRun=All" in e["requestURI"] for e in events)
    assert world.trlp("llama") is not None


# -- 6. one source of truth for site-wide settings ---------------------------------------------


def test_a_run_without_tier_configuration_leaves_the_tier_policies_alone(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    tiers = [{"name": "free", "groups": ["system:authenticated"], "requests_per_minute": 10}]
    world.sync(tiers=tiers)
    assert world.plane.get("ratelimitpolicies.kuadrant.io", "maas-tier-usage", "openshift-ingress")

    unconfigured = world.sync()
    assert unconfigured["deleted"] == []
    assert world.plane.get("ratelimitpolicies.kuadrant.io", "maas-tier-usage", "openshift-ingress")

    removed = world.sync(tiers=[])
    assert removed["deleted"] == ["RateLimitPolicy openshift-ingress/maas-tier-usage"]


def test_the_scheduled_reconcile_without_tiers_keeps_what_site_configured(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    playbook = REPO / "playbooks" / "reconcile.yml"
    tiers = [{"name": "free", "groups": ["system:authenticated"], "requests_per_minute": 10}]
    site = world.plane.playbook(playbook, extra_vars={"maas_reconcile_mtls": False, "maas_tiers": tiers})
    assert site.ok, site.explain()
    assert world.plane.get("ratelimitpolicies.kuadrant.io", "maas-tier-usage", "openshift-ingress")

    scheduled = world.plane.playbook(playbook, extra_vars={"maas_reconcile_mtls": False})
    assert scheduled.ok, scheduled.explain()
    assert scheduled.output["global_custom_stats"]["policies_pruned"] == 0
    assert scheduled.changed == 0
    assert world.plane.get("ratelimitpolicies.kuadrant.io", "maas-tier-usage", "openshift-ingress")


def test_a_failed_reconcile_still_publishes_what_failed(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    external = {"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": "gpt", "namespace": world.ns},
                "spec": {"modelRef": {"kind": "ExternalModel", "name": "gpt"},
                         "endpointOverride": "https://api.example.com/v1"}}
    world.plane.apply(external)
    world.sync()
    tenant(world.plane, TENANT_NS, gateway="does-not-exist")

    run = world.plane.playbook(REPO / "playbooks" / "reconcile.yml", extra_vars={"maas_reconcile_mtls": False})
    assert not run.ok
    assert run.output["global_custom_stats"]["maas_failed_models"] == 1
