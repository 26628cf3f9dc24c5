"""What Cluster.request tells an operator when a request fails, and that it stops writing once the
playbook is gone; with the kubernetes client's own exceptions (and its real HTTP stack where a
socket can show the failure)."""

import json
import socket
import threading

import pytest
from kubernetes.client import ApiClient, Configuration
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import api_exception

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import Cluster, K8sError
from ansible_collections.modelserving.maas.plugins.module_utils._kube.errors import FORBIDDEN_HINT

HOST = "https://127.0.0.1:6443"


class FakeDynamic(object):
    """The dynamic client as Cluster uses it: `request` (raising `error`) and `configuration.host`."""

    def __init__(self, host=HOST, error=None):
        self.configuration = Configuration()
        self.configuration.host = host
        self.error = error
        self.sent = []

    def request(self, method, path, **kwargs):
        self.sent.append((method, path))
        if self.error is not None:
            raise self.error
        return type("Response", (), {"data": "{}"})()


class RealHttp(FakeDynamic):
    """Requests through the kubernetes client's real REST client (urllib3), to `host`."""

    def __init__(self, host):
        super(RealHttp, self).__init__(host)
        self.configuration.verify_ssl = False
        self.configuration.retries = 0
        self.api = ApiClient(self.configuration)

    def request(self, method, path, **kwargs):
        self.sent.append((method, path))
        return self.api.rest_client.request(method, self.configuration.host + path, _request_timeout=5)


class GoneWatch(object):
    def __init__(self, reason=None):
        self.reason = reason

    def gone(self):
        return self.reason


def cluster(dynamic, watch=None):
    return Cluster(type("K8sClient", (), {"client": dynamic})(), watch=watch)


def server_error(status, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason,
            "code": status, "details": details or {}}
    try:
        raise ApiException(status=status, reason=reason)
    except ApiException as err:
        err.body = json.dumps(body)
        return api_exception(err)


def failure(dynamic, method="GET", path="/api/v1/namespaces/opendatahub/configmaps/maas-config", watch=None):
    with pytest.raises(K8sError) as raised:
        cluster(dynamic, watch).request(method, path)
    return raised.value


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_expired_token_says_the_credentials_were_rejected_and_what_to_refresh():
    err = failure(FakeDynamic(error=server_error(401, "Unauthorized", "Unauthorized")))
    assert err.status == 401
    assert str(err) == ("the API server at https://127.0.0.1:6443 rejected the credentials (401 Unauthorized): the "
                        "token may have expired or been revoked; refresh the kubeconfig / K8S_AUTH_API_KEY")


def test_forbidden_keeps_the_servers_words_naming_verb_resource_and_namespace():
    said = ('maasmodelrefs.maas.opendatahub.io "m1" is forbidden: User "maas-automation" cannot patch resource '
            '"maasmodelrefs/status" in API group "maas.opendatahub.io" in the namespace "llm"')
    err = failure(FakeDynamic(error=server_error(403, "Forbidden", said)), "PATCH",
                  "/apis/maas.opendatahub.io/v1alpha1/namespaces/llm/maasmodelrefs/m1/status")
    assert (err.status, err.reason, str(err)) == (403, "Forbidden", said + FORBIDDEN_HINT)
    assert "modelserving.maas.automation_identity" in FORBIDDEN_HINT


def test_an_apply_refused_as_create_keeps_the_servers_verb():
    said = ('customresourcedefinitions.apiextensions.k8s.io "tenants.maas.opendatahub.io" is forbidden: User "sa" '
            'cannot create resource "customresourcedefinitions" in API group "apiextensions.k8s.io" at the cluster scope')
    err = failure(FakeDynamic(error=server_error(403, "Forbidden", said)), "PATCH",
                  "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/tenants.maas.opendatahub.io")
    assert str(err) == said + FORBIDDEN_HINT


def test_a_terse_forbidden_is_completed_from_the_request():
    err = failure(FakeDynamic(error=server_error(403, "Forbidden", "forbidden by the gateway")), "DELETE",
                  "/apis/kuadrant.io/v1/namespaces/llm/authpolicies/maas-auth-m1")
    assert str(err) == ('forbidden by the gateway (403 Forbidden: cannot delete resource "authpolicies" in API '
                        'group "kuadrant.io" in the namespace "llm")' + FORBIDDEN_HINT)
    listing = failure(FakeDynamic(error=server_error(403, "Forbidden", "no")), "GET", "/api/v1/namespaces")
    assert str(listing) == 'no (403 Forbidden: cannot list resource "namespaces" in API group "")' + FORBIDDEN_HINT


