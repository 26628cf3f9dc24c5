"""k8s_apply through its run(), against the in-memory cluster double."""

import base64

import pytest
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure
from ansible_collections.modelserving.maas.plugins.modules import k8s_apply
from ansible_collections.modelserving.maas.tests.unit.utils.cluster_double import ClusterDouble, context
from ansible_collections.modelserving.maas.tests.unit.utils.module_args import params_for


def namespace(name="opendatahub"):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def configmap(mode="strict", name="maas-config"):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "opendatahub"},
            "data": {"mode": mode}}


def run(cluster, check_mode=False, diff=False, **params):
    return k8s_apply.run(params_for(k8s_apply, **params), context(cluster, check_mode=check_mode, diff=diff))


def test_a_second_run_reports_unchanged_and_writes_nothing():
    cluster = ClusterDouble()
    first = run(cluster, objects=[namespace(), configmap()])
    assert first["changed"] is True
    assert first["created"] == ["Namespace opendatahub", "ConfigMap opendatahub/maas-config"]

    mark = len(cluster.requests)
    second = run(cluster, objects=[namespace(), configmap()])
    since = cluster.requests[mark:]
    assert ("get", "v1", "ConfigMap", "opendatahub", "maas-config", False) in since
    assert [r for r in since if r[0] != "get"] == []
    assert second["changed"] is False
    assert second["unchanged"] == ["Namespace opendatahub", "ConfigMap opendatahub/maas-config"]


def test_check_mode_predicts_the_change_and_writes_nothing():
    cluster = ClusterDouble()
    result = run(cluster, check_mode=True, objects=[configmap()])
    assert result["changed"] is True and result["created"] == ["ConfigMap opendatahub/maas-config"]
    assert ("apply", "v1", "ConfigMap", "opendatahub", "maas-config", True) in cluster.requests
    assert cluster.writes() == []
    assert cluster.stored("v1", "ConfigMap", "maas-config", "opendatahub") is None


def test_check_mode_reports_objects_of_a_namespace_an_earlier_task_creates():
    cluster = ClusterDouble()
    cluster.strict_namespaces = True
    ctx = context(cluster, check_mode=True)
    result = k8s_apply.run(params_for(k8s_apply, objects=[configmap()]), ctx)
    assert result["created"] == ["ConfigMap opendatahub/maas-config"]
    assert ctx.warnings == ["namespace opendatahub does not exist yet: check mode reports ConfigMap "
                            "opendatahub/maas-config as created without a server-side dry run"]


def test_a_secret_with_data_is_refused_without_echoing_the_value():
    cluster = ClusterDouble()
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api-key", "namespace": "opendatahub"}}
    run(cluster, objects=[secret])
    assert cluster.requests, "a Secret without data is applied"

    refused = ClusterDouble()
    with pytest.raises(ModuleFailure) as failure:
        run(refused, objects=[dict(secret, stringData={"key": "s3cr3t-value"})])
    assert failure.value.msg.startswith("objects[0] (Secret api-key) carries data")
    assert "s3cr3t-value" not in failure.value.msg and "s3cr3t-value" not in str(failure.value.result)
    assert refused.requests == []


def test_an_object_without_a_name_is_refused_by_index():
    with pytest.raises(ModuleFailure, match=r"objects\[1\] \(ConfigMap\) has no metadata.name"):
        run(ClusterDouble(), objects=[namespace(), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}])


def test_a_hand_edit_of_an_owned_field_is_taken_back():
    cluster = ClusterDouble()
    run(cluster, objects=[configmap("strict")])
    cluster.patch("v1", "ConfigMap", "maas-config", {"data": {"mode": "lax"}}, namespace="opendatahub",
                  field_manager="kubectl-edit")
    result = run(cluster, objects=[configmap("strict")])
    assert result["updated"] == ["ConfigMap opendatahub/maas-config"]
    assert result["reverted"] == ["ConfigMap opendatahub/maas-config"]
    assert cluster.stored("v1", "ConfigMap", "maas-config", "opendatahub")["data"] == {"mode": "strict"}


def test_a_field_another_applier_owns_fails_naming_it_unless_forced():
    cluster = ClusterDouble()
    cluster.apply(configmap("lax"), "argocd")
    with pytest.raises(ModuleFailure) as failure:
        run(cluster, objects=[configmap("strict")])
    assert "Another applier (argocd) owns these fields; set force_conflicts" in failure.value.msg
    assert failure.value.result["errors"] == [failure.value.msg]
    assert failure.value.result["changed"] is False

    result = run(cluster, objects=[configmap("strict")], force_conflicts=True)
    assert result["updated"] == ["ConfigMap opendatahub/maas-config"]
    assert cluster.stored("v1", "ConfigMap", "maas-config", "opendatahub")["data"] == {"mode": "strict"}


def test_a_rejected_object_stops_the_batch_before_any_write():
    cluster = ClusterDouble()
    cluster.fail[("apply", "ConfigMap", "bad")] = K8sError(422, "Invalid", "data.mode: Invalid value")
    with pytest.raises(ModuleFailure) as failure:
        run(cluster, objects=[configmap(name="good"), configmap(name="bad")])
    assert failure.value.msg == "ConfigMap opendatahub/bad: data.mode: Invalid value"
    assert ("apply", "v1", "ConfigMap", "opendatahub", "good", True) in cluster.requests
    assert cluster.writes() == []


