"""Served versions are confirmed from discovery documents before a kind's first request, once per
group version, and a kind served at another version fails naming the kind, the version expected and
the versions served (never "not found")."""

import json
import os
import stat

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import Cluster, K8sError
from ansible_collections.modelserving.maas.plugins.module_utils._kube.discovery import (
    NotServed, RunCache, ServedKinds, playbook_run)


def resource_list(group_version, *kinds):
    return {"kind": "APIResourceList", "groupVersion": group_version,
            "resources": [{"name": k.lower() + "s", "kind": k, "namespaced": True} for k in kinds]
            + [{"name": k.lower() + "s/status", "kind": k, "namespaced": True} for k in kinds]}


def api_group(name, *versions):
    return {"kind": "APIGroup", "name": name,
            "versions": [{"groupVersion": "%s/%s" % (name, v), "version": v} for v in versions]}


class Discovery(object):
    """Discovery documents by path; records what was asked."""

    def __init__(self, documents):
        self.documents = documents
        self.asked = []

    def __call__(self, path):
        self.asked.append(path)
        return self.documents.get(path)


KUADRANT = {
    "/apis/kuadrant.io": api_group("kuadrant.io", "v1", "v1beta1", "v1alpha1"),
    "/apis/kuadrant.io/v1": resource_list("kuadrant.io/v1", "AuthPolicy", "RateLimitPolicy"),
    "/apis/kuadrant.io/v1beta1": resource_list("kuadrant.io/v1beta1", "Kuadrant"),
    "/apis/kuadrant.io/v1alpha1": resource_list("kuadrant.io/v1alpha1", "TokenRateLimitPolicy"),
}


def test_each_group_version_is_asked_once_whatever_the_number_of_kinds_and_requests():
    discovery = Discovery(KUADRANT)
    served = ServedKinds(discovery)
    for _ in range(3):
        served.confirm("kuadrant.io/v1", "AuthPolicy")
        served.confirm("kuadrant.io/v1", "RateLimitPolicy")
        served.confirm("kuadrant.io/v1alpha1", "TokenRateLimitPolicy")
    assert discovery.asked == ["/apis/kuadrant.io/v1", "/apis/kuadrant.io/v1alpha1"]


def test_built_in_group_versions_are_never_asked_about():
    discovery = Discovery({})
    served = ServedKinds(discovery)
    served.confirm("v1", "Secret")
    served.confirm("apps/v1", "Deployment")
    served.confirm("batch/v1", "CronJob")
    assert discovery.asked == []


def test_a_kind_served_at_another_version_names_the_kind_the_version_expected_and_those_served():
    moved = dict(KUADRANT)
    moved["/apis/kuadrant.io"] = api_group("kuadrant.io", "v1", "v1beta1")
    moved["/apis/kuadrant.io/v1beta1"] = resource_list("kuadrant.io/v1beta1", "Kuadrant", "TokenRateLimitPolicy")
    del moved["/apis/kuadrant.io/v1alpha1"]
    with pytest.raises(NotServed) as raised:
        ServedKinds(Discovery(moved)).confirm("kuadrant.io/v1alpha1", "TokenRateLimitPolicy")
    assert raised.value.versions == ["kuadrant.io/v1beta1"]
    message = str(raised.value)
    assert message.startswith("TokenRateLimitPolicy: this collection uses kuadrant.io/v1alpha1, which the cluster "
                              "does not serve; it serves TokenRateLimitPolicy kuadrant.io/v1beta1.")


def test_a_kind_no_version_serves_says_its_crd_is_missing():
    with pytest.raises(NotServed) as raised:
        ServedKinds(Discovery({})).confirm("cert-manager.io/v1", "Certificate")
    assert raised.value.versions == []
    assert "Certificate: the cluster serves no version of it (API group cert-manager.io" in str(raised.value)
    assert "is its CRD installed?" in str(raised.value)


def test_a_kind_missing_from_a_list_read_earlier_is_looked_up_again():
    """An earlier task of the run may have installed the CRD since the list was read."""
    documents = {"/apis/kuadrant.io/v1": resource_list("kuadrant.io/v1", "AuthPolicy")}
    discovery = Discovery(documents)
    served = ServedKinds(discovery)
    served.confirm("kuadrant.io/v1", "AuthPolicy")
    documents["/apis/kuadrant.io/v1"] = resource_list("kuadrant.io/v1", "AuthPolicy", "RateLimitPolicy")
    served.confirm("kuadrant.io/v1", "RateLimitPolicy")
    assert discovery.asked == ["/apis/kuadrant.io/v1", "/apis/kuadrant.io/v1"]


