"""Filters authorino_tls_provider_objects, authorino_tls_patches, tls_restart_annotations and
tls_verify_plan as the roles and playbook verify call them."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.modelserving.maas.plugins.filter.authorino_tls_patches import FilterModule as Patches
from ansible_collections.modelserving.maas.plugins.filter.authorino_tls_provider_objects import FilterModule as Provider
from ansible_collections.modelserving.maas.plugins.filter.tls_restart_annotations import FilterModule as Restart
from ansible_collections.modelserving.maas.plugins.filter.tls_verify_plan import FilterModule as Verify

authorino_tls_patches = Patches().filters()["authorino_tls_patches"]
authorino_tls_provider_objects = Provider().filters()["authorino_tls_provider_objects"]
tls_restart_annotations = Restart().filters()["tls_restart_annotations"]
tls_verify_plan = Verify().filters()["tls_verify_plan"]

CR = {"metadata": {"name": "authorino", "namespace": "kuadrant-system"}, "spec": {}}


def test_switches_given_as_text_are_read_as_ansible_reads_them():
    assert authorino_tls_provider_objects("openshift", namespace="k", dns_names=[], listener="no") == [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
            "name": "maas-ca-bundle", "namespace": "k", "annotations": {"service.beta.openshift.io/inject-cabundle": "true"}}}]
    [cr_patch] = authorino_tls_patches(CR, mount_in_cr="true", outbound="false")
    assert "volumes" not in cr_patch["spec"]


def test_the_trust_provider_defaults_to_the_provider():
    kinds = [o["kind"] for o in authorino_tls_provider_objects("openshift", namespace="k", dns_names=[])]
    assert kinds == ["Service", "ConfigMap"]


def test_day_counts_that_are_not_numbers_are_refused():
    with pytest.raises(AnsibleFilterError, match="validity_days and renew_before_days must be numbers"):
        authorino_tls_provider_objects("cert-manager", namespace="k", dns_names=[], validity_days="a year")


def test_patches_need_the_cr_as_read():
    with pytest.raises(AnsibleFilterError, match="expected the Authorino CR as read from the cluster"):
        authorino_tls_patches({}, mount_in_cr=True)


def test_restart_annotations_refuse_what_is_not_a_result():
    with pytest.raises(AnsibleFilterError, match="expected a registered tls_certificate result, got list"):
        tls_restart_annotations([])
    with pytest.raises(AnsibleFilterError, match="has no sha256_fingerprint"):
        tls_restart_annotations({"ca": {}, "certificates": []})


def test_restart_annotations_use_the_collections_prefix():
    assert tls_restart_annotations({"ca": {"sha256_fingerprint": "AB"}, "certificates": []}) == {
        "maas.opendatahub.io/ca-sha256": "ab"}


def test_verify_plan_with_nothing_found_skips_every_hop():
    result = tls_verify_plan({"gateway": {}, "authorino": {}, "maas_api": {}})
    assert result["targets"] == []
    assert [line.split(":")[0] for line in result["skipped"]] == ["gateway", "authorino", "maas-api"]


def test_verify_plan_gateway_ca_defaults_to_the_ca():
    ca = {"name": "b", "namespace": "n", "key": "ca.crt"}
    gateway = {"spec": {"listeners": [{"name": "l", "hostname": "a.example.com", "port": 443, "protocol": "HTTPS"}]}}
    [target] = tls_verify_plan({"gateway": gateway}, addresses={"gateway": "1.2.3.4:443"}, ca_configmap=ca)["targets"]
    assert target["ca_configmap"] == ca


def test_verify_plan_refuses_a_bad_address():
    with pytest.raises(AnsibleFilterError, match="tls_verify_plan: verify_addresses\\['maas-api'\\]"):
        tls_verify_plan({"maas_api": {"spec": {"ports": [{"port": 8443}]}}}, addresses={"maas-api": "localhost"})
