"""maas_policy_sync through its run(), against the in-memory cluster double."""

import json

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure
from ansible_collections.modelserving.maas.plugins.modules import maas_policy_sync
from ansible_collections.modelserving.maas.tests.unit.utils.cluster_double import (
    BUILTIN_KINDS,
    ClusterDouble,
    context,
)
from ansible_collections.modelserving.maas.tests.unit.utils.module_args import params_for

MAAS = "maas.opendatahub.io/v1alpha1"
TENANT_NS = "models-as-a-service"
GENERATED = {("kuadrant.io/v1", "AuthPolicy"), ("kuadrant.io/v1alpha1", "TokenRateLimitPolicy"),
             ("kuadrant.io/v1", "RateLimitPolicy"), ("gateway.networking.k8s.io/v1", "HTTPRoute"),
             ("networking.istio.io/v1", "DestinationRule"), ("gateway.networking.k8s.io/v1", "BackendTLSPolicy")}
GATEWAY_API = "gateway.networking.k8s.io/v1"


def gateway(namespace="openshift-ingress", name="maas-default-gateway"):
    return {"apiVersion": GATEWAY_API, "kind": "Gateway", "metadata": {"name": name, "namespace": namespace},
            "spec": {"gatewayClassName": "openshift-default", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}}


def tenant(namespace=TENANT_NS, gateway_ns="openshift-ingress", gateway_name="maas-default-gateway"):
    return {"apiVersion": MAAS, "kind": "Tenant", "metadata": {"name": "default-tenant", "namespace": namespace},
            "spec": {"gatewayRef": {"namespace": gateway_ns, "name": gateway_name}}}


def installation():
    """The Gateway, a Tenant, one KServe model with its route, and one MaaSAuthPolicy and MaaSSubscription for it."""
    return [
        gateway(),
        tenant(),
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
         "metadata": {"name": "llama-kserve-route", "namespace": "llm", "labels": {
             "app.kubernetes.io/name": "llama", "app.kubernetes.io/component": "llminferenceservice-router",
             "app.kubernetes.io/part-of": "llminferenceservice"}},
         "spec": {"parentRefs": [{"name": "maas-default-gateway", "namespace": "openshift-ingress"}],
                  "hostnames": ["models.example.com"]}},
        {"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": "llama", "namespace": "llm"},
         "spec": {"modelRef": {"kind": "LLMInferenceService", "name": "llama"}}},
        {"apiVersion": MAAS, "kind": "MaaSAuthPolicy", "metadata": {"name": "team-a-access", "namespace": TENANT_NS},
         "spec": {"modelRefs": [{"name": "llama", "namespace": "llm"}], "subjects": {"groups": [{"name": "team-a"}]}}},
        {"apiVersion": MAAS, "kind": "MaaSSubscription", "metadata": {"name": "basic", "namespace": TENANT_NS},
         "spec": {"owner": {"groups": [{"name": "team-a"}]},
                  "modelRefs": [{"name": "llama", "namespace": "llm",
                                 "tokenRateLimits": [{"limit": 1000, "window": "1m"}]}]}},
    ]


def sync(cluster, check_mode=False, ctx=None, **params):
    return maas_policy_sync.run(params_for(maas_policy_sync, **params), ctx or context(cluster, check_mode=check_mode))


def failed_sync(cluster, **params):
    with pytest.raises(ModuleFailure) as failure:
        sync(cluster, **params)
    return failure.value


def status(cluster, kind, name, namespace=TENANT_NS):
    return (cluster.stored(MAAS, kind, name, namespace) or {}).get("status") or {}


def test_a_first_run_creates_the_policies_and_writes_every_status():
    cluster = ClusterDouble(installation())
    result = sync(cluster)

    assert result["changed"] is True
    assert "AuthPolicy llm/maas-auth-llama" in result["created"]
    assert "TokenRateLimitPolicy llm/maas-trlp-llama" in result["created"]
    assert "AuthPolicy openshift-ingress/gateway-default-auth" in result["created"]
    auth = cluster.stored("kuadrant.io/v1", "AuthPolicy", "maas-auth-llama", "llm")
    assert auth["spec"]["targetRef"]["name"] == "llama-kserve-route"
    assert sorted(result["status_updated"]) == [
        "MaaSAuthPolicy %s/team-a-access" % TENANT_NS, "MaaSModelRef llm/llama",
        "MaaSSubscription %s/basic" % TENANT_NS, "Tenant %s/default-tenant" % TENANT_NS]
    model = status(cluster, "MaaSModelRef", "llama", "llm")
    assert model["phase"] == "Ready" and model["endpoint"] == "https://models.example.com/llm/llama"
    assert status(cluster, "MaaSSubscription", "basic")["tokenRateLimitStatuses"][0]["name"] == "maas-trlp-llama"
    assert result["summary"]["status_updated"] == 4


def test_a_second_run_reports_no_change_and_writes_nothing():
    cluster = ClusterDouble(installation())
    sync(cluster)
    mark = len(cluster.requests)

    again = sync(cluster)
    assert again["changed"] is False
    assert again["created"] == again["updated"] == again["deleted"] == again["status_updated"] == []
    assert ("list", "kuadrant.io/v1", "AuthPolicy", None, None, False) in cluster.requests[mark:]
    assert {r[0] for r in cluster.requests[mark:]} == {"list", "get"}
    assert [r for r in cluster.requests[mark:] if r[0] == "get"] == [
        ("get", GATEWAY_API, "Gateway", "openshift-ingress", "maas-default-gateway", False)]