def test_diff_mode_shows_before_and_after_without_server_bookkeeping():
    cluster = ClusterDouble()
    run(cluster, objects=[configmap("strict")])
    result = run(cluster, diff=True, objects=[configmap("lax")])
    [entry] = result["diff"]
    assert entry["before"]["data"] == {"mode": "strict"} and entry["after"]["data"] == {"mode": "lax"}
    assert "managedFields" not in entry["after"]["metadata"]
    assert entry["before_header"] == "ConfigMap opendatahub/maas-config"


def test_absent_deletes_what_exists_and_leaves_the_rest_unchanged():
    cluster = ClusterDouble([configmap(name="present")])
    result = run(cluster, state="absent", objects=[configmap(name="present"), configmap(name="gone")])
    assert result["deleted"] == ["ConfigMap opendatahub/present"]
    assert result["unchanged"] == ["ConfigMap opendatahub/gone"]
    assert cluster.writes() == [("delete", "v1", "ConfigMap", "opendatahub", "present", False)]


def test_create_only_leaves_an_existing_object_as_its_owner_changed_it():
    cluster = ClusterDouble([configmap("edited-by-user")])
    result = run(cluster, create_only=True, objects=[configmap("strict"), configmap(name="new")])
    assert result["unchanged"] == ["ConfigMap opendatahub/maas-config"]
    assert result["created"] == ["ConfigMap opendatahub/new"]
    assert cluster.stored("v1", "ConfigMap", "maas-config", "opendatahub")["data"] == {"mode": "edited-by-user"}


class FakeModule:
    """What execute() uses of an AnsibleModule; like it, exit_json and fail_json end the module."""

    def __init__(self, params, check_mode=False):
        self.params, self.check_mode, self._diff = params, check_mode, False
        self.warnings, self.exit, self.failure = [], None, None
        self.no_log_values = set()

    def warn(self, message):
        self.warnings.append(message)

    def exit_json(self, **result):
        self.exit = result
        raise SystemExit(0)

    def fail_json(self, **result):
        self.failure = result
        raise SystemExit(1)


def test_main_runs_with_the_module_params_and_at_least_one_worker(monkeypatch):
    from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import Cluster

    cluster, connected = ClusterDouble(), []
    module = FakeModule(params_for(k8s_apply, objects=[configmap()], workers=0))
    monkeypatch.setattr(k8s_apply, "new_module", lambda **kwargs: module)
    monkeypatch.setattr(Cluster, "from_module",
                        classmethod(lambda cls, m, workers, timeout: connected.append((workers, timeout)) or cluster))
    socket_timeouts = []
    monkeypatch.setattr("socket.setdefaulttimeout", socket_timeouts.append)
    with pytest.raises(SystemExit):
        k8s_apply.main()
    assert module.exit["created"] == ["ConfigMap opendatahub/maas-config"] and module.failure is None
    # request_timeout (default 60 s) bounds every request, and every socket discovery opens.
    assert connected == [(1, 60.0)] and socket_timeouts == [60.0]

    stalled = FakeModule(params_for(k8s_apply, objects=[configmap()], request_timeout=0))
    monkeypatch.setattr(k8s_apply, "new_module", lambda **kwargs: stalled)
    with pytest.raises(SystemExit):
        k8s_apply.main()
    assert stalled.failure == {"msg": "request_timeout 0: must be a number of seconds greater than 0"}
    assert connected == [(1, 60.0)]

    refused = FakeModule(params_for(k8s_apply, objects=[{"kind": "ConfigMap"}]))
    monkeypatch.setattr(k8s_apply, "new_module", lambda **kwargs: refused)
    with pytest.raises(SystemExit):
        k8s_apply.main()
    assert refused.failure == {"msg": "objects[0] has no apiVersion"}


def test_a_refused_secrets_values_are_masked_in_everything_the_module_prints(monkeypatch):
    token = "s3cr3t-token-value"
    encoded = base64.b64encode(b"decoded-p4ssword").decode()
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api-key", "namespace": "opendatahub"},
              "data": {"password": encoded}, "stringData": {"token": token, "port": 8443}}
    # objects[0] is refused first, for its shape: the Secret behind it must be masked all the same
    params = params_for(k8s_apply, objects=[{"kind": "ConfigMap"}, secret])
    module = FakeModule(params)
    monkeypatch.setattr(k8s_apply, "new_module", lambda **kwargs: module)
    with pytest.raises(SystemExit):
        k8s_apply.main()
    assert module.failure["msg"] == "objects[0] has no apiVersion"
    assert module.no_log_values >= {token, encoded, "decoded-p4ssword", "8443"}

    # what AnsibleModule.fail_json prints: the result with invocation.module_args, no_log values removed
    printed = str(remove_values(dict(module.failure, invocation={"module_args": params}), module.no_log_values))
    assert "api-key" in printed
    assert token not in printed and encoded not in printed and "8443" not in printed


def test_objects_without_secret_data_mask_nothing():
    ctx = context(ClusterDouble())
    k8s_apply.run(params_for(k8s_apply, objects=[configmap(), {"apiVersion": "v1", "kind": "Secret", "metadata": {
        "name": "empty", "namespace": "opendatahub"}, "data": {}}]), ctx)
    assert ctx.secret_values == set()
