"""Filters modelserving.maas.kuadrant_mtls_objects and kuadrant_mtls_changes as role kuadrant_mtls calls them."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.modelserving.maas.plugins.filter.kuadrant_mtls_changes import FilterModule as Changes
from ansible_collections.modelserving.maas.plugins.filter.kuadrant_mtls_objects import FilterModule as Objects

kuadrant_mtls_objects = Objects().filters()["kuadrant_mtls_objects"]
kuadrant_mtls_changes = Changes().filters()["kuadrant_mtls_changes"]

DEPLOYMENTS = {"authorino": "authorino", "limitador": "limitador-limitador"}
SELECTORS = {"authorino": {"authorino-resource": "authorino"}, "limitador": {"app": "limitador"}}


def test_defaults_are_the_roles_defaults():
    result = kuadrant_mtls_objects(["authorino"], deployments=DEPLOYMENTS, selectors=SELECTORS)
    assert result["kuadrant"]["metadata"] == {"name": "kuadrant", "namespace": "kuadrant-system"}
    assert [p["metadata"]["name"] for p in result["peer_authentications"]] == ["default"]
    assert result["sidecar_deployments"][0]["spec"]["template"]["metadata"]["labels"] == {
        "sidecar.istio.io/inject": "true"}


def test_an_unknown_component_is_named():
    with pytest.raises(AnsibleFilterError, match="unknown component envoy \\(known: authorino, limitador\\)"):
        kuadrant_mtls_objects(["envoy"], deployments=DEPLOYMENTS, selectors=SELECTORS)


def test_components_must_be_a_list():
    with pytest.raises(AnsibleFilterError, match="expected a list of components, got str"):
        kuadrant_mtls_objects("authorino", deployments=DEPLOYMENTS, selectors=SELECTORS)


def test_changes_without_envoyfilters_are_the_applied_objects():
    assert kuadrant_mtls_changes([{"created": ["Kuadrant k/kuadrant"], "updated": []}]) == ["Kuadrant k/kuadrant"]


def test_changes_refuse_a_single_result():
    with pytest.raises(AnsibleFilterError, match="input must be a list of task results, got dict"):
        kuadrant_mtls_changes({"created": []})