def test_check_mode_reports_the_change_and_writes_nothing():
    cluster = ClusterDouble(installation())
    result = sync(cluster, check_mode=True)

    assert result["changed"] is True
    assert "AuthPolicy llm/maas-auth-llama" in result["created"]
    assert "MaaSModelRef llm/llama" in result["status_updated"]
    assert cluster.writes() == []
    assert cluster.stored("kuadrant.io/v1", "AuthPolicy", "maas-auth-llama", "llm") is None
    assert status(cluster, "MaaSModelRef", "llama", "llm") == {}


def test_a_cluster_without_the_maas_crds_fails_with_the_prerequisites_role_named():
    cluster = ClusterDouble(served=BUILTIN_KINDS | GENERATED)
    with pytest.raises(ModuleFailure) as failure:
        sync(cluster)
    assert failure.value.msg == ("The cluster does not serve the MaaS CRDs (Tenant, MaaSModelRef, MaaSAuthPolicy, "
                                 "MaaSSubscription); run the modelserving.maas.prerequisites role first.")
    assert cluster.writes() == []


def test_deleting_the_last_subscription_of_a_model_prunes_only_its_token_limits():
    cluster = ClusterDouble(installation())
    sync(cluster)
    cluster.delete(MAAS, "MaaSSubscription", "basic", TENANT_NS)

    result = sync(cluster)
    assert result["deleted"] == ["TokenRateLimitPolicy llm/maas-trlp-llama"]
    assert cluster.stored("kuadrant.io/v1alpha1", "TokenRateLimitPolicy", "maas-trlp-llama", "llm") is None
    assert cluster.stored("kuadrant.io/v1", "AuthPolicy", "maas-auth-llama", "llm") is not None


def test_bad_tiers_fail_with_the_tier_named():
    cluster = ClusterDouble(installation())
    with pytest.raises(ModuleFailure) as failure:
        sync(cluster, tiers=[{"name": "gold", "groups": ["a,b"], "requests_per_minute": 1}])
    assert failure.value.msg == "tiers[0].groups[0] \"a,b\": group names cannot contain ','"
    with pytest.raises(ModuleFailure, match=r"tiers\[0\]: give requests_per_minute, tokens_per_minute or both"):
        sync(cluster, tiers=[{"name": "gold", "groups": ["a"]}])
    assert cluster.writes() == []


# ---------------------------------------------------------------------------------------------
# helpers for the findings below


AUTH = ("kuadrant.io/v1", "AuthPolicy")
TRLP = ("kuadrant.io/v1alpha1", "TokenRateLimitPolicy")
RLP = ("kuadrant.io/v1", "RateLimitPolicy")


def stored(cluster, kind, name, namespace):
    return cluster.stored(kind[0], kind[1], name, namespace)


def managed_in(cluster, namespace):
    """`Kind name` of the generated objects in a namespace."""
    return sorted("%s %s" % (o["kind"], o["metadata"]["name"])
                  for kind in (AUTH, TRLP, RLP, (GATEWAY_API, "HTTPRoute"))
                  for o in cluster.list(kind[0], kind[1], namespace, "app.kubernetes.io/managed-by=maas-controller"))


def condition(status_, ctype):
    return next(c for c in status_["conditions"] if c["type"] == ctype)


def written(cluster, mark, name):
    """The requests since `mark` that changed object `name` (not dry runs)."""
    return [r for r in cluster.requests[mark:] if r[0] in ("apply", "patch", "delete") and r[4] == name and not r[5]]


def model(name, namespace="llm"):
    return [
        {"apiVersion": GATEWAY_API, "kind": "HTTPRoute",
         "metadata": {"name": name + "-kserve-route", "namespace": namespace, "labels": {
             "app.kubernetes.io/name": name, "app.kubernetes.io/component": "llminferenceservice-router",
             "app.kubernetes.io/part-of": "llminferenceservice"}},
         "spec": {"parentRefs": [{"name": "maas-default-gateway", "namespace": "openshift-ingress"}],
                  "hostnames": ["models.example.com"]}},
        {"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": name, "namespace": namespace},
         "spec": {"modelRef": {"kind": "LLMInferenceService", "name": name}}},
    ]


def external_model(name, namespace="llm"):
    return {"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": name, "namespace": namespace},
            "spec": {"modelRef": {"kind": "ExternalModel", "name": name}, "endpointOverride": "https://api.example.com"}}


def access(name, models, namespace=TENANT_NS, groups=("team-a",)):
    return {"apiVersion": MAAS, "kind": "MaaSAuthPolicy", "metadata": {"name": name, "namespace": namespace},
            "spec": {"modelRefs": [{"name": m, "namespace": "llm"} for m in models],
                     "subjects": {"groups": [{"name": g} for g in groups]}}}


def subscription(name, models, namespace=TENANT_NS, groups=("team-a",), limit=1000, priority=0):
    return {"apiVersion": MAAS, "kind": "MaaSSubscription", "metadata": {"name": name, "namespace": namespace},
            "spec": {"owner": {"groups": [{"name": g} for g in groups]}, "priority": priority,
                     "modelRefs": [{"name": m, "namespace": "llm", "tokenRateLimits": [{"limit": limit, "window": "1m"}]}
                                   for m in models]}}


