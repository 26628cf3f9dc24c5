"""Role authorino_tls's requests to the platform and its patches of the Authorino CR and Deployment."""

import json

from ansible_collections.modelserving.maas.plugins.module_utils._tls.authorino import (
    RESTORE_ANNOTATION,
    authorino_tls_patches,
    provider_objects,
    volumes_with,
)

NS = "kuadrant-system"
DNS = ["authorino-authorino-authorization.kuadrant-system.svc"]
BUNDLE_VOLUME = {"name": "maas-ca-bundle", "mountPath": "/etc/maas-ca-bundle", "configMaps": ["maas-ca-bundle"],
                 "items": [{"key": "ca.crt", "path": "ca-bundle.crt"}]}


def objects(provider, trust_provider=None, **overrides):
    args = dict(listener=True, outbound=True, provider=provider, trust_provider=trust_provider or provider,
                namespace=NS, service_name="authorino-authorino-authorization", secret_name="authorino-server-cert",
                ca_bundle_configmap="maas-ca-bundle", dns_names=DNS, validity_days=365, renew_before_days=30,
                create_issuer=True, issuer_kind="ClusterIssuer", issuer_name="maas-ca-issuer", ca_secret="maas-ca")
    args.update(overrides)
    return provider_objects(**args)


def patches(cr, **overrides):
    args = dict(listener=True, outbound=True, mount_in_cr=True, secret_name="authorino-server-cert",
                volume_name="maas-ca-bundle", mount_dir="/etc/maas-ca-bundle", ca_bundle_configmap="maas-ca-bundle",
                ca_bundle_key="ca.crt", ca_file_name="ca-bundle.crt", deployment_name="authorino",
                container_name="authorino", restart_annotations={})
    args.update(overrides)
    return authorino_tls_patches(cr, **args)


def cr(**spec):
    return {"apiVersion": "operator.authorino.kuadrant.io/v1beta1", "kind": "Authorino",
            "metadata": {"name": "authorino", "namespace": NS, "resourceVersion": "7"}, "spec": spec}


def test_self_and_provided_ask_the_platform_for_nothing():
    assert objects("self") == [] and objects("provided") == []


def test_openshift_annotates_the_service_and_the_bundle_configmap():
    assert objects("openshift") == [
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "authorino-authorino-authorization", "namespace": NS,
                      "annotations": {"service.beta.openshift.io/serving-cert-secret-name": "authorino-server-cert"}}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "maas-ca-bundle", "namespace": NS,
                      "annotations": {"service.beta.openshift.io/inject-cabundle": "true"}}}]


def test_only_the_enabled_direction_asks():
    assert [o["kind"] for o in objects("openshift", listener=False)] == ["ConfigMap"]
    assert [o["kind"] for o in objects("openshift", outbound=False)] == ["Service"]
    assert [o["kind"] for o in objects("self", trust_provider="openshift")] == ["ConfigMap"]


