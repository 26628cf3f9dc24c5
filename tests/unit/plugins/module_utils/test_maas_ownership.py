"""Which objects a reconcile applies, prunes or leaves alone, and which AuthPolicies conflict."""

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import identity
from ansible_collections.modelserving.maas.plugins.module_utils._maas.ownership import conflicting_auth_policies, plan

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
