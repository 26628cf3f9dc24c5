"""playbooks/uninstall.yml on the real API server, after playbooks/site.yml installed the demo.

The plane is private (uninstall deletes by label across namespaces; other tests' objects on the
shared plane are none of its business). What the platform had before site.yml is read first, so
"as before" is judged against the objects themselves, not against what the test expects of them.
The tests share one plane and run in order: install (envoyfilter mTLS), check mode, uninstall, a
second uninstall, install and uninstall again on the default (native mTLS) path, then the CRDs.
"""

import json

import pytest
import yaml

from plane import REPO, Plane, writes

UNINSTALL = REPO / "playbooks/uninstall.yml"
SITE = REPO / "playbooks/site.yml"
TASK = "Remove what the collection created and give back what it patched"
OUR_LABELS = "app.kubernetes.io/managed-by in (modelserving.maas,maas-controller)"
# Every kind the collection writes, by its resource name: judged independently of the module's list.
OUR_KINDS = ("authpolicies.kuadrant.io", "tokenratelimitpolicies.kuadrant.io", "ratelimitpolicies.kuadrant.io",
             "httproutes.gateway.networking.k8s.io", "backendtlspolicies.gateway.networking.k8s.io",
             "referencegrants.gateway.networking.k8s.io", "destinationrules.networking.istio.io",
             "serviceentries.networking.istio.io", "peerauthentications.security.istio.io", "deployments",
             "services", "networkpolicies", "configmaps", "secrets", "serviceaccounts", "roles", "rolebindings",
             "clusterroles", "clusterrolebindings")
MAAS_KINDS = ("tenants", "maasmodelrefs", "maasauthpolicies", "maassubscriptions")
# What the server sets or fills in on every write; never a difference a user would call a change.
SERVER_SET = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp")
# Envoyfilter mode touches the most platform objects: sidecar labels, EnvoyFilters, PeerAuthentication.
SITE_VARS = dict(yaml.safe_load((REPO / "hack/demo/vars.yml").read_text()), kuadrant_mtls_mode="envoyfilter")


def load(name):
    return [d for d in yaml.safe_load_all((REPO / "tests/fixtures" / name).read_text()) if d]


def platform_refs():
    docs = load("platform.yaml") + load("kuadrant-envoyfilters.yaml")
    return [(d["kind"], d["metadata"]["name"], d["metadata"].get("namespace")) for d in docs]


def as_users_see(obj):
    """The object without what the server sets; status is the operators' (none run here)."""
    if obj is None:
        return None
    clean = json.loads(json.dumps(obj))
    clean.pop("status", None)
    for key in SERVER_SET:
        clean["metadata"].pop(key, None)
    return clean


def platform_snapshot(plane):
    return {ref: as_users_see(plane.get(ref[0], ref[1], ref[2])) for ref in platform_refs()}


def ours(plane):
    """Every object carrying our tracking labels, as `kind ns/name`."""
    found = json.loads(plane.kubectl("get", ",".join(OUR_KINDS), "-A", "-l", OUR_LABELS, "-o", "json").stdout)
    return sorted(f"{o['kind']} " + "/".join(filter(None, (o["metadata"].get("namespace"), o["metadata"]["name"])))
                  for o in found["items"])


def maas_resources(plane):
    return sorted(f"{o['kind']} {o['metadata']['namespace']}/{o['metadata']['name']}"
                  for kind in MAAS_KINDS for o in plane.list(f"{kind}.maas.opendatahub.io"))


def uninstall_result(run):
    return run.task_results()[TASK]


def real_writes(events):
    return [e for e in writes(events) if "dryRun=All" not in e.get("requestURI", "")]


def look_alike(name, namespace):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": name, "namespace": namespace,
        "labels": {"app.kubernetes.io/managed-by": "modelserving.maas", "app.kubernetes.io/part-of": "models-as-a-service"}},
        "data": {"mine": "yes"}}


def platform_plane():
    """A plane of its own with the platform stand-ins, the MaaS CRDs, the demo's CRs and two objects a
    tenant labelled like ours."""
    plane = Plane.start_private()
    plane.apply(*load("platform.yaml"), *load("kuadrant-envoyfilters.yaml"), manager="platform-stand-in")
    crds = sorted((REPO / "roles/prerequisites/files/crds").glob("*.yaml"))
    for crd in crds:
        plane.kubectl("apply", "--server-side", "--field-manager=modelserving.maas", "-f", str(crd))
    plane.wait_established(*[f"{p.name.split('_', 1)[1].removesuffix('.yaml')}.maas.opendatahub.io" for p in crds])
    plane.apply(*yaml.safe_load((REPO / "tests/fixtures/maas-sample.yaml").read_text())["items"],
                manager="demo-fixture")
    plane.kubectl("create", "namespace", "team-x")
    # A tenant's own objects dressed as ours: one outside every MaaS namespace, one in a model's
    # namespace (llm, a tenant's) that our field manager never wrote.
    plane.apply(look_alike("dressed-up", "team-x"), look_alike("dressed-up", "llm"), manager="tenant")
    return plane


@pytest.fixture(scope="module")
def installed():
    """platform_plane(), then site.yml in envoyfilter mTLS mode. Yields (plane, platform before site.yml)."""
    plane = platform_plane()
    try:
        before = platform_snapshot(plane)
        run = plane.playbook(SITE, extra_vars=SITE_VARS)
        assert run.ok, run.explain()
        yield plane, before
    finally:
        plane.stop()


