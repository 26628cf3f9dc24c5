"""Kuadrant mTLS (role kuadrant_mtls, module envoyfilter_mtls, playbook reconcile.yml) on the local plane.

The plane runs no operators: the platform stand-ins and the EnvoyFilters the Kuadrant operator
would generate are created from fixtures, and "the operator rewrote a filter" is a PUT of the
filter with fresh configPatches by another user, as the operator does it.
"""

import copy
import json
import sys

import pytest
import yaml

from plane import REPO, writes

sys.path.insert(0, str(REPO / ".collections"))

from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client  # noqa: E402
from ansible_collections.modelserving.maas.plugins.module_utils._mesh.envoyfilter import (  # noqa: E402
    mtls_transport_socket,
    reconcile_envoyfilter,
)
from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import Cluster  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures"
RECONCILE = REPO / "playbooks" / "reconcile.yml"
GATEWAY_NS = "openshift-ingress"
KUADRANT_NS = "kuadrant-system"
AUTH = "kuadrant-auth-maas-default-gateway"
RATELIMIT = "kuadrant-ratelimiting-maas-default-gateway"
WASM = "kuadrant-maas-default-gateway"
OTHER = "maas-model-access-logs"
SIDECAR = "sidecar.istio.io/inject"


def load(name):
    return list(yaml.safe_load_all((FIXTURES / name).read_text()))


def fixture_filter(name):
    return next(doc for doc in load("kuadrant-envoyfilters.yaml") if doc["metadata"]["name"] == name)


@pytest.fixture
def kuadrant(plane, monkeypatch):
    """Fresh platform stand-ins and operator-generated EnvoyFilters; restored afterwards."""
    monkeypatch.setenv("ANSIBLE_SHOW_CUSTOM_STATS", "1")

    def reset():
        plane.kubectl("delete", "envoyfilters", "--all", "-n", GATEWAY_NS, "--ignore-not-found")
        plane.kubectl("delete", "peerauthentications", "--all", "-n", KUADRANT_NS, "--ignore-not-found")
        plane.kubectl("delete", "deployment", "authorino", "limitador-limitador", "-n", KUADRANT_NS,
                      "--ignore-not-found")
        plane.kubectl("delete", "kuadrant", "kuadrant", "-n", KUADRANT_NS, "--ignore-not-found")
        plane.apply(*load("platform.yaml"), *load("kuadrant-envoyfilters.yaml"))

    reset()
    yield plane
    reset()


def reconcile(plane, check=False, **extra_vars):
    extra_vars.setdefault("maas_reconcile_policies", False)
    run = plane.playbook(RECONCILE, extra_vars=extra_vars, check=check)
    assert run.ok, run.explain()
    return run


def stats(run):
    """The drift part of the custom stats (the policy counts are tested with maas_policies)."""
    published = run.output["global_custom_stats"]
    return {key: published[key] for key in ("drift_count", "drifted")}


def envoyfilter(plane, name):
    return plane.get("envoyfilter", name, GATEWAY_NS)


def sockets(plane, name):
    return [p["patch"].get("value", {}).get("transport_socket") for p in envoyfilter(plane, name)["spec"]["configPatches"]]


def operator_rewrites(plane, name):
    """What the Kuadrant operator does on every topology change: PUT its own configPatches back."""
    live = envoyfilter(plane, name)
    live["spec"] = fixture_filter(name)["spec"]
    plane.kubectl("replace", "-f", "-", input=json.dumps(live))


ENVOYFILTER_MODE = {"kuadrant_mtls_mode": "envoyfilter"}


def test_enabling_gives_the_auth_and_ratelimit_clusters_the_mesh_socket(kuadrant):
    run = reconcile(kuadrant, **ENVOYFILTER_MODE)
    assert sockets(kuadrant, AUTH) == [mtls_transport_socket()]
    assert sockets(kuadrant, RATELIMIT) == [mtls_transport_socket()]
    # the Wasm filter and the Wasm-server cluster, and filters that are not Kuadrant's, stay as generated
    assert envoyfilter(kuadrant, WASM)["spec"] == fixture_filter(WASM)["spec"]
    assert envoyfilter(kuadrant, OTHER)["spec"] == fixture_filter(OTHER)["spec"]
    for deployment in ("authorino", "limitador-limitador"):
        labels = kuadrant.get("deployment", deployment, KUADRANT_NS)["spec"]["template"]["metadata"]["labels"]
        assert labels[SIDECAR] == "true"
    assert kuadrant.get("peerauthentication", "default", KUADRANT_NS)["spec"] == {"mtls": {"mode": "STRICT"}}
    assert f"EnvoyFilter {GATEWAY_NS}/{AUTH}" in stats(run)["drifted"]