def test_tenant_status_false_leaves_the_tenant_to_tenant_status_and_writes_the_others():
    cluster = ClusterDouble(installation())
    result = sync(cluster, tenant_status=False)
    assert status(cluster, "Tenant", "default-tenant") == {}
    assert status(cluster, "MaaSSubscription", "basic")["phase"] == "Active"
    assert not [s for s in result["status_updated"] if "Tenant" in s]
    # The default still writes it.
    sync(cluster)
    assert status(cluster, "Tenant", "default-tenant")["phase"] == "Active"


# ---------------------------------------------------------------------------------------------
# 1. one Tenant counts: no namespace user can move the gateway


def test_a_tenant_in_another_namespace_is_ignored_and_told_which_one_counts():
    cluster = ClusterDouble(installation() + [gateway("aaa", "stolen"), tenant("aaa", "aaa", "stolen")])
    result = sync(cluster)

    assert managed_in(cluster, "openshift-ingress") == ["AuthPolicy gateway-default-auth",
                                                        "TokenRateLimitPolicy gateway-default-deny"]
    assert managed_in(cluster, "aaa") == []
    ignored = status(cluster, "Tenant", "default-tenant", "aaa")
    assert ignored["phase"] == "Failed"
    assert condition(ignored, "Ready")["reason"] == "IgnoredTenant"
    assert "%s/default-tenant" % TENANT_NS in condition(ignored, "Ready")["message"]
    assert status(cluster, "Tenant", "default-tenant")["phase"] == "Active"
    assert [(i["kind"], i["namespace"]) for i in result["invalid"]] == [("Tenant", "aaa")]


def test_a_lone_tenant_elsewhere_does_not_become_the_tenant():
    objects = [o for o in installation() if o["kind"] != "Tenant"] + [gateway("aaa", "stolen"), tenant("aaa", "aaa", "stolen")]
    cluster = ClusterDouble(objects)
    sync(cluster)
    assert "AuthPolicy gateway-default-auth" in managed_in(cluster, "openshift-ingress")
    assert managed_in(cluster, "aaa") == []
    assert status(cluster, "Tenant", "default-tenant", "aaa")["phase"] == "Failed"


def test_a_tenant_naming_a_missing_gateway_fails_and_changes_nothing_on_the_gateway():
    cluster = ClusterDouble(installation() + [external_model("gpt"), access("gpt-access", ["gpt"])])
    sync(cluster)
    before = managed_in(cluster, "openshift-ingress") + managed_in(cluster, "llm")
    assert "HTTPRoute maas-gpt" in before and "AuthPolicy gateway-default-auth" in before
    cluster.add(tenant(gateway_name="nope"))
    mark = len(cluster.requests)

    failure = failed_sync(cluster)
    assert failure.msg.endswith("Gateway openshift-ingress/nope (from Tenant models-as-a-service/default-tenant "
                                "spec.gatewayRef) does not exist")
    assert [r for r in cluster.requests[mark:] if r[2] == "Gateway"] == [
        ("get", GATEWAY_API, "Gateway", "openshift-ingress", "nope", False)]
    # The run read the gateway-level policies and the route, and wrote none of them.
    assert ("list", AUTH[0], AUTH[1], None, None, False) in cluster.requests[mark:]
    for name in ("gateway-default-auth", "gateway-default-deny", "maas-gpt", "maas-auth-gpt"):
        assert written(cluster, mark, name) == []
    assert managed_in(cluster, "openshift-ingress") + managed_in(cluster, "llm") == before
    assert stored(cluster, (GATEWAY_API, "HTTPRoute"), "maas-gpt", "llm")["spec"]["parentRefs"][0]["name"] == \
        "maas-default-gateway"
    assert [m["name"] for m in failure.result["failed_models"]] == ["gpt"]
    tenant_status = status(cluster, "Tenant", "default-tenant")
    assert (tenant_status["phase"], condition(tenant_status, "Ready")["reason"]) == ("Failed", "GatewayNotFound")
    assert status(cluster, "MaaSModelRef", "gpt", "llm")["phase"] == "Failed"


def test_a_gateway_option_naming_a_missing_gateway_says_so():
    cluster = ClusterDouble(installation())
    failure = failed_sync(cluster, gateway={"namespace": "openshift-ingress", "name": "nope"})
    assert "Gateway openshift-ingress/nope (from the gateway option) does not exist" in failure.msg
    assert ("list", AUTH[0], AUTH[1], None, None, False) in cluster.requests
    assert written(cluster, 0, "gateway-default-auth") == [] and managed_in(cluster, "openshift-ingress") == []
    # KServe's route is attached to another Gateway: llama waits, as on any gateway mismatch.
    assert [m["name"] for m in failure.result["skipped_models"]] == ["llama"]
    assert status(cluster, "Tenant", "default-tenant")["phase"] == "Failed"


def test_an_invalid_tenant_does_not_strip_the_gateway_of_its_defaults():
    cluster = ClusterDouble(installation())
    sync(cluster)
    cluster.add(tenant(gateway_name="Not_A_Name"))
    mark = len(cluster.requests)
    result = sync(cluster)
    assert [(i["kind"], i["name"]) for i in result["invalid"]] == [("Tenant", "default-tenant")]
    assert ("list", AUTH[0], AUTH[1], None, None, False) in cluster.requests[mark:]
    assert result["deleted"] == [] and written(cluster, mark, "gateway-default-deny") == []
    assert stored(cluster, TRLP, "gateway-default-deny", "openshift-ingress") is not None