def test_check_mode_lists_what_it_would_remove_and_removes_nothing(installed):
    plane, _before = installed
    labelled = ours(plane)
    # What there is to see: site.yml made maas-api, the per-model policies and patched the platform.
    assert "Deployment opendatahub/maas-api" in labelled
    assert "AuthPolicy llm/maas-auth-facebook-opt-125m" in labelled
    platform = platform_snapshot(plane)
    mark = plane.audit_mark()

    run = plane.playbook(UNINSTALL, extra_vars=SITE_VARS, check=True)

    assert run.ok, run.explain()
    result = uninstall_result(run)
    assert set(labelled) - {"ConfigMap llm/dressed-up", "ConfigMap team-x/dressed-up"} <= set(result["deleted"])
    assert {"Authorino kuadrant-system/authorino", "Deployment kuadrant-system/authorino",
            "Deployment kuadrant-system/limitador-limitador"} <= set(result["reverted"])
    assert result["envoyfilters_reverted"], result
    events = plane.audited(mark, must_see=("list authpolicies", "delete deployments", "patch authorinos"))
    assert real_writes(events) == []
    assert ours(plane) == labelled
    assert platform_snapshot(plane) == platform


def test_uninstall_removes_what_site_made_and_gives_the_platform_back(installed):
    plane, before = installed
    crs = maas_resources(plane)
    assert crs, "the demo's MaaS resources are there to be kept"

    run = plane.playbook(UNINSTALL, extra_vars=SITE_VARS)

    assert run.ok, run.explain()
    assert run.changed > 0
    assert ours(plane) == ["ConfigMap llm/dressed-up", "ConfigMap team-x/dressed-up"]
    kept = uninstall_result(run)["kept"]
    assert "ConfigMap team-x/dressed-up: outside the collection's namespaces" in kept
    assert any(k.startswith("ConfigMap llm/dressed-up: ") and "never wrote it" in k for k in kept), kept
    after = platform_snapshot(plane)
    for ref, obj in before.items():
        assert after[ref] == obj, f"{ref} does not read as before site.yml"
    assert maas_resources(plane) == crs
    assert plane.list("peerauthentications.security.istio.io", "kuadrant-system") == []


def test_a_second_uninstall_changes_nothing_and_writes_nothing(installed):
    plane, _before = installed
    mark = plane.audit_mark()

    run = plane.playbook(UNINSTALL, extra_vars=SITE_VARS)

    assert run.ok, run.explain()
    assert run.changed == 0, run.changed_tasks()
    events = plane.audited(mark, must_see=("list authpolicies", "get authorinos", "list envoyfilters"))
    assert writes(events) == []


def test_with_native_mtls_the_kuadrant_cr_is_given_back_too(installed):
    """The default path (kuadrant_mtls_mode auto: native on this Kuadrant CRD), installed again on the
    platform the first uninstall gave back: spec.mtls on the Kuadrant CR, no EnvoyFilter touched."""
    plane, before = installed
    demo_vars = yaml.safe_load((REPO / "hack/demo/vars.yml").read_text())
    site = plane.playbook(SITE, extra_vars=demo_vars)
    assert site.ok, site.explain()
    assert plane.get("kuadrant", "kuadrant", "kuadrant-system")["spec"].get("mtls"), "site.yml set spec.mtls"

    run = plane.playbook(UNINSTALL, extra_vars=demo_vars)

    assert run.ok, run.explain()
    assert "Kuadrant kuadrant-system/kuadrant" in uninstall_result(run)["reverted"]
    assert uninstall_result(run)["envoyfilters_reverted"] == []
    assert ours(plane) == ["ConfigMap llm/dressed-up", "ConfigMap team-x/dressed-up"]
    after = platform_snapshot(plane)
    assert {ref: obj for ref, obj in after.items() if obj != before[ref]} == {}
    again = plane.playbook(UNINSTALL, extra_vars=demo_vars)
    assert again.ok and again.changed == 0, again.changed_tasks()


def test_removing_the_crds_refuses_while_maas_resources_exist(installed):
    plane, _before = installed
    crs = maas_resources(plane)

    run = plane.playbook(UNINSTALL, extra_vars=dict(SITE_VARS, maas_uninstall_crds=True))

    assert not run.ok
    message = uninstall_result(run)["msg"]
    assert "Refusing to remove the MaaS CRDs" in message and "MaaSSubscription models-as-a-service/premium" in message
    assert "maas_uninstall_force" in message
    assert maas_resources(plane) == crs
    assert plane.get("crd", "maasmodelrefs.maas.opendatahub.io") is not None


def test_forced_crd_removal_deletes_the_crds_and_the_resources(installed):
    plane, _before = installed

    run = plane.playbook(UNINSTALL, extra_vars=dict(SITE_VARS, maas_uninstall_crds=True, maas_uninstall_force=True))

    assert run.ok, run.explain()
    assert sorted(uninstall_result(run)["crds_deleted"]) == sorted(
        f"CustomResourceDefinition {kind}.maas.opendatahub.io" for kind in MAAS_KINDS + ("externalmodels",))
    for kind in MAAS_KINDS:
        assert plane.get("crd", f"{kind}.maas.opendatahub.io") is None or \
            plane.get("crd", f"{kind}.maas.opendatahub.io")["metadata"].get("deletionTimestamp")
    # Without the CRDs there is nothing left to remove: the next run changes nothing.
    again = plane.playbook(UNINSTALL, extra_vars=SITE_VARS)
    assert again.ok, again.explain()
    assert again.changed == 0, again.changed_tasks()
