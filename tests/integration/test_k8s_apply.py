"""modelserving.maas.k8s_apply: one call, only real differences written, drift taken back."""

import base64
import json
import subprocess
import uuid

from plane import REPO, writes


def objects(namespace, replicas_label="one"):
    return [
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "settings", "namespace": namespace, "labels": {"tier": replicas_label}},
         "data": {"mode": "strict"}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "maas-api", "namespace": namespace}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "maas-api", "namespace": namespace},
         "spec": {"selector": {"app": "maas-api"}, "ports": [{"name": "https", "port": 8443, "targetPort": 8443}]}},
    ]


def test_creates_everything_then_a_second_run_writes_nothing(plane, namespace):
    first = plane.module("modelserving.maas.k8s_apply", objects=objects(namespace))
    assert first["changed"] is True
    assert len(first["created"]) == 3

    mark = plane.audit_mark()
    second = plane.module("modelserving.maas.k8s_apply", objects=objects(namespace))
    assert second["changed"] is False
    assert len(second["unchanged"]) == 3
    assert writes(plane.audited(mark, ["get configmaps", "get serviceaccounts", "get services"])) == []


def test_changing_one_object_writes_only_that_object(plane, namespace):
    plane.module("modelserving.maas.k8s_apply", objects=objects(namespace))
    mark = plane.audit_mark()
    result = plane.module("modelserving.maas.k8s_apply", objects=objects(namespace, replicas_label="two"))
    assert result["updated"] == [f"ConfigMap {namespace}/settings"]
    written = writes(plane.requests_since(mark))
    # one dry run and one real apply, of that object only
    assert {e["objectRef"]["name"] for e in written} == {"settings"}
    assert len(written) == 2


def test_a_field_no_longer_desired_is_removed(plane, namespace):
    plane.module("modelserving.maas.k8s_apply", objects=objects(namespace))
    smaller = objects(namespace)
    smaller[0]["data"] = {}
    result = plane.module("modelserving.maas.k8s_apply", objects=smaller)
    assert result["updated"] == [f"ConfigMap {namespace}/settings"]
    assert "mode" not in (plane.get("configmap", "settings", namespace).get("data") or {})


def test_hand_edit_of_an_owned_field_is_reverted(plane, namespace):
    plane.module("modelserving.maas.k8s_apply", objects=objects(namespace))
    plane.kubectl("patch", "configmap", "settings", "-n", namespace, "--type=merge", "-p",
                  json.dumps({"data": {"mode": "lax"}}))
    result = plane.module("modelserving.maas.k8s_apply", objects=objects(namespace))
    assert result["changed"] is True
    assert result["reverted"] == [f"ConfigMap {namespace}/settings"]
    assert plane.get("configmap", "settings", namespace)["data"]["mode"] == "strict"


def test_field_owned_by_another_applier_fails_unless_forced(plane, namespace):
    plane.module("modelserving.maas.k8s_apply", objects=objects(namespace))
    plane.kubectl("apply", "--server-side", "--field-manager=gitops", "--force-conflicts", "-f", "-",
                  input=json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": "settings", "namespace": namespace},
                                    "data": {"mode": "gitops"}}))
    refused = plane.module("modelserving.maas.k8s_apply", objects=objects(namespace))
    assert refused.get("failed") is True
    assert "gitops" in refused["msg"] and "force_conflicts" in refused["msg"]
    assert plane.get("configmap", "settings", namespace)["data"]["mode"] == "gitops"

    forced = plane.module("modelserving.maas.k8s_apply", objects=objects(namespace), force_conflicts=True)
    assert forced["changed"] is True
    assert plane.get("configmap", "settings", namespace)["data"]["mode"] == "strict"


def test_check_mode_reports_changes_and_writes_nothing(plane, namespace):
    mark = plane.audit_mark()
    result = plane.module("modelserving.maas.k8s_apply", check=True, diff=True, objects=objects(namespace))
    assert result["changed"] is True and len(result["created"]) == 3
    assert plane.get("configmap", "settings", namespace) is None
    events = plane.audited(mark, ["patch configmaps", "patch serviceaccounts", "patch services"])
    assert all((e.get("objectRef") or {}).get("name") for e in writes(events))
    assert all("dryRun" in e["requestURI"] for e in writes(events))


def test_check_mode_in_a_namespace_not_created_yet_reports_creation_and_warns(plane):
    # The first run of site.yml in check mode: the namespace an earlier task would create is missing.
    missing = "maas-check-mode-missing"
    mark = plane.audit_mark()
    result = plane.module("modelserving.maas.k8s_apply", check=True, objects=objects(missing))
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True and len(result["created"]) == 3
    assert [w for w in result.get("warnings", []) if f"namespace {missing} does not exist yet" in w
            and f"ConfigMap {missing}/settings" in w]
    assert all("dryRun" in e["requestURI"] for e in writes(plane.audited(mark, ["get configmaps"])))
    assert plane.get("namespace", missing) is None


def test_a_real_run_in_a_missing_namespace_still_fails(plane):
    result = plane.module("modelserving.maas.k8s_apply", objects=objects("maas-real-run-missing"))
    assert result.get("failed") is True
    assert 'namespaces "maas-real-run-missing" not found' in result["msg"]


