"""modelserving.maas.tls_certificate on the real API server: issue, keep, renew, never leak a key."""

import ast
import base64
import json

import yaml
from cryptography import x509

from plane import REPO, writes

MODULE = "modelserving.maas.tls_certificate"


def request(namespace, dns_names=("maas-api", "maas-api.{ns}.svc"), bundles=True):
    return dict(
        ca={"name": "maas-ca", "namespace": namespace},
        certificates=[{"name": "maas-api-serving-cert", "namespace": namespace,
                       "dns_names": [d.format(ns=namespace) for d in dns_names]},
                      {"name": "authorino-server-cert", "namespace": namespace,
                       "dns_names": ["authorino-authorino-authorization.%s.svc" % namespace]}],
        ca_bundles=[{"name": "maas-ca-bundle", "namespace": namespace}] if bundles else [],
    )


def secret_text(plane, namespace, name, key):
    data = plane.get("secret", name, namespace)["data"]
    return base64.b64decode(data[key]).decode()


def sans(plane, namespace, name):
    cert = x509.load_pem_x509_certificate(secret_text(plane, namespace, name, "tls.crt").encode())
    return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)


def test_creates_the_ca_leaves_and_bundle_as_tls_secrets(plane, namespace):
    result = plane.module(MODULE, **request(namespace))
    assert result["changed"] is True, result
    assert result["ca"]["action"] == "created"
    assert [c["action"] for c in result["certificates"]] == ["created", "created"]
    assert result["ca_bundles"] == [{"name": "maas-ca-bundle", "namespace": namespace, "action": "created"}]

    leaf = plane.get("secret", "maas-api-serving-cert", namespace)
    assert leaf["type"] == "kubernetes.io/tls" and set(leaf["data"]) == {"tls.crt", "tls.key", "ca.crt"}
    ca_pem = secret_text(plane, namespace, "maas-ca", "tls.crt")
    assert secret_text(plane, namespace, "maas-api-serving-cert", "ca.crt") == ca_pem
    assert plane.get("configmap", "maas-ca-bundle", namespace)["data"]["ca.crt"] == result["ca_certificate_pem"]
    assert sans(plane, namespace, "maas-api-serving-cert") == ["maas-api", f"maas-api.{namespace}.svc"]


def test_a_second_run_changes_nothing_and_writes_nothing(plane, namespace):
    first = plane.module(MODULE, **request(namespace))
    mark = plane.audit_mark()
    second = plane.module(MODULE, **request(namespace))
    assert second["changed"] is False
    assert second["ca"]["action"] == "unchanged"
    assert [c["action"] for c in second["certificates"]] == ["unchanged", "unchanged"]
    assert [c["sha256_fingerprint"] for c in second["certificates"]] == \
        [c["sha256_fingerprint"] for c in first["certificates"]]
    assert writes(plane.audited(mark, ["get secrets", "get configmaps"])) == []


def test_changed_sans_renew_only_that_certificate(plane, namespace):
    first = plane.module(MODULE, **request(namespace))
    wider = ("maas-api", "maas-api.{ns}.svc", "maas-api.{ns}.svc.cluster.local")
    mark = plane.audit_mark()
    result = plane.module(MODULE, **request(namespace, dns_names=wider))
    assert result["changed"] is True
    assert result["ca"]["action"] == "unchanged"
    renewed, kept = result["certificates"]
    assert renewed["action"] == "renewed" and renewed["reason"].startswith("subject alternative names changed")
    assert kept["action"] == "unchanged" and kept["sha256_fingerprint"] == first["certificates"][1]["sha256_fingerprint"]
    assert sans(plane, namespace, "maas-api-serving-cert")[-1] == f"maas-api.{namespace}.svc.cluster.local"
    assert {e["objectRef"]["name"] for e in writes(plane.requests_since(mark))} == {"maas-api-serving-cert"}


def test_a_leaf_edited_by_hand_is_issued_again(plane, namespace):
    plane.module(MODULE, **request(namespace))
    other = plane.get("secret", "authorino-server-cert", namespace)["data"]["tls.key"]
    plane.kubectl("patch", "secret", "maas-api-serving-cert", "-n", namespace, "--type=merge",
                  "-p", json.dumps({"data": {"tls.key": other}}))
    result = plane.module(MODULE, **request(namespace))
    assert result["certificates"][0]["action"] == "renewed"
    assert result["certificates"][0]["reason"] == "tls.key does not match the certificate in tls.crt"


