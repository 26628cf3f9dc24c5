"""maas_policy_render: what maas_policy_sync would apply, from CRs alone and without a cluster."""

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure, RunContext
from ansible_collections.modelserving.maas.plugins.module_utils._maas.render import offline_lists
from ansible_collections.modelserving.maas.plugins.modules import maas_policy_render, maas_policy_sync
from ansible_collections.modelserving.maas.tests.unit.plugins.modules.test_maas_policy_sync import (
    MAAS,
    TENANT_NS,
    installation,
    sync,
)
from ansible_collections.modelserving.maas.tests.unit.utils.cluster_double import ClusterDouble

DIGEST = "maas.opendatahub.io/applied-digest"


def offline_context():
    """A RunContext whose cluster cannot be reached: any use of it fails the test."""
    def connect():
        raise AssertionError("maas_policy_render opened a connection")
    return RunContext(connect)


def render(**given):
    params = ArgumentSpecValidator(maas_policy_render.OPTIONS).validate(given)
    assert not params.error_messages, params.error_messages
    return maas_policy_render.run(params.validated_parameters, offline_context())


def external_model():
    return [
        {"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": "gpt", "namespace": "llm"},
         "spec": {"modelRef": {"kind": "ExternalModel", "name": "gpt"}, "endpointOverride": "https://api.openai.com/v1"}},
        {"apiVersion": MAAS, "kind": "MaaSAuthPolicy", "metadata": {"name": "gpt-access", "namespace": TENANT_NS},
         "spec": {"modelRefs": [{"name": "gpt", "namespace": "llm"}], "subjects": {"groups": [{"name": "team-a"}]}}},
    ]


def without_digest(obj):
    annotations = dict(obj["metadata"].get("annotations") or {})
    annotations.pop(DIGEST, None)
    return dict(obj, metadata=dict(obj["metadata"], annotations=annotations))


def test_the_render_is_what_a_reconcile_applies():
    crs = installation() + external_model()
    cluster = ClusterDouble(crs)
    applied = sync(cluster)
    # The double serves every kind, BackendTLSPolicy included.
    rendered = render(resources=crs, served={"backendtlspolicies": True})

    assert sorted(applied["created"]) == sorted(
        "%s %s/%s" % (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in rendered["objects"])
    for obj in rendered["objects"]:
        meta = obj["metadata"]
        stored = cluster.stored(obj["apiVersion"], obj["kind"], meta["name"], meta["namespace"])
        live = without_digest(stored)
        assert {k: live[k] for k in obj if k != "metadata"} == {k: v for k, v in obj.items() if k != "metadata"}
        assert live["metadata"]["labels"] == meta["labels"]
        assert live["metadata"]["annotations"] == meta.get("annotations", {})
    assert rendered["gateway"] == {"namespace": "openshift-ingress", "name": "maas-default-gateway"}


def test_the_kserve_route_may_be_given_apart_from_the_crs():
    crs = installation()
    routes = [o for o in crs if o["kind"] == "HTTPRoute"]
    rendered = render(resources=[o for o in crs if o["kind"] != "HTTPRoute"], routes=routes)
    auth = [o for o in rendered["objects"] if o["metadata"]["name"] == "maas-auth-llama"]
    assert auth and auth[0]["spec"]["targetRef"]["name"] == "llama-kserve-route"
    assert rendered["skipped_models"] == []


def test_a_model_without_its_kserve_route_is_skipped_as_a_reconcile_skips_it():
    rendered = render(resources=[o for o in installation() if o["kind"] != "HTTPRoute"])
    assert [m["name"] for m in rendered["skipped_models"]] == ["llama"]
    assert not [o for o in rendered["objects"] if o["metadata"]["namespace"] == "llm"]


def test_served_kinds_decide_the_tls_origination_of_external_models():
    crs = installation() + external_model()
    kinds = {o["kind"] for o in render(resources=crs)["objects"]}
    assert {"DestinationRule", "ServiceEntry"} <= kinds and "BackendTLSPolicy" not in kinds

    kinds = {o["kind"] for o in render(resources=crs, served={"backendtlspolicies": True, "serviceentries": False})
             ["objects"]}
    assert "BackendTLSPolicy" in kinds and not {"DestinationRule", "ServiceEntry"} & kinds


def test_a_translation_needing_a_kind_the_cluster_does_not_serve_fails_naming_it():
    with pytest.raises(ModuleFailure) as failure:
        render(resources=installation() + external_model(), external_tls="destinationrule",
               served={"destinationrules": False})
    assert "DestinationRule" in failure.value.msg


def test_crs_outside_the_allowed_namespaces_grant_nothing_and_are_reported():
    crs = installation()
    foreign = {"apiVersion": MAAS, "kind": "MaaSSubscription", "metadata": {"name": "mine", "namespace": "team-x"},
               "spec": {"owner": {"users": ["mallory"]},
                        "modelRefs": [{"name": "llama", "namespace": "llm",
                                       "tokenRateLimits": [{"limit": 1000000000, "window": "1m"}]}]}}
    rendered = render(resources=crs + [foreign])
    assert [(e["namespace"], e["name"]) for e in rendered["invalid"]] == [("team-x", "mine")]
    assert "mallory" not in str(rendered["objects"])
    assert render(resources=crs)["objects"] == rendered["objects"]


def test_the_module_takes_the_translation_options_of_maas_policy_sync():
    sync_options = set(ArgumentSpecValidator({}).validate({}).validated_parameters) | set(maas_policy_sync.OPTIONS)
    # Writes to the cluster, which a render never does.
    cluster_only = {"resources", "prune", "write_status", "tenant_status"}
    assert sync_options - cluster_only <= set(maas_policy_render.OPTIONS)


def test_offline_lists_answer_like_a_cluster_that_serves_the_given_kinds():
    lists = offline_lists(installation(), [], {"serviceentries": False})
    assert lists[("networking.istio.io/v1", "ServiceEntry")] is None
    assert lists[("gateway.networking.k8s.io/v1", "BackendTLSPolicy")] is None
    assert lists[("networking.istio.io/v1", "DestinationRule")] == []
    assert [o["metadata"]["name"] for o in lists[(MAAS, "Tenant")]] == ["default-tenant"]