# ---------------------------------------------------------------------------------------------
# 3. MaaSAuthPolicies and MaaSSubscriptions count only in the allowed namespaces


def rogue_crs():
    return [access("everyone", ["llama", "mistral"], namespace="rogue", groups=("system:authenticated",)),
            subscription("unlimited", ["llama", "mistral"], namespace="rogue", groups=("system:authenticated",),
                         limit=1000000000, priority=1000000)]


def test_policies_outside_the_allowed_namespaces_grant_nothing():
    cluster = ClusterDouble(installation() + model("mistral") + rogue_crs())
    result = sync(cluster)

    auth, trlp = stored(cluster, AUTH, "maas-auth-llama", "llm"), stored(cluster, TRLP, "maas-trlp-llama", "llm")
    assert "team-a" in json.dumps(auth["spec"]) and "system:authenticated" not in json.dumps(auth["spec"])
    assert trlp["metadata"]["annotations"]["maas.opendatahub.io/producers"] == "%s/basic" % TENANT_NS
    assert "rogue" not in json.dumps(trlp["spec"])
    # mistral is named only by the rogue CRs: nothing is generated for it.
    assert ("list", TRLP[0], TRLP[1], None, None, False) in cluster.requests
    assert stored(cluster, AUTH, "maas-auth-mistral", "llm") is None
    assert stored(cluster, TRLP, "maas-trlp-mistral", "llm") is None
    assert [(i["kind"], i["namespace"], i["name"]) for i in result["invalid"]] == [
        ("MaaSAuthPolicy", "rogue", "everyone"), ("MaaSSubscription", "rogue", "unlimited")]
    for kind, name in (("MaaSAuthPolicy", "everyone"), ("MaaSSubscription", "unlimited")):
        refused = status(cluster, kind, name, "rogue")
        assert refused["phase"] == "Failed"
        assert condition(refused, "Ready")["reason"] == "NamespaceNotAllowed"
        assert condition(refused, "Ready")["message"].endswith(
            "namespace rogue is not allowed: MaaSAuthPolicy and MaaSSubscription are honoured only in %s" % TENANT_NS)


def test_a_refused_cr_does_not_hold_back_the_models_it_names():
    cluster = ClusterDouble(installation())
    sync(cluster)
    cluster.add(subscription("basic", ["llama"], limit=2000))
    cluster.add(dict(rogue_crs()[1], spec=dict(rogue_crs()[1]["spec"], owner={"groups": [{"name": "a,b"}]})))

    result = sync(cluster)
    assert result["skipped_models"] == []
    assert result["updated"] == ["TokenRateLimitPolicy llm/maas-trlp-llama"]
    limits = stored(cluster, TRLP, "maas-trlp-llama", "llm")["spec"]["limits"]
    assert limits["%s/basic@llm/llama" % TENANT_NS]["rates"][0]["limit"] == 2000


def test_an_allowed_namespace_is_honoured():
    cluster = ClusterDouble(installation() + rogue_crs())
    sync(cluster, allowed_namespaces=[TENANT_NS, "rogue"])
    assert "system:authenticated" in json.dumps(stored(cluster, AUTH, "maas-auth-llama", "llm")["spec"])
    assert "rogue/unlimited@llm/llama" in stored(cluster, TRLP, "maas-trlp-llama", "llm")["spec"]["limits"]
    honoured = status(cluster, "MaaSSubscription", "unlimited", "rogue")  # mistral has no MaaSModelRef
    assert (honoured["phase"], condition(honoured, "Ready")["message"]) == (
        "Degraded", "1 of 2 model references are missing: llm/mistral")


def test_the_tenant_namespace_moves_the_tenant_and_the_default_allowed_namespace():
    objects = [o for o in installation() if o["kind"] not in ("Tenant", "MaaSAuthPolicy", "MaaSSubscription")]
    objects += [tenant("mas"), access("a", ["llama"], namespace="mas")]
    cluster = ClusterDouble(objects)
    result = sync(cluster, tenant_namespace="mas")
    assert result["invalid"] == [] and "AuthPolicy llm/maas-auth-llama" in result["created"]
    assert status(cluster, "Tenant", "default-tenant", "mas")["phase"] == "Active"


# ---------------------------------------------------------------------------------------------
# 4. no result key Ansible reserves


def test_a_pending_model_is_reported_in_skipped_models_not_skipped():
    waiting = {"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": "waiting", "namespace": "llm"},
               "spec": {"modelRef": {"kind": "LLMInferenceService", "name": "waiting"}}}
    cluster = ClusterDouble(installation() + [waiting])
    result = sync(cluster)
    assert [m["name"] for m in result["skipped_models"]] == ["waiting"]
    assert result["summary"]["skipped_models"] == 1
    reserved = {"failed", "skipped", "invocation", "msg", "results"}
    assert not reserved & set(result) and not [k for k in result if k.startswith(("ansible_", "_ansible_"))]
    assert result["changed"] is True


# ---------------------------------------------------------------------------------------------
# 5. one refused object blocks only its own model


