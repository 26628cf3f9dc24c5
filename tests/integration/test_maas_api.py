"""Role maas_api and module token_audience on the local plane.

Each test runs the role in namespaces of its own (maas-api, gateway, Tenant), with a Gateway of its
own, so tests do not share state. The plane runs no pods: what is checked is what the API server
stores, after its real schemas (Gateway API, Istio, Kuadrant, the MaaS CRDs) accepted it.
"""

import base64
import datetime
import json
import time
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from plane import REPO, writes

PLANE_AUDIENCE = "https://kubernetes.default.svc.cluster.local"
GATEWAY_AUDIENCE = "maas-default-gateway-sa"
LABELS = {
    "app.kubernetes.io/part-of": "models-as-a-service",
    "app.kubernetes.io/managed-by": "modelserving.maas",
    "app.kubernetes.io/component": "maas-api",
}
NAMESPACED = [
    ("serviceaccount", "maas-api"), ("role", "maas-api"), ("rolebinding", "maas-api"),
    ("deployment", "maas-api"), ("service", "maas-api"), ("httproute", "maas-api-route"),
    ("networkpolicy", "maas-authorino-allow"), ("networkpolicy", "maas-api-allow-gateway"),
    ("authpolicy", "maas-api-auth-policy"),
    ("serviceaccount", "maas-api-cleanup"), ("cronjob", "maas-api-key-cleanup"),
    ("networkpolicy", "maas-api-allow-cleanup"), ("networkpolicy", "maas-api-cleanup-restrict"),
]


@pytest.fixture
def site(plane, maas_crds, tmp_path):
    """Namespaces for maas-api, the gateway and the Tenant; a Gateway; default-tenant; a playbook."""
    api, gateway, tenant = (plane.create_namespace(p) for p in ("api", "gw", "mas"))
    plane.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                 "metadata": {"name": "maas-default-gateway", "namespace": gateway},
                 "spec": {"gatewayClassName": "openshift-default",
                          "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}},
                {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "Tenant",
                 "metadata": {"name": "default-tenant", "namespace": tenant}, "spec": {}},
                # The database the user brings (maas_api_database: provided).
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "maas-db-config", "namespace": api},
                 "stringData": {"DB_CONNECTION_URL": "postgresql://maas:secret@db.example:5432/maas"}})
    playbook = tmp_path / "maas_api.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  roles:\n"
                        "    - role: modelserving.maas.maas_api\n")
    base = {"maas_api_namespace": api, "maas_gateway_namespace": gateway, "maas_subscription_namespace": tenant}

    def run(check=False, **extra):
        return plane.playbook(playbook, extra_vars={**base, **extra}, check=check)

    yield {"api": api, "gateway": gateway, "tenant": tenant, "run": run}
    plane.kubectl("delete", "clusterrolebinding", "maas-api", "--ignore-not-found", check=False)
    for name in (api, gateway, tenant):
        plane.delete_namespace(name)


def persistent_writes(plane, mark):
    """Write requests since `mark`, except the dry-run TokenRequest that reads the audience
    (a TokenRequest stores nothing, and this one is a server-side dry run besides)."""
    return [e for e in writes(plane.audited(mark, ["get tenants", "create serviceaccounts/token"]))
            if not ((e.get("objectRef") or {}).get("subresource") == "token" and "dryRun=All" in e["requestURI"])]


def test_check_mode_on_a_new_namespace_writes_nothing(plane, site):
    mark = plane.audit_mark()
    run = site["run"](check=True)
    assert run.ok, run.explain()
    assert plane.get("deployment", "maas-api", site["api"]) is None
    assert all("dryRun" in e["requestURI"] for e in writes(plane.audited(mark, ["get tenants", "patch deployments"])))