def test_key_material_never_appears_in_output_or_diff(plane, namespace):
    created = plane.module(MODULE, diff=True, **request(namespace))
    keys = [secret_text(plane, namespace, name, "tls.key")
            for name in ("maas-ca", "maas-api-serving-cert", "authorino-server-cert")]
    raw_values = [plane.get("secret", name, namespace)["data"]["tls.key"]
                  for name in ("maas-ca", "maas-api-serving-cert", "authorino-server-cert")]
    renewed = plane.module(MODULE, diff=True, **request(namespace, dns_names=("maas-api",)))
    for output in (created, renewed):
        text = json.dumps(output)
        assert "PRIVATE KEY" not in text
        for secret in keys + raw_values:
            assert secret not in text and secret.replace("\n", "\\n") not in text
        assert output["diff"], "diff mode shows what changed"
        assert all(v.startswith("sha256:") for d in output["diff"] if d["after"].get("kind") == "Secret"
                   for v in d["after"]["data"].values())


def test_check_mode_reports_and_writes_nothing(plane, namespace):
    result = plane.module(MODULE, check=True, **request(namespace))
    assert result["changed"] is True and result["ca"]["action"] == "created"
    assert plane.get("secret", "maas-ca", namespace) is None
    assert plane.get("configmap", "maas-ca-bundle", namespace) is None


def test_absent_deletes_the_leaves_and_keeps_the_ca(plane, namespace):
    plane.module(MODULE, **request(namespace))
    result = plane.module(MODULE, state="absent", **request(namespace))
    assert result["changed"] is True
    assert [c["action"] for c in result["certificates"]] == ["deleted", "deleted"]
    assert plane.get("secret", "maas-api-serving-cert", namespace) is None
    assert plane.get("secret", "maas-ca", namespace) is not None
    again = plane.module(MODULE, state="absent", **request(namespace))
    assert again["changed"] is False


def test_an_opaque_secret_in_the_way_is_a_clear_error(plane, namespace):
    plane.kubectl("create", "secret", "generic", "maas-api-serving-cert", "-n", namespace, "--from-literal=a=b")
    result = plane.module(MODULE, **request(namespace))
    assert result.get("failed") is True
    assert f"certificates[0]: Secret {namespace}/maas-api-serving-cert exists with type Opaque" in result["msg"]
    assert plane.get("secret", "maas-ca", namespace) is None, "nothing is written when one entry is refused"


def documented_examples():
    """The tasks of the module's EXAMPLES, as (name, module arguments)."""
    source = (REPO / "plugins" / "modules" / "tls_certificate.py").read_text()
    examples = next(node.value.value for node in ast.parse(source).body
                    if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["EXAMPLES"])
    return [(task["name"], task[MODULE]) for task in yaml.safe_load(examples)]


def in_namespaces(args, namespaces):
    """`args` with every `namespace:` value mapped through `namespaces`."""
    if isinstance(args, dict):
        return {k: namespaces.get(v, v) if k == "namespace" else in_namespaces(v, namespaces) for k, v in args.items()}
    if isinstance(args, list):
        return [in_namespaces(item, namespaces) for item in args]
    return args


def test_every_documented_example_runs(plane, namespace):
    bundles = plane.create_namespace()
    try:
        namespaces = {"opendatahub": namespace, "kuadrant-system": bundles}
        examples = documented_examples()
        assert [name for name, args in examples] == [
            "The CA, maas-api's serving certificate and the bundle Authorino trusts",
            "Remove a certificate (the CA stays)"]
        for name, args in examples:
            result = plane.module(MODULE, **in_namespaces(args, namespaces))
            assert not result.get("failed") and result["changed"] is True, f"{name}: {result.get('msg')}"
        assert plane.get("secret", "maas-api-serving-cert", namespace) is None
        assert plane.get("secret", "maas-ca", namespace)["type"] == "kubernetes.io/tls"
        assert plane.get("configmap", "maas-ca-bundle", bundles) is not None
    finally:
        plane.delete_namespace(bundles)