def gitops_takes(cluster, name, key):
    """A GitOps applier takes the rate of one limit of a model's TRLP (applies it with force)."""
    cluster.apply({"apiVersion": TRLP[0], "kind": TRLP[1], "metadata": {"name": name, "namespace": "llm"},
                   "spec": {"limits": {key: {"rates": [{"limit": 7, "window": "1m"}]}}}}, "gitops", force=True)


def two_models():
    return installation()[:-2] + model("mistral") + [access("team-a-access", ["llama", "mistral"]),
                                                     subscription("basic", ["llama", "mistral"])]


def test_a_refused_object_leaves_its_model_as_it_is_and_every_other_converges():
    cluster = ClusterDouble(two_models())
    sync(cluster)
    gitops_takes(cluster, "maas-trlp-llama", "%s/basic@llm/llama" % TENANT_NS)
    cluster.delete(TRLP[0], TRLP[1], "maas-trlp-mistral", "llm")
    cluster.add(subscription("basic", ["llama", "mistral"], limit=2000))
    mark = len(cluster.requests)

    failure = failed_sync(cluster)
    assert "TokenRateLimitPolicy llm/maas-trlp-llama" in failure.msg and "gitops" in failure.msg
    assert failure.msg.startswith("1 of 2 models could not be reconciled")
    result = failure.result
    assert "TokenRateLimitPolicy llm/maas-trlp-mistral" in result["created"]
    assert stored(cluster, TRLP, "maas-trlp-mistral", "llm")["spec"]["limits"]
    assert (result["summary"]["models_converged"], result["summary"]["models_failed"]) == (1, 1)
    assert [(m["name"], "gitops" in m["reason"]) for m in result["failed_models"]] == [("llama", True)]
    # llama's TRLP was dry-run (the run would have written it), and never written.
    assert ("apply", TRLP[0], TRLP[1], "llm", "maas-trlp-llama", True) in cluster.requests[mark:]
    assert written(cluster, mark, "maas-trlp-llama") == []
    llama = status(cluster, "MaaSModelRef", "llama", "llm")
    assert llama["phase"] == "Failed" and "gitops" in condition(llama, "Ready")["message"]
    assert status(cluster, "MaaSModelRef", "mistral", "llm")["phase"] == "Ready"
    sub = status(cluster, "MaaSSubscription", "basic")
    assert sub["phase"] == "Degraded"
    assert [(t["model"], t["reason"]) for t in sub["tokenRateLimitStatuses"]] == [
        ("llama", "ApplyFailed"), ("mistral", "Applied")]


def test_a_refused_model_is_not_pruned_while_the_others_are():
    cluster = ClusterDouble(two_models())
    sync(cluster)
    cluster.delete(MAAS, "MaaSModelRef", "llama", "llm")
    cluster.delete(MAAS, "MaaSModelRef", "mistral", "llm")
    # The dry run of the deletion is refused, as a validating webhook would refuse it.
    cluster.fail[("delete", "AuthPolicy", "maas-auth-llama")] = [K8sError(403, "Forbidden", "a webhook forbids it")]

    failure = failed_sync(cluster)
    assert sorted(failure.result["deleted"]) == ["AuthPolicy llm/maas-auth-mistral",
                                                 "TokenRateLimitPolicy llm/maas-trlp-mistral"]
    assert ("delete", AUTH[0], AUTH[1], "llm", "maas-auth-llama", True) in cluster.requests
    assert stored(cluster, AUTH, "maas-auth-llama", "llm") is not None
    assert stored(cluster, TRLP, "maas-trlp-llama", "llm") is not None
    assert failure.result["summary"]["models_failed"] == 1


def connection_refused(name):
    return ConnectionError("HTTPSConnectionPool(host='127.0.0.1', port=6443): Max retries exceeded with url: "
                           "/apis/kuadrant.io/v1/namespaces/llm/x/%s?dryRun=All (Caused by NewConnectionError("
                           "'<urllib3.connection.HTTPSConnection object at 0x7f%x>: Failed to establish a new "
                           "connection: [Errno 111] Connection refused'))" % (name, len(name)))


def test_losing_the_api_server_gives_one_line_per_cause():
    names = ["m%02d" % i for i in range(20)]
    objects = [gateway(), tenant()] + [o for n in names for o in model(n)] + [access("a", names)]
    cluster = ClusterDouble(objects)
    for name in names:
        cluster.fail[("apply", "AuthPolicy", "maas-auth-" + name)] = connection_refused(name)

    failure = failed_sync(cluster)
    assert len(failure.result["errors"]) == 20
    assert "Connection refused'))" in failure.msg and "(for 20 objects, e.g. AuthPolicy llm/maas-auth-m00, " in failure.msg
    assert len(failure.msg) < 1000, failure.msg
    assert failure.result["summary"]["models_failed"] == 20


def test_a_field_taken_over_with_force_conflicts_is_reported_as_drift():
    cluster = ClusterDouble(installation())
    sync(cluster)
    gitops_takes(cluster, "maas-trlp-llama", "%s/basic@llm/llama" % TENANT_NS)
    result = sync(cluster, force_conflicts=True)
    assert result["drifted"] == ["TokenRateLimitPolicy llm/maas-trlp-llama"]
    limits = stored(cluster, TRLP, "maas-trlp-llama", "llm")["spec"]["limits"]
    assert limits["%s/basic@llm/llama" % TENANT_NS]["rates"][0]["limit"] == 1000