def test_cert_manager_gets_a_ca_cluster_issuer_and_a_rotating_certificate():
    issuer, certificate = objects("cert-manager", validity_days="90", renew_before_days=10)
    assert issuer == {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": "maas-ca-issuer"},
                      "spec": {"ca": {"secretName": "maas-ca"}}}
    assert certificate == {
        "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
        "metadata": {"name": "authorino-server-cert", "namespace": NS},
        "spec": {"secretName": "authorino-server-cert", "dnsNames": DNS, "duration": "2160h", "renewBefore": "240h",
                 "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                 "usages": ["server auth", "digital signature"],
                 "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "maas-ca-issuer"}}}


def test_an_issuer_is_the_users_to_create():
    assert [o["kind"] for o in objects("cert-manager", issuer_kind="Issuer")] == ["Certificate"]
    assert [o["kind"] for o in objects("cert-manager", create_issuer=False)] == ["Certificate"]


def test_our_volume_is_added_last_beside_others():
    other = {"name": "other", "mountPath": "/other", "configMaps": ["x"]}
    assert volumes_with([other], BUNDLE_VOLUME) == [other, BUNDLE_VOLUME]


def test_our_volume_is_replaced_in_place_of_an_old_version_of_it():
    old = dict(BUNDLE_VOLUME, mountPath="/old")
    other = {"name": "other", "mountPath": "/other", "configMaps": ["x"]}
    assert volumes_with([old, other], BUNDLE_VOLUME) == [other, BUNDLE_VOLUME]


def test_volumes_already_as_wanted_are_left_in_their_order():
    other = {"name": "other", "mountPath": "/other", "configMaps": ["x"]}
    assert volumes_with([BUNDLE_VOLUME, other], BUNDLE_VOLUME) == [BUNDLE_VOLUME, other]


def test_mounting_through_the_cr_patches_listener_tls_volumes_and_the_environment():
    cr_patch, deployment = patches(cr(volumes={"items": [{"name": "other", "mountPath": "/o", "configMaps": ["o"]}]}),
                                   restart_annotations={"maas.opendatahub.io/ca-sha256": "aa"})
    assert cr_patch == {
        "apiVersion": "operator.authorino.kuadrant.io/v1beta1", "kind": "Authorino",
        "metadata": {"name": "authorino", "namespace": NS,
                     "annotations": {RESTORE_ANNOTATION: cr_patch["metadata"]["annotations"][RESTORE_ANNOTATION]}},
        "spec": {"listener": {"tls": {"enabled": True, "certSecretRef": {"name": "authorino-server-cert"}}},
                 "volumes": {"items": [{"name": "other", "mountPath": "/o", "configMaps": ["o"]}, BUNDLE_VOLUME]}}}
    assert deployment == {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "authorino", "namespace": NS},
        "spec": {"template": {
            "metadata": {"annotations": {"maas.opendatahub.io/ca-sha256": "aa"}},
            "spec": {"containers": [{"name": "authorino", "env": [
                {"name": "SSL_CERT_FILE", "value": "/etc/maas-ca-bundle/ca-bundle.crt"},
                {"name": "REQUESTS_CA_BUNDLE", "value": "/etc/maas-ca-bundle/ca-bundle.crt"}]}]}}}}


def test_mounting_onto_the_deployment_leaves_the_crs_volumes_alone():
    cr_patch, deployment = patches(cr(), mount_in_cr=False)
    assert "volumes" not in cr_patch["spec"]
    pod = deployment["spec"]["template"]["spec"]
    assert "metadata" not in deployment["spec"]["template"], "no annotations without fingerprints"
    assert pod["containers"][0]["volumeMounts"] == [
        {"name": "maas-ca-bundle", "mountPath": "/etc/maas-ca-bundle", "readOnly": True}]
    assert pod["volumes"] == [{"name": "maas-ca-bundle", "configMap": {
        "name": "maas-ca-bundle", "items": [{"key": "ca.crt", "path": "ca-bundle.crt"}]}}]


def test_without_outbound_only_the_listener_is_patched():
    [cr_patch] = patches(cr(volumes={"items": []}), outbound=False)
    assert cr_patch["spec"] == {"listener": {"tls": {"enabled": True, "certSecretRef": {"name": "authorino-server-cert"}}}}


def test_without_listener_tls_the_listener_is_not_touched():
    cr_patch, _deployment = patches(cr(), listener=False)
    assert "listener" not in cr_patch["spec"]


def recorded(cr_patch):
    return json.loads(cr_patch["metadata"]["annotations"][RESTORE_ANNOTATION])


def test_the_values_overwritten_are_recorded_as_a_merge_patch_that_puts_them_back():
    other = {"name": "other", "mountPath": "/o", "configMaps": ["o"]}
    cr_patch, _deployment = patches(cr(listener={"tls": {"enabled": False}}, volumes={"items": [other]}))
    assert recorded(cr_patch) == {"spec": {"listener": {"tls": {"enabled": False, "certSecretRef": None}},
                                           "volumes": {"items": [other]}}}


def test_fields_that_were_absent_are_recorded_as_absent():
    cr_patch, _deployment = patches(cr())
    assert recorded(cr_patch) == {"spec": {"listener": None, "volumes": None}}
    cr_patch, _deployment = patches(cr(listener={"port": 50051}, volumes={}))
    assert recorded(cr_patch) == {"spec": {"listener": {"tls": None}, "volumes": {"items": None}}}


def test_a_later_run_keeps_what_the_first_run_recorded():
    first, _deployment = patches(cr(listener={"tls": {"enabled": False}}))
    live = cr(listener={"tls": {"enabled": True, "certSecretRef": {"name": "authorino-server-cert"}}})
    live["metadata"]["annotations"] = dict(first["metadata"]["annotations"])
    again, _deployment = patches(live)
    assert again["metadata"]["annotations"] == first["metadata"]["annotations"]


def test_a_part_first_touched_later_is_added_to_the_record():
    first, = patches(cr(listener={"tls": {"enabled": False}}), outbound=False)
    assert "volumes" not in recorded(first)["spec"]
    live = cr(volumes={"items": []})
    live["metadata"]["annotations"] = dict(first["metadata"]["annotations"])
    again, _deployment = patches(live)
    assert recorded(again)["spec"] == {"listener": {"tls": {"enabled": False, "certSecretRef": None}},
                                       "volumes": {"items": []}}