def test_a_second_run_changes_nothing_and_sends_no_write(kuadrant):
    reconcile(kuadrant, **ENVOYFILTER_MODE)
    mark = kuadrant.audit_mark()
    again = reconcile(kuadrant, **ENVOYFILTER_MODE)
    assert again.changed == 0, again.changed_tasks()
    assert stats(again) == {"drift_count": 0, "drifted": []}
    assert writes(kuadrant.audited(mark, ["list envoyfilters", "list deployments"])) == []


def test_an_operator_rewrite_is_reverted_in_that_filter_only(kuadrant):
    reconcile(kuadrant, **ENVOYFILTER_MODE)
    operator_rewrites(kuadrant, RATELIMIT)
    assert sockets(kuadrant, RATELIMIT) == [None]

    mark = kuadrant.audit_mark()
    run = reconcile(kuadrant, **ENVOYFILTER_MODE)
    assert run.changed_tasks() == ["modelserving.maas.kuadrant_mtls : Put the mesh transport_socket into the Kuadrant EnvoyFilters"]
    assert stats(run) == {"drift_count": 1, "drifted": [f"EnvoyFilter {GATEWAY_NS}/{RATELIMIT}"]}
    assert sockets(kuadrant, RATELIMIT) == [mtls_transport_socket()]
    written = writes(kuadrant.requests_since(mark))
    assert [(e["verb"], e["objectRef"]["name"]) for e in written] == [("patch", RATELIMIT)]


def test_check_mode_reports_the_drift_and_leaves_it(kuadrant):
    reconcile(kuadrant, **ENVOYFILTER_MODE)
    operator_rewrites(kuadrant, AUTH)
    mark = kuadrant.audit_mark()
    run = reconcile(kuadrant, check=True, **ENVOYFILTER_MODE)
    assert stats(run)["drift_count"] == 1
    assert sockets(kuadrant, AUTH) == [None]
    assert all("dryRun=All" in e["requestURI"]
               for e in writes(kuadrant.audited(mark, ["list envoyfilters", "patch envoyfilters"])))


def test_disabling_relaxes_peer_authentication_and_restores_the_generated_filters(kuadrant):
    reconcile(kuadrant, **ENVOYFILTER_MODE)
    run = reconcile(kuadrant, kuadrant_mtls_state="disabled", **ENVOYFILTER_MODE)
    for name in (AUTH, RATELIMIT, WASM, OTHER):
        assert envoyfilter(kuadrant, name)["spec"] == fixture_filter(name)["spec"], name
    assert kuadrant.get("peerauthentication", "default", KUADRANT_NS)["spec"] == {"mtls": {"mode": "PERMISSIVE"}}
    labels = kuadrant.get("deployment", "authorino", KUADRANT_NS)["spec"]["template"]["metadata"]["labels"]
    assert labels[SIDECAR] == "true"
    assert stats(run)["drift_count"] == 3
    assert reconcile(kuadrant, kuadrant_mtls_state="disabled", **ENVOYFILTER_MODE).changed == 0


def test_disabling_can_delete_peer_authentication_and_sidecar_label(kuadrant):
    reconcile(kuadrant, **ENVOYFILTER_MODE)
    reconcile(kuadrant, kuadrant_mtls_state="disabled", kuadrant_mtls_disable_action="delete",
              kuadrant_mtls_remove_sidecar_label=True, **ENVOYFILTER_MODE)
    assert kuadrant.list("peerauthentications", KUADRANT_NS) == []
    for deployment in ("authorino", "limitador-limitador"):
        labels = kuadrant.get("deployment", deployment, KUADRANT_NS)["spec"]["template"]["metadata"]["labels"]
        assert SIDECAR not in labels
    assert sockets(kuadrant, AUTH) == [None]


def test_component_scope_secures_only_the_chosen_components(kuadrant):
    reconcile(kuadrant, kuadrant_mtls_components=["limitador"], kuadrant_mtls_peer_authentication_scope="component",
              **ENVOYFILTER_MODE)
    [peer] = kuadrant.list("peerauthentications", KUADRANT_NS)
    assert peer["metadata"]["name"] == "limitador-mtls"
    assert peer["spec"] == {"selector": {"matchLabels": {"app": "limitador"}}, "mtls": {"mode": "STRICT"}}
    assert sockets(kuadrant, RATELIMIT) == [mtls_transport_socket()]
    assert sockets(kuadrant, AUTH) == [None]
    labels = kuadrant.get("deployment", "authorino", KUADRANT_NS)["spec"]["template"]["metadata"]["labels"]
    assert SIDECAR not in labels

    # back to namespace scope: the per-component policy goes, `default` takes over
    reconcile(kuadrant, **ENVOYFILTER_MODE)
    assert [p["metadata"]["name"] for p in kuadrant.list("peerauthentications", KUADRANT_NS)] == ["default"]