# ---------------------------------------------------------------------------------------------
# 6. tiers: not given means not managed


TIERS = [{"name": "free", "groups": ["system:authenticated"], "requests_per_minute": 10}]


def test_a_run_without_tiers_leaves_the_tier_policies_alone_and_an_empty_list_removes_them():
    cluster = ClusterDouble(installation())
    sync(cluster, tiers=TIERS)
    assert stored(cluster, RLP, "maas-tier-usage", "openshift-ingress") is not None
    mark = len(cluster.requests)

    unmanaged = sync(cluster)
    assert ("list", RLP[0], RLP[1], None, None, False) in cluster.requests[mark:]
    assert unmanaged["deleted"] == [] and written(cluster, mark, "maas-tier-usage") == []
    assert stored(cluster, RLP, "maas-tier-usage", "openshift-ingress") is not None

    removed = sync(cluster, tiers=[])
    assert removed["deleted"] == ["RateLimitPolicy openshift-ingress/maas-tier-usage"]


# ---------------------------------------------------------------------------------------------
# 9. duplicate subscription priorities are told, not tie-broken silently


def test_subscriptions_sharing_a_priority_say_so_and_the_run_warns():
    objects = installation()[:-1] + [subscription("a", ["llama"], priority=5), subscription("b", ["llama"], priority=5),
                                     subscription("c", ["llama"], priority=1),
                                     subscription("d", ["llama"], namespace="team", priority=5)]
    cluster = ClusterDouble(objects)
    ctx = context(cluster)
    sync(cluster, ctx=ctx, allowed_namespaces=[TENANT_NS, "team"])

    shared = condition(status(cluster, "MaaSSubscription", "a"), "SpecPriorityDuplicate")
    assert (shared["status"], shared["reason"]) == ("True", "SharedPriority")
    assert shared["message"] == "spec.priority 5 is shared with: %s/b" % TENANT_NS
    for name, namespace in (("c", TENANT_NS), ("d", "team")):
        alone = condition(status(cluster, "MaaSSubscription", name, namespace), "SpecPriorityDuplicate")
        assert (alone["status"], alone["reason"]) == ("False", "NoDuplicatePeers")
    assert [w for w in ctx.warnings if "spec.priority" in w] == [
        "MaaSSubscriptions %s/a, %s/b share spec.priority 5: for a caller owning several of them the one with the "
        "largest token limit counts (then the first by namespace/name)" % (TENANT_NS, TENANT_NS)]


# ---------------------------------------------------------------------------------------------
# 10. an invalid CR is dropped alone


def test_an_invalid_subscription_does_not_stop_another_teams_limit_changing():
    cluster = ClusterDouble(installation() + [subscription("team-b", ["llama"], groups=("team-b",), limit=50)])
    sync(cluster)
    cluster.add(subscription("basic", ["llama"], limit=2000))
    cluster.add(subscription("team-b", ["llama"], groups=("team-b,admins",), limit=50))

    result = sync(cluster)
    assert [(i["kind"], i["name"]) for i in result["invalid"]] == [("MaaSSubscription", "team-b")]
    assert result["skipped_models"] == []
    # The AuthPolicy holds the model's subscriptions (groups mode decides at auth time), so it changes too.
    assert result["updated"] == ["AuthPolicy llm/maas-auth-llama", "TokenRateLimitPolicy llm/maas-trlp-llama"]
    limits = stored(cluster, TRLP, "maas-trlp-llama", "llm")["spec"]["limits"]
    assert limits["%s/basic@llm/llama" % TENANT_NS]["rates"][0]["limit"] == 2000
    assert not any("team-b" in key for key in limits)
    assert status(cluster, "MaaSSubscription", "team-b")["phase"] == "Failed"
    assert status(cluster, "MaaSSubscription", "basic")["phase"] == "Active"


def test_a_policy_only_an_invalid_cr_still_asks_for_is_kept_as_it_is_and_reported():
    cluster = ClusterDouble(installation())
    sync(cluster)
    before = stored(cluster, TRLP, "maas-trlp-llama", "llm")
    cluster.add(dict(subscription("basic", ["llama"]), spec=dict(subscription("basic", ["llama"])["spec"], modelRefs=[
        {"name": "llama", "namespace": "llm", "tokenRateLimits": [{"limit": 5, "window": "9000h"}]}])))
    cluster.add(access("more", ["llama"], groups=("team-z",)))
    mark = len(cluster.requests)

    result = sync(cluster)
    assert [(s["kind"], s["name"]) for s in result["skipped_models"]] == [("TokenRateLimitPolicy", "maas-trlp-llama")]
    assert "MaaSSubscription %s/basic is invalid" % TENANT_NS in result["skipped_models"][0]["reason"]
    assert "9000h" in result["invalid"][0]["reason"]
    assert result["deleted"] == [] and written(cluster, mark, "maas-trlp-llama") == []
    assert stored(cluster, TRLP, "maas-trlp-llama", "llm") == before
    assert result["updated"] == ["AuthPolicy llm/maas-auth-llama"]
    assert status(cluster, "MaaSModelRef", "llama", "llm")["phase"] == "Ready"

    cluster.delete(MAAS, "MaaSSubscription", "basic", TENANT_NS)
    assert sync(cluster)["deleted"] == ["TokenRateLimitPolicy llm/maas-trlp-llama"]


