"""Served versions are discovered, not assumed: on a cluster serving another version of a kind the
collection writes, a module fails naming the kind, the version expected and the versions served,
and never reads the kind's 404 as "no such object". Discovery costs one request per group version
per playbook run."""

import json
import textwrap

import pytest

from plane import Plane

TRLP_CRD = "tokenratelimitpolicies.kuadrant.io"


@pytest.fixture(scope="module")
def moved_plane():
    """A private plane whose TokenRateLimitPolicy CRD serves kuadrant.io/v1beta1 only (this collection
    writes v1alpha1): what a Kuadrant release that promoted the kind would serve."""
    plane = Plane.start_private()
    try:
        crd = json.loads(plane.kubectl("get", "crd", TRLP_CRD, "-o", "json").stdout)
        version = crd["spec"]["versions"][0]
        version.update(name="v1beta1", served=True, storage=True)
        crd["spec"]["versions"] = [version]
        crd["metadata"] = {"name": TRLP_CRD}
        crd.pop("status", None)
        plane.kubectl("delete", "crd", TRLP_CRD, "--wait=true")
        plane.kubectl("create", "-f", "-", input=json.dumps(crd))
        plane.wait_established(TRLP_CRD)
        yield plane
    finally:
        plane.stop()


def trlp(api_version, namespace, name="maas-trlp-qwen3"):
    return {"apiVersion": api_version, "kind": "TokenRateLimitPolicy",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "qwen3"},
                     "limits": {"free": {"rates": [{"limit": 100, "window": "1m"}]}}}}


EXPECTED = ("TokenRateLimitPolicy: this collection uses kuadrant.io/v1alpha1, which the cluster does not serve; "
            "it serves TokenRateLimitPolicy kuadrant.io/v1beta1.")


def test_writing_a_kind_served_at_another_version_fails_naming_both_versions(moved_plane):
    namespace = moved_plane.create_namespace()
    result = moved_plane.module("modelserving.maas.k8s_apply", objects=[trlp("kuadrant.io/v1alpha1", namespace)])
    assert result.get("failed") is True
    assert EXPECTED in result["msg"]


def test_deleting_a_kind_served_at_another_version_is_not_read_as_already_gone(moved_plane):
    namespace = moved_plane.create_namespace()
    moved_plane.apply(trlp("kuadrant.io/v1beta1", namespace))
    result = moved_plane.module("modelserving.maas.k8s_apply", state="absent",
                                objects=[trlp("kuadrant.io/v1alpha1", namespace)])
    assert result.get("failed") is True, "a 404 of the unserved version must not pass for 'absent'"
    assert EXPECTED in result["msg"]
    assert moved_plane.get("tokenratelimitpolicies.kuadrant.io", "maas-trlp-qwen3", namespace) is not None


def test_the_kind_at_a_served_version_is_written(moved_plane):
    """The same call with the version the cluster serves passes: the failure above is the version's."""
    namespace = moved_plane.create_namespace()
    result = moved_plane.module("modelserving.maas.k8s_apply", objects=[trlp("kuadrant.io/v1beta1", namespace)])
    assert result.get("failed") is not True, result.get("msg")
    assert moved_plane.get("tokenratelimitpolicies.kuadrant.io", "maas-trlp-qwen3", namespace) is not None


def destination_rules(namespace, count):
    return [{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
             "metadata": {"name": f"rule-{i}", "namespace": namespace},
             "spec": {"host": f"model-{i}.{namespace}.svc.cluster.local"}} for i in range(count)]


def test_a_playbook_run_asks_once_per_group_version_however_many_modules_and_objects(plane, namespace, tmp_path):
    play = textwrap.dedent(f"""\
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: First module call
              modelserving.maas.k8s_apply:
                objects: {json.dumps(destination_rules(namespace, 3))}
            - name: Second module call, same group version
              modelserving.maas.k8s_apply:
                objects: {json.dumps(destination_rules(namespace, 5))}
        """)
    mark = plane.audit_mark()
    plane.run_playbook_text(play, tmp_path)
    events = plane.audited(mark, ["get destinationrules"])
    asked = [e for e in events if e.get("requestURI", "").split("?")[0] == "/apis/networking.istio.io/v1"]
    # Proof the log holds this run's object requests, so a count of zero discovery requests would show.
    assert len([e for e in events if (e.get("objectRef") or {}).get("resource") == "destinationrules"]) >= 8
    assert len(asked) == 1, [e["requestURI"] for e in asked]
