"""What role kuadrant_mtls writes besides the EnvoyFilters, and how it reports what a run changed."""

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._mesh.mtls_objects import (
    changed_objects,
    kuadrant_mtls_objects,
    native_mtls,
    peer_authentications,
    sidecar_deployments,
    stale_peer_authentications,
)

# As roles/kuadrant_mtls/vars/main.yml names them.
DEPLOYMENTS = {"authorino": "authorino", "limitador": "limitador-limitador"}
SELECTORS = {"authorino": {"authorino-resource": "authorino"}, "limitador": {"app": "limitador"}}
BOTH = ["authorino", "limitador"]


def names(objects):
    return [o["metadata"]["name"] for o in objects]


def test_namespace_scope_is_one_strict_default_for_the_whole_namespace():
    assert peer_authentications("enabled", "namespace", BOTH, "kuadrant-system", SELECTORS) == [{
        "apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
        "metadata": {"name": "default", "namespace": "kuadrant-system"},
        "spec": {"mtls": {"mode": "STRICT"}}}]


def test_component_scope_selects_each_chosen_components_pods():
    assert peer_authentications("enabled", "component", ["limitador"], "k", SELECTORS) == [{
        "apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
        "metadata": {"name": "limitador-mtls", "namespace": "k"},
        "spec": {"selector": {"matchLabels": {"app": "limitador"}}, "mtls": {"mode": "STRICT"}}}]


@pytest.mark.parametrize("scope", ["namespace", "component"])
def test_disabling_relaxes_to_permissive(scope):
    modes = {p["spec"]["mtls"]["mode"] for p in peer_authentications("disabled", scope, BOTH, "k", SELECTORS)}
    assert modes == {"PERMISSIVE"}


@pytest.mark.parametrize("scope, components, stale", [
    ("namespace", BOTH, ["authorino-mtls", "limitador-mtls"]),
    ("component", ["limitador"], ["authorino-mtls"]),
    ("component", BOTH, []),
])
def test_stale_peer_authentications_are_ours_that_this_scope_no_longer_wants(scope, components, stale):
    result = stale_peer_authentications(scope, components, "k", list(SELECTORS))
    assert names(result) == stale
    assert all(o["metadata"]["namespace"] == "k" and "spec" not in o for o in result)


def test_enabling_labels_each_chosen_deployments_pod_template():
    assert sidecar_deployments("enabled", ["limitador"], "k", DEPLOYMENTS) == [{
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "limitador-limitador", "namespace": "k"},
        "spec": {"template": {"metadata": {"labels": {"sidecar.istio.io/inject": "true"}}}}}]


def test_disabling_gives_the_label_up_with_a_deployment_that_names_no_field():
    assert sidecar_deployments("disabled", BOTH, "k", DEPLOYMENTS) == [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "authorino", "namespace": "k"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "limitador-limitador", "namespace": "k"}}]


def test_native_mtls_switches_each_component():
    assert native_mtls("enabled", ["authorino"]) == {"enable": True, "authorino": True, "limitador": False}
    assert native_mtls("disabled", BOTH) == {"enable": False}


def test_objects_by_purpose():
    result = kuadrant_mtls_objects(BOTH, state="enabled", scope="namespace", namespace="k", kuadrant_name="kuadrant",
                                   deployments=DEPLOYMENTS, selectors=SELECTORS)
    assert result["kuadrant"] == {"apiVersion": "kuadrant.io/v1beta1", "kind": "Kuadrant",
                                  "metadata": {"name": "kuadrant", "namespace": "k"},
                                  "spec": {"mtls": {"enable": True, "authorino": True, "limitador": True}}}
    assert names(result["peer_authentications"]) == ["default"]
    assert names(result["stale_peer_authentications"]) == ["authorino-mtls", "limitador-mtls"]
    assert names(result["sidecar_deployments"]) == ["authorino", "limitador-limitador"]


def test_objects_do_not_share_the_selectors_they_were_given():
    selectors = {"authorino": {"authorino-resource": "authorino"}, "limitador": {"app": "limitador"}}
    [policy] = peer_authentications("enabled", "component", ["limitador"], "k", selectors)
    policy["spec"]["selector"]["matchLabels"]["extra"] = "x"
    assert selectors["limitador"] == {"app": "limitador"}


def test_changes_list_drifted_filters_then_created_updated_deleted():
    applied = [{"created": ["Deployment k/a"], "updated": ["PeerAuthentication k/default"]},
               {"skipped": True, "changed": False},
               None,
               {"created": ["PeerAuthentication k/b"], "deleted": ["PeerAuthentication k/c"]}]
    envoyfilters = [{"drifted": ["kuadrant-auth-gw"]}, {"skipped": True}]
    assert changed_objects(applied, envoyfilters, "gw-ns") == [
        "EnvoyFilter gw-ns/kuadrant-auth-gw", "Deployment k/a", "PeerAuthentication k/b",
        "PeerAuthentication k/default", "PeerAuthentication k/c"]


def test_a_converged_run_changed_nothing():
    unchanged = {"created": [], "updated": [], "deleted": [], "unchanged": ["Deployment k/a"]}
    assert changed_objects([unchanged, {}], [{"drifted": [], "unchanged": ["f"]}], "gw") == []