# ---------------------------------------------------------------------------------------------
# 11. drift: whatever the CRs did not cause, removals and additions included


BASIC = "%s/basic@llm/llama" % TENANT_NS


def hand_patch(cluster, kind, name, ops):
    cluster.patch(kind[0], kind[1], name, ops, namespace="llm", patch_type="json", field_manager="kubectl-patch")
    return stored(cluster, kind, name, "llm")


def test_a_field_removed_by_hand_is_put_back_and_counted_as_drift():
    cluster = ClusterDouble(installation())
    sync(cluster)
    edited = hand_patch(cluster, TRLP, "maas-trlp-llama",
                        [{"op": "remove", "path": "/spec/limits/%s/counters" % BASIC.replace("/", "~1")}])
    assert "counters" not in edited["spec"]["limits"][BASIC]

    result = sync(cluster)
    assert result["drifted"] == ["TokenRateLimitPolicy llm/maas-trlp-llama"]
    assert result["summary"]["drifted"] == 1
    assert stored(cluster, TRLP, "maas-trlp-llama", "llm")["spec"]["limits"][BASIC]["counters"]


def test_a_change_the_crs_caused_is_an_update_not_drift():
    cluster = ClusterDouble(installation())
    sync(cluster)
    cluster.add(subscription("basic", ["llama"], limit=2000))
    result = sync(cluster)
    assert result["updated"] == ["TokenRateLimitPolicy llm/maas-trlp-llama"] and result["drifted"] == []


def test_a_limit_added_by_hand_is_removed_and_counted_as_drift():
    cluster = ClusterDouble(installation())
    sync(cluster)
    mine = {"rates": [{"limit": 1000000, "window": "1m"}], "counters": [{"expression": "auth.identity.userid"}]}
    edited = hand_patch(cluster, TRLP, "maas-trlp-llama", [{"op": "add", "path": "/spec/limits/mine", "value": mine}])
    assert edited["spec"]["limits"]["mine"] == mine

    result = sync(cluster)
    assert result["drifted"] == ["TokenRateLimitPolicy llm/maas-trlp-llama"]
    assert "mine" not in stored(cluster, TRLP, "maas-trlp-llama", "llm")["spec"]["limits"]
    mark = len(cluster.requests)
    assert sync(cluster)["changed"] is False and cluster.writes()[mark:] == []


def test_check_mode_shows_the_hand_added_rule_going_and_keeps_it():
    cluster = ClusterDouble(installation())
    sync(cluster)
    rule = {"patternMatching": {"patterns": [{"predicate": "true"}]}}
    hand_patch(cluster, AUTH, "maas-auth-llama", [{"op": "add", "path": "/spec/rules/authorization/anyone", "value": rule}])
    mark = len(cluster.requests)

    result = sync(cluster, ctx=context(cluster, check_mode=True, diff=True))
    assert result["drifted"] == ["AuthPolicy llm/maas-auth-llama"] and result["changed"] is True
    entry = next(d for d in result["diff"] if d["after_header"] == "AuthPolicy llm/maas-auth-llama")
    assert "anyone" in entry["before"]["spec"]["rules"]["authorization"]
    assert "anyone" not in entry["after"]["spec"]["rules"]["authorization"]
    assert [r for r in cluster.requests[mark:] if r[0] in ("apply", "patch") and not r[5]] == []
    assert "anyone" in stored(cluster, AUTH, "maas-auth-llama", "llm")["spec"]["rules"]["authorization"]


# ---------------------------------------------------------------------------------------------
# 12. the reference controller's objects are adopted


def upstream_trlp(model_name, subscriptions, manager="manager"):
    return {"apiVersion": TRLP[0], "kind": TRLP[1],
            "metadata": {"name": "maas-trlp-" + model_name, "namespace": "llm",
                         "labels": {"app.kubernetes.io/managed-by": "maas-controller",
                                    "app.kubernetes.io/part-of": "maas-subscription",
                                    "app.kubernetes.io/component": "token-rate-limit-policy",
                                    "maas.opendatahub.io/model": model_name},
                         "annotations": {"maas.opendatahub.io/subscriptions": subscriptions}},
            "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                   "name": model_name + "-kserve-route"},
                     "limits": {"models-as-a-service-gold-%s-tokens" % model_name: {
                         "rates": [{"limit": 7, "window": "1m"}], "counters": [{"expression": "auth.identity.userid"}]}}}}


def test_the_go_controllers_policies_are_adopted_and_its_orphans_pruned():
    cluster = ClusterDouble(installation() + model("old"))
    for obj in (upstream_trlp("llama", "gold"), upstream_trlp("old", "gold")):
        cluster.apply(obj, "manager")
    cluster.delete(MAAS, "MaaSModelRef", "old", "llm")

    result = sync(cluster)
    assert result["adopted"] == ["TokenRateLimitPolicy llm/maas-trlp-llama"] and result["drifted"] == []
    assert result["deleted"] == ["TokenRateLimitPolicy llm/maas-trlp-old"]
    trlp = stored(cluster, TRLP, "maas-trlp-llama", "llm")
    assert sorted(k for k in trlp["spec"]["limits"] if ":" not in k) == [BASIC]
    assert trlp["metadata"]["annotations"]["maas.opendatahub.io/producers"] == "%s/basic" % TENANT_NS
    assert trlp["metadata"]["labels"]["app.kubernetes.io/part-of"] == "models-as-a-service"
    mark = len(cluster.requests)
    assert sync(cluster)["changed"] is False and cluster.writes()[mark:] == []