class Dynamic(object):
    """The dynamic client as Cluster uses it, answering discovery paths and recording every request."""

    def __init__(self, documents):
        self.documents = documents
        self.sent = []
        self.configuration = type("Configuration", (), {"host": "https://127.0.0.1:6443"})()

    def request(self, method, path, **kwargs):
        from kubernetes.client.exceptions import ApiException
        from kubernetes.dynamic.exceptions import api_exception

        self.sent.append((method, path))
        if path.startswith("/apis/") and path.count("/") <= 3:
            if path not in self.documents:
                error = ApiException(status=404, reason="Not Found")
                error.body = json.dumps({"kind": "Status", "reason": "NotFound", "code": 404, "details": {},
                                         "message": "the server could not find the requested resource"})
                raise api_exception(error)
            return type("Response", (), {"data": json.dumps(self.documents[path])})()
        error = ApiException(status=404, reason="Not Found")
        error.body = json.dumps({"kind": "Status", "reason": "NotFound", "code": 404, "message": "not found",
                                 "details": {"name": path.rsplit("/", 1)[1]}})
        raise api_exception(error)


def cluster(documents):
    dynamic = Dynamic(documents)
    return Cluster(type("K8sClient", (), {"client": dynamic})(), confirm_versions=True), dynamic


def test_reading_a_kind_served_at_another_version_fails_instead_of_finding_nothing():
    moved = {"/apis/kuadrant.io": api_group("kuadrant.io", "v1beta1"),
             "/apis/kuadrant.io/v1beta1": resource_list("kuadrant.io/v1beta1", "TokenRateLimitPolicy")}
    client, dynamic = cluster(moved)
    with pytest.raises(K8sError) as raised:
        client.get("kuadrant.io/v1alpha1", "TokenRateLimitPolicy", "maas-trlp-qwen3", "llm")
    assert raised.value.status is None and raised.value.reason == "NotServed"
    assert "kuadrant.io/v1beta1" in str(raised.value)
    with pytest.raises(K8sError):
        client.delete("kuadrant.io/v1alpha1", "TokenRateLimitPolicy", "maas-trlp-qwen3", "llm")
    assert not [sent for sent in dynamic.sent if "tokenratelimitpolicies" in sent[1]], "no object request is sent"


def test_reading_a_kind_no_version_serves_finds_nothing_and_writing_it_names_the_missing_crd():
    client, dynamic = cluster({})
    assert client.get("cert-manager.io/v1", "Certificate", "maas-api", "maas") is None
    with pytest.raises(K8sError) as raised:
        client.apply({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                      "metadata": {"name": "maas-api", "namespace": "maas"}}, "modelserving.maas")
    assert raised.value.status == 404 and "is its CRD installed?" in str(raised.value)
    assert not [sent for sent in dynamic.sent if "certificates" in sent[1]]


def test_the_run_cache_spares_a_later_module_of_the_same_run_its_discovery_requests(tmp_path):
    directory = tmp_path / "cache"
    first = Discovery(KUADRANT)
    ServedKinds(first, RunCache("https://api:6443", "4242@100", str(directory))).confirm("kuadrant.io/v1", "AuthPolicy")
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700

    later = Discovery(KUADRANT)
    ServedKinds(later, RunCache("https://api:6443", "4242@100", str(directory))).confirm("kuadrant.io/v1", "AuthPolicy")
    assert later.asked == []

    other_run = Discovery(KUADRANT)
    ServedKinds(other_run, RunCache("https://api:6443", "4243@200", str(directory))).confirm("kuadrant.io/v1", "AuthPolicy")
    other_server = Discovery(KUADRANT)
    ServedKinds(other_server, RunCache("https://other:6443", "4242@100", str(directory))).confirm(
        "kuadrant.io/v1", "AuthPolicy")
    assert other_run.asked == other_server.asked == ["/apis/kuadrant.io/v1"]


def test_a_cache_directory_others_can_write_is_not_trusted(tmp_path):
    directory = tmp_path / "shared"
    directory.mkdir()
    cache = RunCache("https://api:6443", "1@1", str(directory))
    cache.save({"kuadrant.io/v1/AuthPolicy"})
    assert cache.load() == ["kuadrant.io/v1/AuthPolicy"]

    directory.chmod(0o777)
    assert cache.load() == [], "anyone could have written what it says"
    cache.save({"kuadrant.io/v1/RateLimitPolicy"})
    directory.chmod(0o700)
    assert cache.load() == ["kuadrant.io/v1/AuthPolicy"], "nothing is written into it either"


def test_the_run_is_named_by_ansible_playbook_the_parent_of_the_session_leader():
    chain = ((300, 200), (200, 100))  # module -> sh -> worker (session leader, pid 200) -> ansible-playbook 100
    assert playbook_run(chain, {100: "5555"}.get) == "100@5555"
    assert playbook_run(chain, {}.get) is None
    assert playbook_run((), {}.get) is None
    assert playbook_run(((5, 1),), {1: "1"}.get) is None, "init is no playbook"