def test_other_errors_keep_the_servers_message_and_body():
    err = failure(FakeDynamic(error=server_error(404, "NotFound", 'configmaps "maas-config" not found',
                                                 {"name": "maas-config", "kind": "configmaps"})))
    assert (err.status, str(err)) == (404, 'configmaps "maas-config" not found')
    assert err.body["details"]["name"] == "maas-config"


def test_a_server_that_is_down_is_named_with_connection_refused():
    host = "https://127.0.0.1:%d" % closed_port()
    err = failure(RealHttp(host))
    assert err.status is None and err.reason == "Unreachable"
    assert str(err) == "cannot reach the API server at %s: connection refused" % host


def failure_from_a_server_that(answer, scheme="https"):
    """The error of a request to a local server that does `answer(connection)` and hangs up."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn = listener.accept()[0]
        answer(conn)
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        host = "%s://127.0.0.1:%d" % (scheme, listener.getsockname()[1])
        return host, failure(RealHttp(host))
    finally:
        thread.join(5)
        listener.close()


def test_a_server_that_is_not_speaking_tls_says_tls_failed():
    def plain_http(conn):
        conn.recv(1024)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    host, err = failure_from_a_server_that(plain_http)
    assert str(err).startswith("cannot reach the API server at %s: TLS failed: " % host)
    assert "object at 0x" not in str(err) and "Max retries" not in str(err)


def test_a_server_that_hangs_up_mid_request_says_so():
    host, err = failure_from_a_server_that(lambda conn: conn.recv(1024), scheme="http")
    assert str(err) == "cannot reach the API server at %s: the server closed the connection without an answer" % host


def test_a_write_after_the_playbook_is_gone_is_not_sent_but_reads_still_are():
    dynamic = FakeDynamic()
    watch = GoneWatch("process 100, parent of 200, has exited")
    path = "/api/v1/namespaces/opendatahub/configmaps/maas-config"
    assert cluster(dynamic, watch).request("GET", path) == {}
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        err = failure(dynamic, method, path, watch)
        assert str(err) == ("the playbook that started this module is gone (process 100, parent of 200, has "
                            "exited); stopping before %s %s" % (method, path))
    assert dynamic.sent == [("GET", path)]


def test_a_dry_run_after_the_playbook_is_gone_is_not_sent_either():
    dynamic = FakeDynamic()
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "maas-config", "namespace": "opendatahub"}}
    with pytest.raises(K8sError, match="the playbook that started this module is gone"):
        cluster(dynamic, GoneWatch("process 1 has exited")).apply(obj, "modelserving.maas", dry_run=True)
    assert dynamic.sent == []
    cluster(dynamic, GoneWatch(None)).apply(obj, "modelserving.maas", dry_run=True)
    assert dynamic.sent == [("PATCH", "/api/v1/namespaces/opendatahub/configmaps/maas-config")]


class BodyRecordingDynamic(FakeDynamic):
    def request(self, method, path, **kwargs):
        self.sent.append((method, path, kwargs.get("body"), dict(kwargs.get("query_params") or [])))
        return type("Response", (), {"data": "{}"})()


def test_a_dry_run_deletion_says_dry_run_in_the_body_the_server_reads():
    """The API server decodes DeleteOptions from a body when one is sent and then ignores the query:
    `?dryRun=All` beside a body deletes for real (seen in the audit log of the local plane)."""
    dynamic = BodyRecordingDynamic()
    assert cluster(dynamic).delete("v1", "ConfigMap", "old", "n", dry_run=True) is True
    [(method, path, body, query)] = dynamic.sent
    assert (method, path) == ("DELETE", "/api/v1/namespaces/n/configmaps/old")
    assert body["dryRun"] == ["All"] and query == {"dryRun": "All"}


def test_a_real_deletion_carries_no_dry_run():
    dynamic = BodyRecordingDynamic()
    cluster(dynamic).delete("v1", "ConfigMap", "old", "n")
    [(_method, _path, body, query)] = dynamic.sent
    assert "dryRun" not in body and query == {}