# upstream-shaped ExternalModels, read from the cluster


def upstream_external_model(name="gpt", namespace="llm", secret="openai-key"):
    return {"apiVersion": MAAS, "kind": "ExternalModel", "metadata": {"name": name, "namespace": namespace},
            "spec": {"provider": "openai", "targetModel": "gpt-4o", "endpoint": "api.openai.com",
                     "credentialRef": {"name": secret}}}


def upstream_external_installation():
    return installation() + [
        {"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": "gpt", "namespace": "llm"},
         "spec": {"modelRef": {"kind": "ExternalModel", "name": "gpt"}}},
        upstream_external_model(), access("gpt-access", ["gpt"]),
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "openai-key", "namespace": "llm"},
         "data": {"api-key": "c2stcHJvdmlkZXI="}}]


def generated_for(cluster, model):
    return sorted("%s %s" % (kind[1], o["metadata"]["name"])
                  for kind in (("v1", "Service"), ("networking.istio.io/v1", "ServiceEntry"),
                               ("networking.istio.io/v1", "DestinationRule"), (GATEWAY_API, "HTTPRoute"))
                  for o in cluster.list(kind[0], kind[1], "llm", "maas.opendatahub.io/model=%s" % model))


def test_an_external_model_read_from_the_cluster_needs_no_endpoint_override():
    cluster = ClusterDouble(upstream_external_installation())
    result = sync(cluster, external_tls="destinationrule")
    assert result["invalid"] == [] and result["skipped_models"] == []
    assert generated_for(cluster, "gpt") == ["DestinationRule maas-gpt", "HTTPRoute maas-gpt", "Service maas-gpt",
                                             "ServiceEntry maas-gpt"]
    found = condition(status(cluster, "MaaSModelRef", "gpt", "llm"), "CredentialInjected")
    assert (found["status"], found["reason"]) == ("False", "NotSupported")
    assert "Secret llm/openai-key" in found["message"] and "does not exist" not in found["message"]


def test_a_missing_credential_secret_is_named_in_the_model_ref_status():
    cluster = ClusterDouble([o for o in upstream_external_installation() if o["kind"] != "Secret"])
    sync(cluster)
    found = condition(status(cluster, "MaaSModelRef", "gpt", "llm"), "CredentialInjected")
    assert "Secret llm/openai-key named by ExternalModel llm/gpt spec.credentialRef does not exist" in found["message"]


def test_a_cluster_without_istio_service_entries_still_routes_external_models():
    served = BUILTIN_KINDS | GENERATED | {(MAAS, k) for k in ("Tenant", "MaaSModelRef", "MaaSAuthPolicy",
                                                              "MaaSSubscription", "ExternalModel")} | {
        (GATEWAY_API, "Gateway")}
    cluster = ClusterDouble(upstream_external_installation(), served=served - {("networking.istio.io/v1", "DestinationRule")})
    result = sync(cluster)
    assert result["failed_models"] == []
    assert cluster.stored(GATEWAY_API, "BackendTLSPolicy", "maas-gpt", "llm") is not None
    assert cluster.stored(GATEWAY_API, "HTTPRoute", "maas-gpt", "llm") is not None
    assert not [ref for ref in result["created"] if "ServiceEntry" in ref]


def test_a_cluster_without_the_external_model_crd_still_reconciles():
    served = BUILTIN_KINDS | GENERATED | {(MAAS, k) for k in ("Tenant", "MaaSModelRef", "MaaSAuthPolicy",
                                                              "MaaSSubscription")} | {(GATEWAY_API, "Gateway")}
    cluster = ClusterDouble(installation() + [external_model("gpt"), access("gpt-access", ["gpt"])], served=served)
    result = sync(cluster)
    assert result["failed_models"] == [] and result["invalid"] == []
    assert cluster.stored(GATEWAY_API, "HTTPRoute", "maas-gpt", "llm") is not None


def test_deleting_the_external_model_removes_the_route_to_its_provider():
    cluster = ClusterDouble(upstream_external_installation())
    sync(cluster, external_tls="destinationrule")
    cluster.delete(MAAS, "ExternalModel", "gpt", "llm")
    result = sync(cluster, external_tls="destinationrule")
    assert generated_for(cluster, "gpt") == []
    assert sorted(r for r in result["deleted"] if "maas-gpt" in r) == [
        "DestinationRule llm/maas-gpt", "HTTPRoute llm/maas-gpt", "Service llm/maas-gpt", "ServiceEntry llm/maas-gpt"]
    assert result["skipped_models"][0]["reason"] == "ExternalModel llm/gpt not found and spec.endpointOverride is not set"


def test_an_invalid_external_model_keeps_the_working_route():
    cluster = ClusterDouble(upstream_external_installation())
    sync(cluster, external_tls="destinationrule")
    broken = upstream_external_model()
    broken["spec"]["endpoint"] = "https://api.openai.com/v1"
    cluster.add(broken)
    result = sync(cluster, external_tls="destinationrule")
    assert [(i["kind"], i["name"]) for i in result["invalid"]] == [("ExternalModel", "gpt")]
    assert len(generated_for(cluster, "gpt")) == 4 and result["deleted"] == []