def test_diff_shows_the_change_without_server_bookkeeping(plane, namespace):
    plane.module("modelserving.maas.k8s_apply", objects=objects(namespace))
    result = plane.module("modelserving.maas.k8s_apply", diff=True, objects=objects(namespace, "two"))
    [entry] = result["diff"]
    assert entry["before"]["metadata"]["labels"] == {"tier": "one"}
    assert entry["after"]["metadata"]["labels"] == {"tier": "two"}
    assert "managedFields" not in entry["after"]["metadata"]


def test_one_invalid_object_stops_the_whole_batch(plane, namespace):
    bad = objects(namespace)
    bad.append({"apiVersion": "kuadrant.io/v1", "kind": "AuthPolicy",
                "metadata": {"name": "broken", "namespace": namespace},
                "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "Deployment", "name": "x"},
                         "rules": {"authentication": {"k": {"anonymous": {}}}}}})
    result = plane.module("modelserving.maas.k8s_apply", objects=bad)
    assert result.get("failed") is True
    assert f"AuthPolicy {namespace}/broken" in result["msg"]
    assert "targetRef" in result["msg"]
    assert plane.get("configmap", "settings", namespace) is None


def test_secrets_with_data_are_refused(plane, namespace):
    result = plane.module("modelserving.maas.k8s_apply", objects=[
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": namespace},
         "stringData": {"token": "hunter2"}}])
    assert result.get("failed") is True and "Secret s" in result["msg"]
    assert "hunter2" not in json.dumps(result)


def test_a_refused_secrets_values_appear_nowhere_in_the_output_at_vvv(plane, namespace, tmp_path):
    marker, token, literal = (f"{kind}-{uuid.uuid4().hex[:8]}" for kind in ("visible", "s3cr3t", "l1teral"))
    decoded = f"d3coded-{uuid.uuid4().hex[:8]}"
    encoded = base64.b64encode(decoded.encode()).decode()
    # A playbook as users write one: values from a vars file (as from a vault) or literal. (Ad-hoc
    # `ansible -m ... -a` is not: ansible-core prints an ad-hoc task's args in its error report.)
    (tmp_path / "vars.yml").write_text(f"token: {token}\npassword: {encoded}\n")
    (tmp_path / "play.yml").write_text(f"""- hosts: localhost
  gather_facts: false
  vars_files: [vars.yml]
  tasks:
    - modelserving.maas.k8s_apply:
        objects:
          - apiVersion: v1
            kind: Secret
            data: {{password: "{{{{ password }}}}"}}
            stringData: {{token: "{{{{ token }}}}", other: {literal}}}
            metadata: {{name: api-key, namespace: {namespace}, labels: {{marker: {marker}}}}}
""")
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), "-vvv", str(tmp_path / "play.yml")],
                          env=plane.ansible_env(), cwd=REPO, capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "carries data" in output, output[-3000:]
    # -vvv prints invocation.module_args: the label of the same Secret is there, so its values would be
    assert marker in output and "module_args" in output, output[-3000:]
    for value in (token, encoded, decoded, literal):
        assert value not in output
    assert plane.get("secret", "api-key", namespace) is None


def test_namespace_crd_and_instance_in_one_call(plane):
    group = "tests.maas.example"
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": f"widgets.{group}"},
           "spec": {"group": group, "scope": "Namespaced",
                    "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
                    "versions": [{"name": "v1", "served": True, "storage": True,
                                  "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                      "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}}
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "widgets-home"}}
    widget = {"apiVersion": f"{group}/v1", "kind": "Widget",
              "metadata": {"name": "w", "namespace": "widgets-home"}, "spec": {"size": 3}}
    try:
        result = plane.module("modelserving.maas.k8s_apply", objects=[widget, crd, namespace])
        assert result["changed"] is True, result
        assert plane.get(f"widgets.{group}", "w", "widgets-home")["spec"]["size"] == 3
    finally:
        plane.kubectl("delete", "crd", f"widgets.{group}", "--ignore-not-found", "--wait=false")
        plane.delete_namespace("widgets-home")


def test_absent_deletes_what_exists(plane, namespace):
    plane.module("modelserving.maas.k8s_apply", objects=objects(namespace)[:2])
    result = plane.module("modelserving.maas.k8s_apply", state="absent", objects=objects(namespace))
    assert sorted(result["deleted"]) == sorted([f"ConfigMap {namespace}/settings",
                                                f"ServiceAccount {namespace}/maas-api"])
    assert result["unchanged"] == [f"Service {namespace}/maas-api"]
    again = plane.module("modelserving.maas.k8s_apply", state="absent", objects=objects(namespace))
    assert again["changed"] is False


def test_a_stalled_api_server_fails_the_task_within_request_timeout_naming_the_host(plane, namespace):
    """A server that takes the connection and never answers (a hung proxy): the module fails, says
    where and why, instead of hanging the job. The listener stops by itself."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.5)
    port, accepted, stop = listener.getsockname()[1], [], threading.Event()

    def hold():  # accept and say nothing, for at most 120 s
        for _attempt in range(240):
            if stop.is_set():
                break
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        result = plane.module("modelserving.maas.k8s_apply", objects=objects(namespace),
                              host=f"https://127.0.0.1:{port}", api_key="not-a-token", validate_certs=False,
                              request_timeout=1)
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        listener.close()
    assert accepted, "the module never connected: the test proves nothing"
    assert result.get("failed") is True, result
    assert f"127.0.0.1:{port}" in result["msg"] and "timed out" in result["msg"], result["msg"]
    assert "request_timeout" in result["msg"], result["msg"]
