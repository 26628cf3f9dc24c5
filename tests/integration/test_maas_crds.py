"""The MaaS CRDs validate what SPEC §2 says they validate, on the real API server."""

import pytest


def subscription(namespace, window="1m", limit=1000, owner=None):
    return {
        "apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSSubscription",
        "metadata": {"name": "gold", "namespace": namespace},
        "spec": {
            "owner": owner if owner is not None else {"groups": [{"name": "premium"}]},
            "modelRefs": [{"name": "llama", "namespace": "llm",
                           "tokenRateLimits": [{"limit": limit, "window": window}]}],
        },
    }


def auth_policy(namespace, subjects):
    return {
        "apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSAuthPolicy",
        "metadata": {"name": "access", "namespace": namespace},
        "spec": {"modelRefs": [{"name": "llama", "namespace": "llm"}], "subjects": subjects},
    }


def tenant(namespace, name="default-tenant"):
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "Tenant",
            "metadata": {"name": name, "namespace": namespace}, "spec": {}}


@pytest.mark.parametrize("window", ["1s", "30m", "24h", "9999h"])
def test_subscription_accepts_seconds_minutes_hours(plane, maas_crds, namespace, window):
    proc = plane.dry_run(subscription(namespace, window=window))
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("window", ["7d", "0m", "10000h", "1", "m", "01m", "1 m"])
def test_subscription_rejects_other_windows(plane, maas_crds, namespace, window):
    proc = plane.dry_run(subscription(namespace, window=window))
    assert proc.returncode != 0
    assert "window" in proc.stderr


def test_window_rejection_names_the_field_and_the_rule(plane, maas_crds, namespace):
    proc = plane.dry_run(subscription(namespace, window="7d"))
    assert "spec.modelRefs[0].tokenRateLimits[0].window" in proc.stderr
    assert "^[1-9][0-9]{0,3}(s|m|h)$" in proc.stderr


@pytest.mark.parametrize("limit", [0, 1000000001])
def test_subscription_rejects_limits_out_of_range(plane, maas_crds, namespace, limit):
    proc = plane.dry_run(subscription(namespace, limit=limit))
    assert proc.returncode != 0 and "limit" in proc.stderr


def test_subscription_priority_defaults_to_zero(plane, maas_crds, namespace):
    plane.apply(subscription(namespace))
    assert plane.get("maassubscription", "gold", namespace)["spec"]["priority"] == 0


def test_subscription_needs_a_rate_limit_per_model(plane, maas_crds, namespace):
    sub = subscription(namespace)
    sub["spec"]["modelRefs"][0]["tokenRateLimits"] = []
    proc = plane.dry_run(sub)
    assert proc.returncode != 0 and "tokenRateLimits" in proc.stderr


@pytest.mark.parametrize("subjects", [{}, {"groups": [], "users": []}, {"groups": []}, {"users": []}])
def test_auth_policy_with_no_subjects_is_rejected(plane, maas_crds, namespace, subjects):
    proc = plane.dry_run(auth_policy(namespace, subjects))
    assert proc.returncode != 0
    assert "at least one group or user must be specified in subjects" in proc.stderr


@pytest.mark.parametrize("subjects", [{"groups": [{"name": "premium"}]}, {"users": ["alice"]}])
def test_auth_policy_with_groups_or_users_is_accepted(plane, maas_crds, namespace, subjects):
    proc = plane.dry_run(auth_policy(namespace, subjects))
    assert proc.returncode == 0, proc.stderr


def test_auth_policy_model_name_longer_than_63_is_rejected(plane, maas_crds, namespace):
    policy = auth_policy(namespace, {"users": ["alice"]})
    policy["spec"]["modelRefs"][0]["name"] = "m" * 64
    assert plane.dry_run(policy).returncode != 0
    policy["spec"]["modelRefs"][0]["name"] = "m" * 63
    proc = plane.dry_run(policy)
    assert proc.returncode == 0, proc.stderr


def test_tenant_with_another_name_is_rejected(plane, maas_crds, namespace):
    proc = plane.dry_run(tenant(namespace, name="other-tenant"))
    assert proc.returncode != 0
    assert "Tenant name must be default-tenant" in proc.stderr


def test_tenant_gateway_defaults_to_the_maas_default_gateway(plane, maas_crds, namespace):
    plane.apply(tenant(namespace))
    assert plane.get("tenant", "default-tenant", namespace)["spec"]["gatewayRef"] == {
        "namespace": "openshift-ingress", "name": "maas-default-gateway"}


def test_model_ref_kind_is_restricted(plane, maas_crds, namespace):
    ref = {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSModelRef",
           "metadata": {"name": "llama", "namespace": namespace},
           "spec": {"modelRef": {"kind": "llmisvc", "name": "llama"}}}
    assert plane.dry_run(ref).returncode != 0
    ref["spec"]["modelRef"]["kind"] = "LLMInferenceService"
    proc = plane.dry_run(ref)
    assert proc.returncode == 0, proc.stderr


def test_printer_columns_show_phase(plane, maas_crds, namespace):
    plane.apply(subscription(namespace))
    header = plane.kubectl("get", "maassubscriptions", "-n", namespace).stdout.splitlines()[0].split()
    assert header[:3] == ["NAME", "PHASE", "PRIORITY"]


def external_model(namespace, **spec):
    body = {"provider": "openai", "targetModel": "gpt-4o", "endpoint": "api.openai.com",
            "credentialRef": {"name": "openai-api-key"}}
    body.update(spec)
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "ExternalModel",
            "metadata": {"name": "gpt-4o", "namespace": namespace}, "spec": body}


def test_an_upstream_external_model_is_accepted(plane, maas_crds, namespace):
    proc = plane.dry_run(external_model(namespace))
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("field", ["provider", "targetModel", "endpoint", "credentialRef"])
def test_external_model_fields_are_required(plane, maas_crds, namespace, field):
    model = external_model(namespace)
    del model["spec"][field]
    proc = plane.dry_run(model)
    assert proc.returncode != 0 and field in proc.stderr


@pytest.mark.parametrize("spec", [{"endpoint": "https://api.openai.com"}, {"endpoint": "api.openai.com/v1"},
                                  {"provider": "p" * 64}, {"targetModel": ""}, {"credentialRef": {"name": ""}}])
def test_external_model_rejects_what_upstream_rejects(plane, maas_crds, namespace, spec):
    assert plane.dry_run(external_model(namespace, **spec)).returncode != 0


def test_external_model_printer_columns_show_provider_endpoint_and_phase(plane, maas_crds, namespace):
    plane.apply(external_model(namespace))
    header = plane.kubectl("get", "externalmodels", "-n", namespace).stdout.splitlines()[0].split()
    assert header[:4] == ["NAME", "PROVIDER", "ENDPOINT", "PHASE"]
