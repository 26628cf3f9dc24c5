"""Which CA the maas_api role knows, and whether each client of maas-api is configured to verify it."""

from ansible_collections.modelserving.maas.plugins.module_utils._tls.hops import client_targets
from ansible_collections.modelserving.maas.plugins.module_utils._tls.trust import (
    authorino_verification,
    backend_tls_policy_verification,
    destination_rule_verification,
    first_known_ca,
)
from ansible_collections.modelserving.maas.plugins.module_utils._tls.verify import with_client

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
FQDN = "maas-api.opendatahub.svc.cluster.local"
CA = {"name": "maas-ca-bundle", "namespace": "kuadrant-system", "key": "ca.crt"}


def rule(**tls):
    return {"metadata": {"name": "maas-api-backend-tls", "namespace": "openshift-ingress"},
            "spec": {"host": FQDN, "trafficPolicy": {"portLevelSettings": [
                {"port": {"number": 8443}, "tls": dict({"mode": "SIMPLE", "sni": FQDN}, **tls)}]}}}


def authorino(env=None, mounts=None, volumes=None):
    container = {"name": "authorino", "env": env or [], "volumeMounts": mounts or []}
    return {"metadata": {"name": "authorino", "namespace": "kuadrant-system"},
            "spec": {"template": {"spec": {"containers": [container], "volumes": volumes or []}}}}


def test_the_first_candidate_holding_a_certificate_is_the_known_ca():
    found = first_known_ca([{"source": "issued", "pem": ""}, {"source": "ConfigMap x", "pem": "not pem"},
                            {"source": "Secret y", "pem": PEM}])
    assert found == {"pem": PEM + "\n", "source": "Secret y"}


def test_no_candidate_holding_a_certificate_means_the_ca_is_unknown():
    assert first_known_ca([{"source": "a", "pem": ""}, {"source": "b", "pem": None}]) == {"pem": "", "source": ""}


def test_a_destination_rule_with_credential_name_and_the_fqdn_verifies_against_that_secret():
    found = destination_rule_verification(rule(credentialName="maas-api-backend-ca", subjectAltNames=[FQDN]), 8443, FQDN)
    assert found == {"client": "DestinationRule openshift-ingress/maas-api-backend-tls", "verifies": True,
                     "problems": [], "server_name": FQDN,
                     "ca": {"kind": "Secret", "name": "maas-api-backend-ca", "namespace": "openshift-ingress"}}


def test_insecure_skip_verify_is_encrypted_but_unverified():
    found = destination_rule_verification(rule(insecureSkipVerify=True), 8443, FQDN)
    assert found["verifies"] is False and found["ca"] is None
    assert found["problems"] == ["insecureSkipVerify is true: encrypted but unverified"]


def test_subject_alt_names_that_miss_the_service_name_do_not_verify_maas_api():
    found = destination_rule_verification(rule(credentialName="ca", subjectAltNames=["other.example"]), 8443, FQDN)
    assert found["problems"] == ["subjectAltNames other.example do not include %s" % FQDN]


def test_a_backend_tls_policy_verifies_against_its_configmap_for_its_hostname():
    policy = {"metadata": {"name": "maas-api-backend-tls", "namespace": "opendatahub"},
              "spec": {"validation": {"hostname": FQDN, "caCertificateRefs": [
                  {"group": "", "kind": "ConfigMap", "name": "maas-ca-bundle"}]}}}
    found = backend_tls_policy_verification(policy)
    assert found["verifies"] is True and found["server_name"] == FQDN
    assert found["ca"] == {"kind": "ConfigMap", "name": "maas-ca-bundle", "namespace": "opendatahub", "key": "ca.crt"}


