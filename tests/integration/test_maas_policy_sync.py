"""modelserving.maas.maas_policy_sync from a platform team's point of view, on the real API server.

The module reads MaaS CRs cluster-wide, so every test starts from a cluster without MaaS CRs or
generated policies (tests in this file run one after another)."""

import json

import pytest
import yaml

from plane import REPO, writes

MAAS = "maas.opendatahub.io/v1alpha1"
TENANT_NS = "models-as-a-service"
GENERATED = "authpolicies.kuadrant.io,tokenratelimitpolicies.kuadrant.io,ratelimitpolicies.kuadrant.io"


def platform_objects():
    return [d for d in yaml.safe_load_all((REPO / "tests/fixtures/platform.yaml").read_text()) if d]


@pytest.fixture
def world(plane, maas_crds):
    """A clean cluster with the platform stand-ins, the Tenant and a model namespace."""
    plane.kubectl("delete", "maassubscriptions,maasauthpolicies,maasmodelrefs,tenants", "-A", "--all", "--wait=true")
    plane.kubectl("delete", GENERATED, "-A", "-l", "app.kubernetes.io/managed-by=maas-controller", "--wait=true")
    plane.apply(*platform_objects())
    plane.kubectl("create", "namespace", TENANT_NS, check=False)
    plane.apply({"apiVersion": MAAS, "kind": "Tenant", "metadata": {"name": "default-tenant", "namespace": TENANT_NS},
                 "spec": {"gatewayRef": {"namespace": "openshift-ingress", "name": "maas-default-gateway"}}})
    model_ns = plane.create_namespace("llm")
    yield World(plane, model_ns)
    plane.kubectl("delete", "maassubscriptions,maasauthpolicies,maasmodelrefs", "-A", "--all", "--wait=false")
    plane.delete_namespace(model_ns)


class World:
    def __init__(self, plane, model_ns):
        self.plane = plane
        self.ns = model_ns

    def model(self, name, attached=True):
        """A KServe-style model: its HTTPRoute (as KServe labels it) and a MaaSModelRef."""
        gateway = ("openshift-ingress", "maas-default-gateway") if attached else ("openshift-ingress", "other")
        self.plane.apply(
            {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": f"{name}-kserve-route", "namespace": self.ns, "labels": {
                 "app.kubernetes.io/name": name, "app.kubernetes.io/component": "llminferenceservice-router",
                 "app.kubernetes.io/part-of": "llminferenceservice"}},
             "spec": {"parentRefs": [{"name": gateway[1], "namespace": gateway[0]}],
                      "hostnames": ["models.example.com"],
                      "rules": [{"backendRefs": [{"name": f"{name}-svc", "port": 8000}]}]}},
            {"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": name, "namespace": self.ns},
             "spec": {"modelRef": {"kind": "LLMInferenceService", "name": name}}})

    def access(self, name, models, groups=("team-a",), users=()):
        self.plane.apply({"apiVersion": MAAS, "kind": "MaaSAuthPolicy", "metadata": {"name": name, "namespace": TENANT_NS},
                          "spec": {"modelRefs": [{"name": m, "namespace": self.ns} for m in models],
                                   "subjects": {"groups": [{"name": g} for g in groups], "users": list(users)}}})

    def subscription(self, name, models, groups=("team-a",), limit=1000, priority=0, window="1m"):
        self.plane.apply({"apiVersion": MAAS, "kind": "MaaSSubscription", "metadata": {"name": name, "namespace": TENANT_NS},
                          "spec": {"owner": {"groups": [{"name": g} for g in groups]}, "priority": priority,
                                   "modelRefs": [{"name": m, "namespace": self.ns,
                                                  "tokenRateLimits": [{"limit": limit, "window": window}]}
                                                 for m in models]}})

    def sync(self, **args):
        result = self.plane.module("modelserving.maas.maas_policy_sync", **args)
        assert not result.get("failed"), result.get("msg")
        return result

    def trlp(self, model):
        return self.plane.get("tokenratelimitpolicies.kuadrant.io", f"maas-trlp-{model}", self.ns)

    def auth(self, model):
        return self.plane.get("authpolicies.kuadrant.io", f"maas-auth-{model}", self.ns)

    def status(self, kind, name, namespace=TENANT_NS):
        return (self.plane.get(kind, name, namespace) or {}).get("status") or {}


def condition(status, ctype):
    return next((c for c in status.get("conditions", []) if c["type"] == ctype), {})


