"""Role authorino_tls on the real API server, against stand-ins of what Kuadrant and the Authorino
operator create (tests/fixtures/platform.yaml), each test in its own namespace."""

import base64
import copy
import json
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from plane import writes

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "platform.yaml"
AUTHORINO_KINDS = {"Authorino", "Service", "Deployment"}


def stand_ins(namespace):
    """The Authorino CR, its Deployment and its authorization Service, moved into `namespace`."""
    docs = [d for d in yaml.safe_load_all(FIXTURE.read_text()) if d and d["kind"] in AUTHORINO_KINDS
            and d["metadata"].get("namespace") == "kuadrant-system"
            and (d["kind"] != "Deployment" or d["metadata"]["name"] == "authorino")]
    for doc in docs:
        doc["metadata"]["namespace"] = namespace
    return docs


def install_authorino(plane, namespace):
    docs = stand_ins(namespace)
    plane.apply(*docs)
    # What the Kuadrant operator does on every reconcile: re-apply the CR's current listener and OIDC
    # TLS settings under its own field manager, so it co-owns them.
    cr = next(d for d in docs if d["kind"] == "Authorino")
    plane.apply({"apiVersion": cr["apiVersion"], "kind": "Authorino",
                 "metadata": {"name": "authorino", "namespace": namespace},
                 "spec": {"listener": {"tls": {"enabled": False}}, "oidcServer": {"tls": {"enabled": False}}}},
                manager="kuadrant-operator")
    return docs


def write_playbook(tmp_path, **role_vars):
    playbook = tmp_path / "authorino_tls.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "authorino_tls", "hosts": "localhost", "gather_facts": False,
        "roles": [{"role": "modelserving.maas.authorino_tls", "vars": role_vars}],
    }]))
    return playbook


def role_vars(namespace, **extra):
    values = {"authorino_tls_namespace": namespace, "maas_tls_ca_namespace": namespace}
    values.update(extra)
    return values


def run_role(plane, tmp_path, namespace, check=False, **extra):
    return plane.playbook(write_playbook(tmp_path, **role_vars(namespace, **extra)), check=check)


def container(deployment, name="authorino"):
    return next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name)


def env(deployment):
    return {e["name"]: e.get("value") for e in container(deployment).get("env") or []}


def test_role_enables_listener_tls_and_mounts_the_bundle_it_points_ssl_cert_file_at(plane, namespace, tmp_path):
    install_authorino(plane, namespace)
    run = run_role(plane, tmp_path, namespace)
    assert run.ok, run.explain()

    cr = plane.get("authorino", "authorino", namespace)
    assert cr["spec"]["listener"]["tls"] == {"enabled": True, "certSecretRef": {"name": "authorino-server-cert"}}
    # The Authorino operator mounts each spec.volumes item as a projected volume at its mountPath,
    # each KeyToPath item becoming <mountPath>/<path> (authorino-operator pkg/reconcilers).
    [volume] = cr["spec"]["volumes"]["items"]
    assert volume["configMaps"] == ["maas-ca-bundle"]
    mounted_file = "%s/%s" % (volume["mountPath"], volume["items"][0]["path"])
    deployment = plane.get("deployment", "authorino", namespace)
    assert env(deployment) == {"SSL_CERT_FILE": mounted_file, "REQUESTS_CA_BUNDLE": mounted_file}

    secret = plane.get("secret", "authorino-server-cert", namespace)
    assert secret["type"] == "kubernetes.io/tls"
    cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert f"authorino-authorino-authorization.{namespace}.svc" in names
    # The bundle holds the shared CA, the one that signs maas-api's certificate too.
    bundle = plane.get("configmap", "maas-ca-bundle", namespace)["data"]["ca.crt"]
    assert bundle == base64.b64decode(plane.get("secret", "maas-ca", namespace)["data"]["tls.crt"]).decode()
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert set(annotations) == {"maas.opendatahub.io/ca-sha256", "maas.opendatahub.io/serving-cert-sha256"}


def test_second_run_reports_no_change_and_writes_nothing(plane, namespace, tmp_path):
    install_authorino(plane, namespace)
    assert run_role(plane, tmp_path, namespace).ok
    mark = plane.audit_mark()
    again = run_role(plane, tmp_path, namespace)
    assert again.ok, again.explain()
    assert again.changed == 0, again.changed_tasks()
    assert writes(plane.audited(mark, ["get authorinos", "get deployments"])) == []


def test_patched_authorino_and_deployment_pass_the_real_schemas(plane, namespace, tmp_path):
    install_authorino(plane, namespace)
    assert run_role(plane, tmp_path, namespace).ok
    for kind, name in (("authorino", "authorino"), ("deployment", "authorino")):
        live = plane.get(kind, name, namespace)
        clean = copy.deepcopy(live)
        for field in ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation"):
            clean["metadata"].pop(field, None)
        clean.pop("status", None)
        proc = plane.dry_run(clean)
        assert proc.returncode == 0, proc.stderr