def test_auto_mode_uses_the_kuadrant_crs_native_mtls(kuadrant):
    run = reconcile(kuadrant, kuadrant_mtls_components=["authorino"])
    assert kuadrant.get("kuadrant", "kuadrant", KUADRANT_NS)["spec"]["mtls"] == {
        "enable": True, "authorino": True, "limitador": False}
    assert stats(run) == {"drift_count": 1, "drifted": [f"Kuadrant {KUADRANT_NS}/kuadrant"]}
    # the operator does the rest: this role touched no EnvoyFilter, Deployment or PeerAuthentication
    assert sockets(kuadrant, AUTH) == [None]
    assert kuadrant.list("peerauthentications", KUADRANT_NS) == []
    assert reconcile(kuadrant, kuadrant_mtls_components=["authorino"]).changed == 0

    reconcile(kuadrant, kuadrant_mtls_state="disabled")
    assert kuadrant.get("kuadrant", "kuadrant", KUADRANT_NS)["spec"]["mtls"] == {"enable": False}


def test_native_mode_without_a_kuadrant_cr_fails_clearly(kuadrant):
    kuadrant.kubectl("delete", "kuadrant", "kuadrant", "-n", KUADRANT_NS)
    run = kuadrant.playbook(RECONCILE, extra_vars={"kuadrant_mtls_mode": "native"})
    assert not run.ok
    assert f"Kuadrant CR {KUADRANT_NS}/kuadrant" in run.proc.stdout
    assert kuadrant.get("kuadrant", "kuadrant", KUADRANT_NS) is None


def test_auto_mode_without_a_kuadrant_cr_fails_rather_than_patching_filters(kuadrant):
    kuadrant.kubectl("delete", "kuadrant", "kuadrant", "-n", KUADRANT_NS)
    run = kuadrant.playbook(RECONCILE, extra_vars={"maas_reconcile_policies": False})
    assert not run.ok
    assert "auto does not fall back to envoyfilter" in run.proc.stdout
    assert sockets(kuadrant, AUTH) == [None] and sockets(kuadrant, RATELIMIT) == [None]


def test_the_module_selects_filters_by_label_in_one_list(kuadrant):
    mark = kuadrant.audit_mark()
    result = kuadrant.module("modelserving.maas.envoyfilter_mtls", namespace=GATEWAY_NS, name_prefix="",
                             label_selector="kuadrant.io/auth=true")
    assert result["drifted"] == [AUTH] and result["drift_count"] == 1
    events = kuadrant.requests_since(mark)
    assert [e["verb"] for e in events if (e.get("objectRef") or {}).get("resource") == "envoyfilters"] == ["list", "patch"]
    assert sockets(kuadrant, RATELIMIT) == [None]


def test_the_module_diff_shows_the_added_socket(kuadrant):
    result = kuadrant.module("modelserving.maas.envoyfilter_mtls", diff=True, namespace=GATEWAY_NS,
                             clusters=["kuadrant-auth-service"])
    [entry] = result["diff"]
    assert entry["before_header"] == f"EnvoyFilter {GATEWAY_NS}/{AUTH}"
    assert "transport_socket" not in entry["before"]["spec"]["configPatches"][0]["patch"]["value"]
    assert entry["after"]["spec"]["configPatches"][0]["patch"]["value"]["transport_socket"] == mtls_transport_socket()
    assert "managedFields" not in entry["after"]["metadata"]


def test_a_write_made_after_the_read_is_not_clobbered(kuadrant):
    """The operator PUTs its filter between our LIST and our PATCH: the API server refuses our
    guarded patch, and the retry patches the operator's new version (keeping what it wrote)."""
    cluster = Cluster(get_api_client(kubeconfig=str(kuadrant.automation_kubeconfig)))
    stale = cluster.get("networking.istio.io/v1alpha3", "EnvoyFilter", AUTH, GATEWAY_NS)

    rewritten = copy.deepcopy(stale)
    rewritten["spec"]["configPatches"][0]["patch"]["value"]["connect_timeout"] = "5s"
    kuadrant.kubectl("replace", "-f", "-", input=json.dumps(rewritten))

    mark = kuadrant.audit_mark()
    status, before, after, conflicts = reconcile_envoyfilter(cluster, stale, "present")
    assert (status, conflicts) == ("drifted", 1)
    value = envoyfilter(kuadrant, AUTH)["spec"]["configPatches"][0]["patch"]["value"]
    assert value["connect_timeout"] == "5s"
    assert value["transport_socket"] == mtls_transport_socket()
    patches = [e for e in kuadrant.requests_since(mark) if e["verb"] == "patch"]
    assert [e["responseStatus"]["code"] for e in patches] == [422, 200]