def test_crs_become_policies_and_statuses(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("team-a-basic", ["llama"])
    result = world.sync()

    assert result["changed"] is True
    auth, trlp = world.auth("llama"), world.trlp("llama")
    assert auth["spec"]["targetRef"] == {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                         "name": "llama-kserve-route"}
    assert f"{TENANT_NS}/team-a-basic@{world.ns}/llama" in trlp["spec"]["limits"]
    assert trlp["metadata"]["annotations"]["maas.opendatahub.io/producers"] == f"{TENANT_NS}/team-a-basic"
    assert world.plane.get("authpolicies.kuadrant.io", "gateway-default-auth", "openshift-ingress") is not None
    assert world.status("maassubscription", "team-a-basic")["phase"] == "Active"
    model = world.status("maasmodelref", "llama", world.ns)
    assert model["phase"] == "Ready" and model["httpRouteName"] == "llama-kserve-route"
    assert condition(world.status("maasauthpolicy", "team-a-access"), "Ready")["status"] == "True"


def test_second_run_changes_nothing_and_only_reads(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("team-a-basic", ["llama"])
    world.sync()

    mark = world.plane.audit_mark()
    again = world.sync()
    assert again["changed"] is False
    assert again["created"] == again["updated"] == again["deleted"] == again["status_updated"] == []
    events = world.plane.audited(mark, ["list maasmodelrefs", "list maassubscriptions", "list httproutes"])
    assert writes(events) == []
    assert {e["verb"] for e in events} <= {"get", "list"}


def test_deleting_a_subscription_rebuilds_the_trlp_and_the_last_one_removes_it(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"], limit=100)
    world.subscription("premium", ["llama"], groups=("team-b",), limit=5000, priority=10)
    world.sync()
    assert len([k for k in world.trlp("llama")["spec"]["limits"] if ":" not in k]) == 2

    world.plane.kubectl("delete", "maassubscription", "premium", "-n", TENANT_NS)
    rebuilt = world.sync()
    # The AuthPolicy lists the model's subscriptions (it chooses one at auth time): it drops premium too.
    assert rebuilt["updated"] == [f"AuthPolicy {world.ns}/maas-auth-llama", f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama"]
    assert "premium" not in json.dumps(world.auth("llama")["spec"])
    limits = world.trlp("llama")["spec"]["limits"]
    assert f"{TENANT_NS}/basic@{world.ns}/llama" in limits and f"{TENANT_NS}/premium@{world.ns}/llama" not in limits
    assert world.trlp("llama")["metadata"]["annotations"]["maas.opendatahub.io/producers"] == f"{TENANT_NS}/basic"

    world.plane.kubectl("delete", "maassubscription", "basic", "-n", TENANT_NS)
    gone = world.sync()
    assert gone["deleted"] == [f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama"]
    assert gone["updated"] == [f"AuthPolicy {world.ns}/maas-auth-llama"]
    assert world.trlp("llama") is None
    assert world.auth("llama") is not None


def test_deleting_a_model_ref_removes_its_policies(world):
    world.model("llama")
    world.model("mistral")
    world.access("team-a-access", ["llama", "mistral"])
    world.subscription("basic", ["llama", "mistral"])
    world.sync()
    world.plane.kubectl("delete", "maasmodelref", "mistral", "-n", world.ns)

    result = world.sync()
    assert sorted(result["deleted"]) == [f"AuthPolicy {world.ns}/maas-auth-mistral",
                                         f"TokenRateLimitPolicy {world.ns}/maas-trlp-mistral"]
    assert world.auth("llama") is not None and world.auth("mistral") is None
    subscription = world.status("maassubscription", "basic")
    assert subscription["phase"] == "Degraded"
    assert f"{world.ns}/mistral" in condition(subscription, "Ready")["message"]


def test_a_hand_edited_policy_is_restored(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"], limit=1000)
    world.sync()
    key = f"{TENANT_NS}/basic@{world.ns}/llama"
    world.plane.kubectl("patch", "tokenratelimitpolicies.kuadrant.io", "maas-trlp-llama", "-n", world.ns,
                        "--type=json", "-p", json.dumps([{"op": "replace", "value": 999999,
                                                         "path": f"/spec/limits/{key.replace('/', '~1')}/rates/0/limit"}]))

    result = world.sync()
    assert result["drifted"] == [f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama"]
    assert world.trlp("llama")["spec"]["limits"][key]["rates"][0]["limit"] == 1000


def test_a_policy_marked_unmanaged_is_left_alone(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"], limit=1000)
    world.sync()
    world.plane.kubectl("annotate", "tokenratelimitpolicies.kuadrant.io", "maas-trlp-llama", "-n", world.ns,
                        "opendatahub.io/managed=false")

    world.subscription("basic", ["llama"], limit=2000)
    changed = world.sync()
    assert f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama" in changed["left_alone"]
    assert world.trlp("llama")["spec"]["limits"][f"{TENANT_NS}/basic@{world.ns}/llama"]["rates"][0]["limit"] == 1000

    world.plane.kubectl("delete", "maassubscription", "basic", "-n", TENANT_NS)
    world.sync()
    assert world.trlp("llama") is not None


def test_an_object_with_a_generated_name_but_not_ours_is_left_alone(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.plane.apply({"apiVersion": "kuadrant.io/v1", "kind": "AuthPolicy",
                       "metadata": {"name": "maas-auth-llama", "namespace": world.ns},
                       "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                              "name": "llama-kserve-route"},
                                "rules": {"authentication": {"anyone": {"anonymous": {}}}}}}, manager="someone")
    result = world.sync()
    assert f"AuthPolicy {world.ns}/maas-auth-llama" in result["left_alone"]
    assert "anyone" in world.auth("llama")["spec"]["rules"]["authentication"]


def test_someone_elses_auth_policy_on_a_model_route_is_reported_not_touched(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.sync()
    world.plane.apply({"apiVersion": "kuadrant.io/v1", "kind": "AuthPolicy",
                       "metadata": {"name": "legacy-auth", "namespace": world.ns},
                       "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                              "name": "llama-kserve-route"},
                                "rules": {"authentication": {"anyone": {"anonymous": {}}}}}}, manager="someone")
    before = world.plane.get("authpolicies.kuadrant.io", "legacy-auth", world.ns)

    result = world.sync()
    assert result["conflicts"] == {f"{world.ns}/llama": [f"{world.ns}/legacy-auth"]}
    conflict = condition(world.status("maasauthpolicy", "team-a-access"), "ConflictingAuthPolicy")
    assert conflict["status"] == "True" and "legacy-auth" in conflict["message"]
    after = world.plane.get("authpolicies.kuadrant.io", "legacy-auth", world.ns)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_check_mode_writes_nothing(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"])
    mark = world.plane.audit_mark()
    result = world.plane.module("modelserving.maas.maas_policy_sync", check=True, diff=True)
    assert result["changed"] is True
    assert f"AuthPolicy {world.ns}/maas-auth-llama" in result["created"]
    assert all("dryRun=All" in e["requestURI"]
               for e in writes(world.plane.audited(mark, ["list maasmodelrefs", "patch authpolicies"])))
    assert world.auth("llama") is None
    assert world.status("maassubscription", "basic") == {}


def test_an_invalid_cr_affects_only_its_own_model(world):
    world.model("llama")
    world.model("mistral")
    world.access("team-a-access", ["llama", "mistral"])
    world.subscription("basic", ["llama"], limit=1000)
    world.subscription("broken", ["mistral"], groups=("team,with,commas",))
    result = world.sync()

    assert [(i["kind"], i["name"]) for i in result["invalid"]] == [("MaaSSubscription", "broken")]
    assert "spec.owner.groups[0].name" in result["invalid"][0]["reason"]
    assert world.trlp("llama") is not None
    # The invalid subscription is dropped alone: mistral's access policy still applies.
    assert world.auth("mistral") is not None and world.trlp("mistral") is None
    broken = world.status("maassubscription", "broken")
    assert broken["phase"] == "Failed" and "spec.owner.groups[0].name" in condition(broken, "Ready")["message"]


def test_policies_of_a_model_with_an_invalid_cr_are_kept_until_it_is_fixed(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"])
    world.sync()
    world.subscription("basic", ["llama"], groups=("a,b",))

    result = world.sync()
    assert result["deleted"] == []
    assert world.trlp("llama") is not None and world.auth("llama") is not None


def test_a_route_on_another_gateway_fails_the_model(world):
    world.model("llama", attached=False)
    world.access("team-a-access", ["llama"])
    world.sync()
    model = world.status("maasmodelref", "llama", world.ns)
    assert model["phase"] == "Failed"
    assert "maas-default-gateway" in condition(model, "Ready")["message"]
    assert world.auth("llama") is None


def test_scheduled_reconcile_playbook_publishes_what_it_changed(world):
    world.model("llama")
    world.access("team-a-access", ["llama"])
    world.subscription("basic", ["llama"], limit=1000)
    playbook = REPO / "playbooks" / "reconcile.yml"
    first = world.plane.playbook(playbook, extra_vars={"maas_reconcile_mtls": False})
    assert first.ok, first.explain()
    stats = first.output["global_custom_stats"]
    assert stats["policies_created"] >= 2 and stats["drift_count"] == 0

    again = world.plane.playbook(playbook, extra_vars={"maas_reconcile_mtls": False})
    assert again.ok, again.explain()
    assert again.changed == 0
    assert again.output["global_custom_stats"]["policies_created"] == 0

    key = f"{TENANT_NS}/basic@{world.ns}/llama"
    world.plane.kubectl("patch", "tokenratelimitpolicies.kuadrant.io", "maas-trlp-llama", "-n", world.ns,
                        "--type=json", "-p", json.dumps([{"op": "replace", "value": 1,
                                                         "path": f"/spec/limits/{key.replace('/', '~1')}/rates/0/limit"}]))
    drifted = world.plane.playbook(playbook, extra_vars={"maas_reconcile_mtls": False})
    assert drifted.ok, drifted.explain()
    assert drifted.output["global_custom_stats"]["drift_count"] == 1
    assert drifted.output["global_custom_stats"]["drifted"] == [f"TokenRateLimitPolicy {world.ns}/maas-trlp-llama"]