def test_kept_volumes_of_others_and_only_ours_replaced(plane, namespace, tmp_path):
    install_authorino(plane, namespace)
    theirs = {"name": "their-certs", "mountPath": "/etc/their", "secrets": ["their-secret"]}
    plane.kubectl("patch", "authorino", "authorino", "-n", namespace, "--type=merge",
                  "-p", json.dumps({"spec": {"volumes": {"items": [theirs]}}}))
    assert run_role(plane, tmp_path, namespace).ok
    items = plane.get("authorino", "authorino", namespace)["spec"]["volumes"]["items"]
    assert [i["name"] for i in items] == ["their-certs", "maas-ca-bundle"]
    assert items[0] == theirs


def test_deployment_mount_when_the_crd_lacks_volumes(plane, namespace, tmp_path):
    install_authorino(plane, namespace)
    run = run_role(plane, tmp_path, namespace, authorino_tls_trust_mount="deployment")
    assert run.ok, run.explain()
    assert "volumes" not in plane.get("authorino", "authorino", namespace)["spec"]
    deployment = plane.get("deployment", "authorino", namespace)
    [mount] = container(deployment)["volumeMounts"]
    [volume] = deployment["spec"]["template"]["spec"]["volumes"]
    assert volume["configMap"]["name"] == "maas-ca-bundle" and mount["name"] == volume["name"]
    assert env(deployment)["SSL_CERT_FILE"] == "%s/%s" % (mount["mountPath"], volume["configMap"]["items"][0]["path"])
    assert run_role(plane, tmp_path, namespace, authorino_tls_trust_mount="deployment").changed == 0


def test_renewing_the_certificate_rolls_authorino_out(plane, namespace, tmp_path):
    install_authorino(plane, namespace)
    assert run_role(plane, tmp_path, namespace).ok
    before = plane.get("deployment", "authorino", namespace)["spec"]["template"]["metadata"]["annotations"]
    run = run_role(plane, tmp_path, namespace, authorino_tls_dns_names=["authorino.example"])
    assert run.ok, run.explain()
    after = plane.get("deployment", "authorino", namespace)["spec"]["template"]["metadata"]["annotations"]
    assert after["maas.opendatahub.io/serving-cert-sha256"] != before["maas.opendatahub.io/serving-cert-sha256"]
    assert after["maas.opendatahub.io/ca-sha256"] == before["maas.opendatahub.io/ca-sha256"]


def test_check_mode_changes_nothing(plane, namespace, tmp_path):
    install_authorino(plane, namespace)
    run = run_role(plane, tmp_path, namespace, check=True)
    assert run.ok, run.explain()
    assert plane.get("authorino", "authorino", namespace)["spec"]["listener"]["tls"] == {"enabled": False}
    assert plane.get("secret", "authorino-server-cert", namespace) is None


def test_tls_backend_disabled_skips_everything(plane, namespace, tmp_path):
    install_authorino(plane, namespace)
    mark = plane.audit_mark()
    run = run_role(plane, tmp_path, namespace, maas_tls_backend=False)
    assert run.ok and run.changed == 0
    assert plane.audited(mark) == []


def test_openshift_provider_annotates_the_service_and_the_bundle(plane, namespace, tmp_path):
    install_authorino(plane, namespace)
    # OpenShift's service CA would create the Secret; here the test plays that part.
    plane.module("modelserving.maas.tls_certificate", ca={"name": "service-ca", "namespace": namespace},
                 certificates=[{"name": "authorino-server-cert", "namespace": namespace, "dns_names": ["x.svc"]}])
    run = run_role(plane, tmp_path, namespace, maas_tls_provider="openshift")
    assert run.ok, run.explain()
    service = plane.get("service", "authorino-authorino-authorization", namespace)
    assert service["metadata"]["annotations"]["service.beta.openshift.io/serving-cert-secret-name"] == \
        "authorino-server-cert"
    bundle = plane.get("configmap", "maas-ca-bundle", namespace)
    assert bundle["metadata"]["annotations"]["service.beta.openshift.io/inject-cabundle"] == "true"
    items = plane.get("authorino", "authorino", namespace)["spec"]["volumes"]["items"]
    assert items[0]["items"] == [{"key": "service-ca.crt", "path": "ca-bundle.crt"}]
    assert plane.get("secret", "maas-ca", namespace) is None, "no CA of ours with the service CA"


def test_provided_secret_missing_is_a_clear_failure(plane, namespace, tmp_path):
    install_authorino(plane, namespace)
    run = run_role(plane, tmp_path, namespace, maas_tls_provider="provided")
    assert not run.ok
    message = json.dumps(run.output)
    assert f"Secret {namespace}/authorino-server-cert does not exist" in message


def test_cert_manager_without_its_crds_names_what_is_missing(plane, namespace, tmp_path):
    install_authorino(plane, namespace)
    run = run_role(plane, tmp_path, namespace, maas_tls_provider="cert-manager")
    assert not run.ok
    assert "feature 'cert_manager' needs CRDs certificates.cert-manager.io" in json.dumps(run.output)


def test_missing_authorino_is_a_clear_failure(plane, namespace, tmp_path):
    run = run_role(plane, tmp_path, namespace)
    assert not run.ok
    assert f"Authorino {namespace}/authorino does not exist" in json.dumps(run.output)


@pytest.fixture(autouse=True)
def _role_collection_is_linked():
    assert (REPO / ".collections" / "ansible_collections" / "modelserving" / "maas").exists(), "run `make collections`"