def test_authorino_verifies_with_the_configmap_mounted_at_ssl_cert_file():
    deployment = authorino(env=[{"name": "SSL_CERT_FILE", "value": "/etc/maas-ca-bundle/ca-bundle.crt"}],
                           mounts=[{"name": "maas-ca", "mountPath": "/etc/maas-ca-bundle"}],
                           volumes=[{"name": "maas-ca", "configMap": {"name": "maas-ca-bundle", "items": [
                               {"key": "ca.crt", "path": "ca-bundle.crt"}]}}])
    found = authorino_verification(deployment, FQDN)
    assert found["verifies"] is True
    assert found["ca"] == {"kind": "ConfigMap", "name": "maas-ca-bundle", "key": "ca.crt", "namespace": "kuadrant-system"}


def test_authorino_whose_cr_mounts_the_bundle_verifies_with_that_configmap():
    cr = {"spec": {"volumes": {"items": [{"name": "maas-ca", "mountPath": "/etc/maas-ca-bundle",
                                          "configMaps": ["maas-ca-bundle"],
                                          "items": [{"key": "ca.crt", "path": "ca-bundle.crt"}]}]}}}
    deployment = authorino(env=[{"name": "SSL_CERT_FILE", "value": "/etc/maas-ca-bundle/ca-bundle.crt"}])
    found = authorino_verification(deployment, FQDN, cr)
    assert found["verifies"] is True and found["ca"]["name"] == "maas-ca-bundle" and found["ca"]["key"] == "ca.crt"


def test_authorino_without_a_mounted_bundle_is_a_problem_named_as_such():
    unset = authorino_verification(authorino(), FQDN)
    assert unset["problems"] == ["SSL_CERT_FILE is not set: Authorino trusts only the image's system roots"]
    unmounted = authorino_verification(authorino(env=[{"name": "SSL_CERT_FILE", "value": "/certs/ca.crt"}]), FQDN)
    assert unmounted["problems"] == [
        "SSL_CERT_FILE /certs/ca.crt is not mounted from a ConfigMap: the trust path is configured but not mounted"]


def test_each_client_checks_the_live_peer_against_the_ca_it_reads_and_unverified_is_a_failure():
    base = {"name": "maas-api", "host": "127.0.0.1", "port": 9443, "server_name": "maas-api.opendatahub.svc"}
    names = {"destination_rule": "gw/dr", "backend_tls_policy": "api/btp", "authorino_deployment": "ks/authorino"}
    targets, skipped = client_targets(base, rule(credentialName="maas-api-backend-ca", subjectAltNames=[FQDN]), {},
                                      {}, FQDN, 8443, names, CA, 7)
    assert skipped == ["authorino->maas-api: Deployment ks/authorino not found"]
    assert targets == [{"name": "gateway->maas-api", "server_name": FQDN, "min_days_to_expiry": 7,
                        "host": "127.0.0.1", "port": 9443,
                        "ca_secret": {"name": "maas-api-backend-ca", "namespace": "openshift-ingress", "key": "ca.crt"},
                        "client": {"name": "DestinationRule openshift-ingress/maas-api-backend-tls", "verifies": True,
                                   "problems": []}}]
    [unverified] = client_targets(base, rule(insecureSkipVerify=True), {}, {}, FQDN, 8443, names, CA, 7)[0]
    assert unverified["ca_configmap"] == CA
    result = with_client({"name": "gateway->maas-api", "ok": True, "failures": []}, unverified["client"])
    assert result["ok"] is False and result["client_verifies"] is False
    assert result["failures"] == ["DestinationRule openshift-ingress/maas-api-backend-tls does not verify this peer: "
                                  "insecureSkipVerify is true: encrypted but unverified"]


def test_without_any_tls_origination_the_gateway_hop_is_skipped_with_the_reason():
    names = {"destination_rule": "gw/dr", "backend_tls_policy": "api/btp", "authorino_deployment": "ks/authorino"}
    targets, skipped = client_targets({"name": "maas-api", "server_name": "x", "service": {}}, {}, {}, {}, FQDN,
                                      8443, names, CA, 7)
    assert targets == []
    assert skipped[0] == "gateway->maas-api: neither DestinationRule gw/dr nor BackendTLSPolicy api/btp exists"
