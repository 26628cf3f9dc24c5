"""Reconcile decisions: what is applied, pruned, left alone, and what status is written."""

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import identity
from ansible_collections.modelserving.maas.plugins.module_utils._maas.reconcile import (
    condition,
    conflicting_auth_policies,
    desired_statuses,
    plan,
    status_differs,
)

OURS = "maas-controller"


def policy(name, ns="llm", model="llama", ours=True, producers="m/s", opted_out=False, kind="TokenRateLimitPolicy"):
    labels = {"maas.opendatahub.io/model": model, "maas.opendatahub.io/model-namespace": ns}
    if ours:
        labels["app.kubernetes.io/managed-by"] = OURS
    annotations = {"maas.opendatahub.io/producers": producers} if producers else {}
    if opted_out:
        annotations["opendatahub.io/managed"] = "false"
    return {"apiVersion": "kuadrant.io/v1alpha1", "kind": kind,
            "metadata": {"name": name, "namespace": ns, "labels": labels, "annotations": annotations}}


def live_map(*objs):
    return {identity(o): o for o in objs}


def test_desired_objects_are_applied_and_orphans_pruned():
    keep, orphan = policy("maas-trlp-llama"), policy("maas-trlp-old", model="old")
    work = plan([keep], live_map(keep, orphan), OURS)
    assert work["apply"] == [keep]
    assert work["prune"] == [orphan]


def test_opted_out_objects_are_neither_updated_nor_pruned():
    frozen, orphan = policy("maas-trlp-llama", opted_out=True), policy("maas-trlp-old", model="old", opted_out=True)
    work = plan([policy("maas-trlp-llama")], live_map(frozen, orphan), OURS)
    assert work["apply"] == [] and work["prune"] == []
    assert work["opted_out"] == ["TokenRateLimitPolicy llm/maas-trlp-llama"]


def test_objects_without_our_label_are_never_touched():
    theirs = policy("maas-trlp-llama", ours=False)
    stranger = policy("something-else", ours=False)
    work = plan([policy("maas-trlp-llama")], live_map(theirs, stranger), OURS)
    assert work["apply"] == [] and work["prune"] == []
    assert work["foreign"] == ["TokenRateLimitPolicy llm/maas-trlp-llama"]


def test_objects_without_the_producers_annotation_are_not_pruned():
    legacy = policy("maas-trlp-legacy", model="legacy", producers=None)
    assert plan([], live_map(legacy), OURS)["prune"] == []


def test_objects_of_a_frozen_model_are_not_pruned():
    orphan = policy("maas-trlp-llama")
    assert plan([], live_map(orphan), OURS, frozen_models=["llm/llama"])["prune"] == []
    assert plan([], live_map(orphan), OURS, frozen_models=["llm/other"])["prune"] == [orphan]


def test_foreign_auth_policy_on_a_model_route_is_a_conflict():
    routes = {"llm/llama": {"name": "llama-route", "namespace": "llm"}}
    foreign = {"kind": "AuthPolicy", "metadata": {"name": "legacy", "namespace": "llm"},
               "spec": {"targetRef": {"kind": "HTTPRoute", "name": "llama-route"}}}
    ours = policy("maas-auth-llama", kind="AuthPolicy")
    ours["spec"] = {"targetRef": {"kind": "HTTPRoute", "name": "llama-route"}}
    elsewhere = {"kind": "AuthPolicy", "metadata": {"name": "x", "namespace": "other"},
                 "spec": {"targetRef": {"kind": "HTTPRoute", "name": "llama-route"}}}
    assert conflicting_auth_policies([foreign, ours, elsewhere], routes, OURS) == {"llm/llama": ["llm/legacy"]}


def test_condition_keeps_its_transition_time_while_the_status_holds():
    before = [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]
    assert condition("Ready", "True", "R", "m", 1, before, "NOW")["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    assert condition("Ready", "False", "R", "m", 1, before, "NOW")["lastTransitionTime"] == "NOW"


def test_timestamps_alone_do_not_make_a_status_write():
    a = {"phase": "Active", "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "1"}]}
    b = {"phase": "Active", "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2"}]}
    assert not status_differs(a, b)
    assert status_differs(dict(a, phase="Degraded"), b)


def subscription(name, refs):
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "MaaSSubscription",
            "metadata": {"name": name, "namespace": "mas", "generation": 3},
            "spec": {"modelRefs": [{"name": r, "namespace": "llm"} for r in refs]}}


def statuses_for(sub, missing=(), invalid=None):
    translation = {"objects": [], "skipped": [],
                   "invalid": [{"kind": "MaaSSubscription", "namespace": "mas", "name": sub["metadata"]["name"],
                                "reason": invalid}] if invalid else [],
                   "missing_models": [{"kind": "MaaSSubscription", "namespace": "mas",
                                       "name": sub["metadata"]["name"], "model": m} for m in missing]}
    statuses = desired_statuses([sub], translation, {}, {}, {}, "NOW")
    return statuses[("maas.opendatahub.io/v1alpha1", "MaaSSubscription", "mas", sub["metadata"]["name"])]


def test_subscription_phases_follow_missing_models():
    sub = subscription("gold", ["a", "b"])
    assert statuses_for(sub)["phase"] == "Active"
    degraded = statuses_for(sub, missing=["llm/b"])
    assert degraded["phase"] == "Degraded"
    assert degraded["conditions"][0]["message"] == "1 of 2 model references are missing: llm/b"
    assert statuses_for(sub, missing=["llm/a", "llm/b"])["phase"] == "Failed"
    invalid = statuses_for(sub, invalid="MaaSSubscription mas/gold: spec.x: bad")
    assert invalid["phase"] == "Failed" and invalid["conditions"][0]["reason"] == "InvalidSpec"
    assert invalid["conditions"][0]["observedGeneration"] == 3