def test_converges_with_tls_and_second_run_changes_nothing(plane, site):
    api, gateway = site["api"], site["gateway"]
    first = site["run"]()
    assert first.ok, first.explain()
    assert first.changed > 0

    mark = plane.audit_mark()
    second = site["run"]()
    assert second.ok, second.explain()
    assert second.changed == 0, second.changed_tasks()
    assert persistent_writes(plane, mark) == []

    # Everything carries the tracking labels, the cluster-scoped objects included.
    for kind, name in NAMESPACED + [("backendtlspolicy", "maas-api-backend-tls")]:
        obj = plane.get(kind, name, api)
        assert obj is not None, (kind, name)
        assert LABELS.items() <= obj["metadata"]["labels"].items(), (kind, name)
        # The Tenant lives in another namespace: an ownerReference there would get these deleted.
        assert not obj["metadata"].get("ownerReferences"), (kind, name)
    for kind in ("clusterrole", "clusterrolebinding"):
        assert LABELS.items() <= plane.get(kind, "maas-api")["metadata"]["labels"].items()
    assert plane.get("clusterrolebinding", "maas-api")["subjects"] == [
        {"kind": "ServiceAccount", "name": "maas-api", "namespace": api}]


def test_tls_serving_hardening_route_and_policies(plane, site):
    api, gateway = site["api"], site["gateway"]
    run = site["run"](maas_api_tls_min_version="1.3", maas_api_image="registry.example/maas-api:v1")
    assert run.ok, run.explain()

    pod = plane.get("deployment", "maas-api", api)["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == "registry.example/maas-api:v1"
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env["SECURE"] == "true" and env["TLS_MIN_VERSION"] == "1.3" and env["TLS_SELF_SIGNED"] == "false"
    assert env["TLS_CERT"] == "/etc/maas-api/tls/tls.crt" and env["TLS_KEY"] == "/etc/maas-api/tls/tls.key"
    assert env["DB_CONNECTION_URL"] == {"secretKeyRef": {"name": "maas-db-config", "key": "DB_CONNECTION_URL"}}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    hardened = container["securityContext"]
    assert hardened["readOnlyRootFilesystem"] is True and hardened["allowPrivilegeEscalation"] is False
    assert hardened["capabilities"] == {"drop": ["ALL"]}
    assert container["ports"] == [{"name": "https", "containerPort": 8443, "protocol": "TCP"}]
    [tls_volume] = [v for v in pod["volumes"] if v.get("secret")]
    assert tls_volume["secret"]["secretName"] == "maas-api-serving-cert"
    # The self provider issued the serving certificate maas-api mounts, and the pod template
    # carries its fingerprint so that a renewal rolls maas-api out.
    secret = plane.get("secret", "maas-api-serving-cert", api)
    assert secret["type"] == "kubernetes.io/tls"
    annotations = plane.get("deployment", "maas-api", api)["spec"]["template"]["metadata"]["annotations"]
    assert "maas.opendatahub.io/serving-cert-sha256" in annotations

    assert plane.get("service", "maas-api", api)["spec"]["ports"] == [
        {"name": "https", "port": 8443, "protocol": "TCP", "targetPort": "https"}]

    route = plane.get("httproute", "maas-api-route", api)["spec"]
    assert route["parentRefs"][0]["name"] == "maas-default-gateway"
    assert route["parentRefs"][0]["namespace"] == gateway
    prefixes = [r["matches"][0]["path"]["value"] for r in route["rules"]]
    assert prefixes == ["/v1/models", "/v1/subscriptions", "/v1/api-keys", "/maas-api"]
    assert route["rules"][3]["filters"] == [{"type": "URLRewrite", "urlRewrite": {
        "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}]
    assert all(r["backendRefs"][0]["port"] == 8443 for r in route["rules"])

    authorino = plane.get("networkpolicy", "maas-authorino-allow", api)["spec"]["ingress"][0]
    assert authorino["from"][0]["podSelector"]["matchLabels"] == {"authorino-resource": "authorino"}
    assert authorino["ports"] == [{"protocol": "TCP", "port": 8443}]
    from_gateway = plane.get("networkpolicy", "maas-api-allow-gateway", api)["spec"]["ingress"][0]
    assert from_gateway["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": gateway}}}]

    policy = plane.get("authpolicy", "maas-api-auth-policy", api)["spec"]
    assert policy["targetRef"] == {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "maas-api-route"}
    rules = policy["rules"]
    # The plane's real audience (detected with a TokenRequest) plus the gateway audience.
    assert rules["authentication"]["kubernetes-tokens"]["kubernetesTokenReview"]["audiences"] == [
        PLANE_AUDIENCE, GATEWAY_AUDIENCE]
    assert rules["metadata"]["apiKeyValidation"]["http"]["url"] == \
        f"https://maas-api.{api}.svc.cluster.local:8443/internal/v1/api-keys/validate"
    denied = [p["predicate"] for p in rules["authorization"]["deny-client-identity-headers"]["patternMatching"]["patterns"]]
    assert denied == ['!("x-maas-username" in request.headers)', '!("x-maas-group" in request.headers)',
                      '!("x-maas-key-id" in request.headers)']
    injected = rules["response"]["success"]["headers"]
    assert {h.get("key", name) for name, h in injected.items()} == {"X-MaaS-Username", "X-MaaS-Group"}
    # maas-api's internal endpoints check no caller: /maas-api/internal/... is refused at the gateway.
    internal = rules["authorization"]["internal-endpoints-not-exposed"]["patternMatching"]["patterns"]
    assert internal == [{"predicate": '!request.url_path.matches("^/maas-api/+internal(/|$)")'}]

    # The plane serves BackendTLSPolicy and the CA is the shared one: the gateway verifies maas-api.
    btp = plane.get("backendtlspolicy", "maas-api-backend-tls", api)["spec"]
    assert btp["targetRefs"] == [{"group": "", "kind": "Service", "name": "maas-api", "sectionName": "https"}]
    assert btp["validation"]["hostname"] == f"maas-api.{api}.svc.cluster.local"
    assert btp["validation"]["caCertificateRefs"] == [{"group": "", "kind": "ConfigMap", "name": "maas-ca-bundle"}]
    assert "ca.crt" in plane.get("configmap", "maas-ca-bundle", api)["data"]
    assert plane.get("destinationrule", "maas-api-backend-tls", gateway) is None


def test_destination_rule_instead_then_plain_http_removes_tls_origination(plane, site):
    api, gateway = site["api"], site["gateway"]
    first = site["run"]()
    assert first.ok, first.explain()
    assert plane.get("backendtlspolicy", "maas-api-backend-tls", api) is not None

    # A cluster without BackendTLSPolicy gets a DestinationRule; the BackendTLSPolicy goes. A CA
    # Secret you name is used as it is, and the role publishes none of its own.
    dr_run = site["run"](maas_api_backend_tls_kind="DestinationRule", maas_api_backend_ca_secret="maas-api-ca")
    assert dr_run.ok, dr_run.explain()
    assert plane.get("backendtlspolicy", "maas-api-backend-tls", api) is None
    dr = plane.get("destinationrule", "maas-api-backend-tls", gateway)
    assert LABELS.items() <= dr["metadata"]["labels"].items()
    fqdn = f"maas-api.{api}.svc.cluster.local"
    assert dr["spec"]["host"] == fqdn
    assert dr["spec"]["trafficPolicy"]["portLevelSettings"] == [{
        "port": {"number": 8443},
        "tls": {"mode": "SIMPLE", "sni": fqdn, "credentialName": "maas-api-ca", "subjectAltNames": [fqdn]}}]
    assert plane.get("secret", "maas-api-backend-ca", gateway) is None

    # Without a CA Secret of yours, the self provider's CA is published and verified against.
    published = site["run"](maas_api_backend_tls_kind="DestinationRule")
    assert published.ok, published.explain()
    assert dr_tls(plane, site) == {"mode": "SIMPLE", "sni": fqdn, "credentialName": "maas-api-backend-ca",
                                   "subjectAltNames": [fqdn]}
    assert plane.get("secret", "maas-api-backend-ca", gateway) is not None

    plain = site["run"](maas_tls_backend=False)
    assert plain.ok, plain.explain()
    assert plane.get("destinationrule", "maas-api-backend-tls", gateway) is None
    assert plane.get("secret", "maas-api-backend-ca", gateway) is None
    assert plane.get("backendtlspolicy", "maas-api-backend-tls", api) is None
    assert plane.get("service", "maas-api", api)["spec"]["ports"] == [
        {"name": "http", "port": 8080, "protocol": "TCP", "targetPort": "http"}]
    container = plane.get("deployment", "maas-api", api)["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["SECURE"] == "false" and not {"TLS_CERT", "TLS_KEY", "TLS_MIN_VERSION"} & env.keys()
    assert not any("tls" in m["name"] for m in container["volumeMounts"])
    url = plane.get("authpolicy", "maas-api-auth-policy", api)["spec"]["rules"]["metadata"]["apiKeyValidation"]["http"]["url"]
    assert url == f"http://maas-api.{api}.svc.cluster.local:8080/internal/v1/api-keys/validate"
    route = plane.get("httproute", "maas-api-route", api)["spec"]
    assert all(r["backendRefs"][0]["port"] == 8080 for r in route["rules"])

    mark = plane.audit_mark()
    again = site["run"](maas_tls_backend=False)
    assert again.ok and again.changed == 0, again.changed_tasks()
    assert persistent_writes(plane, mark) == []


def test_audiences_override_and_database_secret_without_logging_it(plane, site):
    api = site["api"]
    password = "pw-" + uuid.uuid4().hex
    run = site["run"](maas_token_audiences=["https://oidc.example.com/cluster"],
                      maas_api_db_connection_url=f"postgresql://maas:{password}@db:5432/maas")
    assert run.ok, run.explain()
    assert password not in run.proc.stdout and password not in run.proc.stderr
    audiences = plane.get("authpolicy", "maas-api-auth-policy", api)["spec"]["rules"]["authentication"][
        "kubernetes-tokens"]["kubernetesTokenReview"]["audiences"]
    assert audiences == ["https://oidc.example.com/cluster", GATEWAY_AUDIENCE]
    secret = plane.get("secret", "maas-db-config", api)
    assert LABELS.items() <= secret["metadata"]["labels"].items()

    mark = plane.audit_mark()
    again = site["run"](maas_token_audiences=["https://oidc.example.com/cluster"],
                        maas_api_db_connection_url=f"postgresql://maas:{password}@db:5432/maas")
    assert again.ok and again.changed == 0, again.changed_tasks()
    # With the audiences given, not even a TokenRequest is made.
    assert writes(plane.audited(mark, ["get tenants", "get secrets"])) == []


def test_tls_min_version_1_1_is_refused_before_anything_is_applied(plane, site):
    run = site["run"](maas_api_tls_min_version="1.1")
    assert not run.ok
    assert "maas_api_tls_min_version must be one of: 1.2, 1.3, got: 1.1" in run.proc.stdout
    assert plane.get("deployment", "maas-api", site["api"]) is None


@pytest.mark.parametrize("variables, message", [
    ({"maas_api_image": "quay.io/opendatahub/maas api:latest"},
     'maas_api_image \\"quay.io/opendatahub/maas api:latest\\" is not an image reference'),
    ({"maas_token_audiences": "not-a-list"}, 'maas_token_audiences must be a list of audiences, not \\"not-a-list\\"'),
])
def test_a_malformed_image_or_audience_list_is_refused_before_anything_is_applied(plane, site, variables, message):
    run = site["run"](**variables)
    assert not run.ok
    assert message in run.proc.stdout, run.explain()
    assert plane.get("deployment", "maas-api", site["api"]) is None


def test_objects_in_the_tenant_namespace_are_owned_by_the_tenant(plane, site):
    tenant_ns = site["tenant"]
    run = site["run"](maas_api_namespace=tenant_ns, maas_api_db_connection_url="postgresql://maas:pw@db:5432/maas")
    assert run.ok, run.explain()
    uid = plane.get("tenant", "default-tenant", tenant_ns)["metadata"]["uid"]
    for kind, name in NAMESPACED:
        refs = plane.get(kind, name, tenant_ns)["metadata"].get("ownerReferences")
        assert refs == [{"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "Tenant",
                         "name": "default-tenant", "uid": uid}], (kind, name)
    # Cluster-scoped objects cannot have a namespaced owner; the labels find them.
    assert not plane.get("clusterrole", "maas-api")["metadata"].get("ownerReferences")


def test_an_owner_reference_across_namespaces_gets_the_object_deleted(plane, site):
    """Why only objects in the Tenant's namespace get an ownerReference: the garbage collector looks
    for a namespaced owner in the dependent's own namespace, finds none, and deletes the dependent."""
    tenant = plane.get("tenant", "default-tenant", site["tenant"])
    owner = {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "Tenant", "name": "default-tenant",
             "uid": tenant["metadata"]["uid"]}
    plane.apply({"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "cross-namespace-dependent", "namespace": site["api"],
                              "ownerReferences": [owner]}, "data": {"a": "b"}})
    deadline = time.monotonic() + 120  # the GC's pace, not asserted
    while plane.get("configmap", "cross-namespace-dependent", site["api"]) is not None:
        assert time.monotonic() < deadline, "the garbage collector kept the cross-namespace dependent"
        time.sleep(2)
    events = json.loads(plane.kubectl("get", "events", "-n", site["api"], "-o", "json").stdout)["items"]
    assert any(e["reason"] == "OwnerRefInvalidNamespace" and e["involvedObject"]["name"] == "cross-namespace-dependent"
               for e in events)


def test_token_audience_returns_the_plane_audience_and_never_the_token(plane, namespace):
    mark = plane.audit_mark()
    result = plane.module("modelserving.maas.token_audience", namespace=namespace)
    assert result.get("failed") is not True, result
    assert result["detected"] == [PLANE_AUDIENCE]
    assert result["issuer"] == PLANE_AUDIENCE
    assert result["audiences"] == [PLANE_AUDIENCE, GATEWAY_AUDIENCE]
    assert result["changed"] is False
    # A JWT starts with the base64url of '{"' ("eyJ"); nothing in the result looks like one.
    assert "eyJ" not in json.dumps(result)
    [request] = [e for e in plane.requests_since(mark) if (e.get("objectRef") or {}).get("subresource") == "token"]
    assert request["verb"] == "create" and "dryRun=All" in request["requestURI"]


def test_token_audience_override_makes_no_request(plane):
    mark = plane.audit_mark()
    result = plane.module("modelserving.maas.token_audience", override_audiences=["https://issuer.example"],
                          extra_audiences=["maas-default-gateway-sa", "https://issuer.example"])
    assert result["audiences"] == ["https://issuer.example", GATEWAY_AUDIENCE]
    assert result["source"] == "override"
    assert plane.audited(mark) == []


def test_token_audience_names_the_missing_service_account(plane, namespace):
    result = plane.module("modelserving.maas.token_audience", namespace=namespace, service_account="nobody",
                          wait_timeout=0)
    assert result.get("failed") is True
    assert f"ServiceAccount {namespace}/nobody" in result["msg"] and "maas_token_audiences" in result["msg"]


def test_token_audience_in_check_mode_reads_a_namespace_not_created_yet_through_default(plane):
    missing = "maas-audience-not-yet"
    result = plane.module("modelserving.maas.token_audience", check=True, namespace=missing)
    assert result.get("failed") is not True, result.get("msg")
    assert result["detected"] == [PLANE_AUDIENCE]
    assert [w for w in result.get("warnings", []) if f"namespace {missing} does not exist yet" in w]


def test_token_audience_fails_at_once_when_the_namespace_is_missing(plane):
    # A missing namespace does not appear by itself: one request, no retrying until wait_timeout.
    mark = plane.audit_mark()
    result = plane.module("modelserving.maas.token_audience", namespace="maas-audience-missing", wait_timeout=600)
    assert result.get("failed") is True
    assert 'namespaces "maas-audience-missing" not found' in result["msg"]
    assert len([e for e in plane.requests_since(mark) if (e.get("objectRef") or {}).get("subresource") == "token"]) == 1


def test_role_documents_every_default():
    import yaml

    defaults = yaml.safe_load((REPO / "roles/maas_api/defaults/main.yml").read_text())
    specs = yaml.safe_load((REPO / "roles/maas_api/meta/argument_specs.yml").read_text())
    assert set(defaults) == set(specs["argument_specs"]["main"]["options"])


def test_the_tenant_oidc_issuer_authenticates_jwts_for_maas_api(plane, site):
    """Tenant spec.externalOIDC adds a JWT rule; its identities are stamped, client-bound and their
    groups checked, and feed the same identity headers (the real AuthPolicy schema accepts it all)."""
    api = site["api"]
    before = site["run"](maas_token_audiences=["https://oidc.example.com/cluster"])
    assert before.ok, before.explain()
    rules = plane.get("authpolicy", "maas-api-auth-policy", api)["spec"]["rules"]
    assert "oidc-identities" not in rules["authentication"]
    plane.apply({"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "Tenant",
                 "metadata": {"name": "default-tenant", "namespace": site["tenant"]},
                 "spec": {"externalOIDC": {"issuerUrl": "https://idp.example.com/realms/maas",
                                           "clientId": "maas-client"}}})
    run = site["run"](maas_token_audiences=["https://oidc.example.com/cluster"])
    assert run.ok, run.explain()
    rules = plane.get("authpolicy", "maas-api-auth-policy", api)["spec"]["rules"]
    oidc = rules["authentication"]["oidc-identities"]
    assert oidc["jwt"] == {"issuerUrl": "https://idp.example.com/realms/maas", "ttl": 300}
    assert oidc["overrides"] == {"maas_source": {"value": "oidc"}}
    assert rules["authentication"]["kubernetes-tokens"]["priority"] == 2
    assert '"maas-client"' in rules["authorization"]["oidc-client-bound"]["patternMatching"]["patterns"][0]["predicate"]
    assert "oidc-groups-safe" in rules["authorization"]
    headers = rules["response"]["success"]["headers"]
    assert headers["X-MaaS-Group-Oidc"]["key"] == "X-MaaS-Group"
    assert headers["X-MaaS-Username-Oidc"]["key"] == "X-MaaS-Username"


# --- Gateway -> maas-api verification through the DestinationRule -------------------------------

def dr_tls(plane, site):
    rule = plane.get("destinationrule", "maas-api-backend-tls", site["gateway"])
    return rule["spec"]["trafficPolicy"]["portLevelSettings"][0]["tls"]


def certificate(secret, key):
    return x509.load_pem_x509_certificate(base64.b64decode(secret["data"][key]))


def published_ca(plane, site):
    return certificate(plane.get("secret", "maas-api-backend-ca", site["gateway"]), "ca.crt")


def serving_certificate(plane, site):
    return certificate(plane.get("secret", "maas-api-serving-cert", site["api"]), "tls.crt")


def warnings_about_verification(run):
    return [r["msg"] for r in run.task_results().values() if "without verifying" in str(r.get("msg", ""))]


def test_with_self_the_gateway_verifies_maas_api_against_the_ca_that_signed_it(plane, site):
    run = site["run"](maas_api_backend_tls_kind="DestinationRule")
    assert run.ok, run.explain()
    fqdn = f"maas-api.{site['api']}.svc.cluster.local"
    assert dr_tls(plane, site) == {"mode": "SIMPLE", "sni": fqdn, "credentialName": "maas-api-backend-ca",
                                   "subjectAltNames": [fqdn]}
    assert warnings_about_verification(run) == []
    secret = plane.get("secret", "maas-api-backend-ca", site["gateway"])
    # Tracked for uninstall like everything the role writes outside maas-api's namespace.
    assert LABELS.items() <= secret["metadata"]["labels"].items()
    assert set(secret["data"]) == {"ca.crt"}, "only the public CA, never a key"
    ca, leaf = published_ca(plane, site), serving_certificate(plane, site)
    leaf.verify_directly_issued_by(ca)  # raises unless the published CA's key signed maas-api's certificate
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert fqdn in names.get_values_for_type(x509.DNSName)

    mark = plane.audit_mark()
    again = site["run"](maas_api_backend_tls_kind="DestinationRule")
    assert again.ok and again.changed == 0, again.changed_tasks()
    assert persistent_writes(plane, mark) == []


def near_expiry_ca():
    """A CA as tls_certificate issues one, 10 days from its end: inside the 30-day renewal window."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "modelserving.maas CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    usage = x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=355))
            .not_valid_after(now + datetime.timedelta(days=10))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    data = {"tls.crt": pem, "tls.key": key_pem, "ca.crt": pem}
    return cert, {k: base64.b64encode(v).decode() for k, v in data.items()}


def sha256(cert):
    return cert.fingerprint(hashes.SHA256())


def test_a_rotated_ca_is_republished_for_the_gateway_in_the_same_run(plane, site):
    first = site["run"](maas_api_backend_tls_kind="DestinationRule")
    assert first.ok, first.explain()
    # The shared CA reaches its renewal window (here: the collection's CA replaced by one that has).
    old_ca, data = near_expiry_ca()
    plane.apply({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                 "metadata": {"name": "maas-ca", "namespace": site["api"]}, "data": data},
                manager="modelserving.maas")
    rotated = site["run"](maas_api_backend_tls_kind="DestinationRule")
    assert rotated.ok, rotated.explain()
    new_ca = certificate(plane.get("secret", "maas-ca", site["api"]), "tls.crt")
    assert sha256(new_ca) != sha256(old_ca), "the CA was not renewed"
    published = published_ca(plane, site)
    assert sha256(published) == sha256(new_ca)
    serving_certificate(plane, site).verify_directly_issued_by(published)
    assert "PRIVATE KEY" not in rotated.proc.stdout


def test_an_unknown_ca_keeps_insecure_skip_verify_and_warns_until_the_openshift_service_ca_appears(plane, site):
    # openshift on a cluster without OpenShift's service-CA ConfigMap: the CA is unknown.
    unknown = site["run"](maas_api_tls_provider="openshift", maas_api_backend_tls_kind="DestinationRule")
    assert unknown.ok, unknown.explain()
    fqdn = f"maas-api.{site['api']}.svc.cluster.local"
    assert dr_tls(plane, site) == {"mode": "SIMPLE", "sni": fqdn, "insecureSkipVerify": True}
    [warning] = warnings_about_verification(unknown)
    assert "maas_api_backend_ca_configmap" in warning and "maas_api_backend_ca_secret" in warning
    assert plane.get("secret", "maas-api-backend-ca", site["gateway"]) is None

    # OpenShift fills openshift-service-ca.crt in every namespace; then the service CA is published.
    service_ca = near_expiry_ca()[0]
    plane.apply({"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "openshift-service-ca.crt", "namespace": site["api"]},
                 "data": {"service-ca.crt": service_ca.public_bytes(serialization.Encoding.PEM).decode()}})
    known = site["run"](maas_api_tls_provider="openshift", maas_api_backend_tls_kind="DestinationRule")
    assert known.ok, known.explain()
    tls = dr_tls(plane, site)
    assert tls["credentialName"] == "maas-api-backend-ca" and "insecureSkipVerify" not in tls
    assert sha256(published_ca(plane, site)) == sha256(service_ca)
    assert warnings_about_verification(known) == []


def test_check_mode_publishes_nothing(plane, site):
    run = site["run"](check=True, maas_api_backend_tls_kind="DestinationRule")
    assert run.ok, run.explain()
    assert plane.get("secret", "maas-api-backend-ca", site["gateway"]) is None
    assert plane.get("destinationrule", "maas-api-backend-tls", site["gateway"]) is None
