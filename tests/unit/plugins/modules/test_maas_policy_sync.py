"""maas_policy_sync through its run(), against the in-memory cluster double."""

import pytest

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


def installation():
    """A Tenant, one KServe model with its route, and one MaaSAuthPolicy and MaaSSubscription for it."""
    return [
        {"apiVersion": MAAS, "kind": "Tenant", "metadata": {"name": "default-tenant", "namespace": TENANT_NS},
         "spec": {"gatewayRef": {"namespace": "openshift-ingress", "name": "maas-default-gateway"}}},
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


def sync(cluster, check_mode=False, **params):
    return maas_policy_sync.run(params_for(maas_policy_sync, **params), context(cluster, check_mode=check_mode))


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
    assert {r[0] for r in cluster.requests[mark:]} == {"list"}


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
