"""Which objects a reconcile applies, prunes or leaves alone, and which AuthPolicies conflict."""

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import identity
from ansible_collections.modelserving.maas.plugins.module_utils._maas.ownership import (
    GATEWAY_GROUP,
    conflicting_auth_policies,
    group_of,
    honoured_resources,
    plan,
    producers_of,
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


def test_objects_of_a_held_model_are_neither_applied_nor_pruned():
    orphan, wanted = policy("maas-trlp-llama"), policy("maas-auth-llama", kind="AuthPolicy")
    assert plan([wanted], live_map(orphan), OURS, held=["llm/other"]) == {
        "apply": [wanted], "prune": [orphan], "opted_out": [], "foreign": [], "adopt": set()}
    assert plan([wanted], live_map(orphan), OURS, held=["llm/llama"]) == {
        "apply": [], "prune": [], "opted_out": [], "foreign": [], "adopt": set()}


def test_a_kept_policy_is_not_pruned_while_the_rest_of_its_model_is():
    kept, orphan = policy("maas-trlp-llama"), policy("maas-auth-llama", kind="AuthPolicy")
    work = plan([], live_map(kept, orphan), OURS, kept={identity(kept)})
    assert work["prune"] == [orphan]


def upstream(name, model="qwen3", annotation=("maas.opendatahub.io/subscriptions", "gold,free"), era_a=True,
             part_of="maas-subscription"):
    obj = policy(name, model=model, producers=None)
    obj["metadata"]["labels"]["app.kubernetes.io/part-of"] = part_of
    if era_a:
        del obj["metadata"]["labels"]["maas.opendatahub.io/model-namespace"]
    obj["metadata"]["annotations"][annotation[0]] = annotation[1]
    return obj


def test_the_reference_controllers_objects_are_adopted_and_their_orphans_pruned():
    theirs, orphan = upstream("maas-trlp-qwen3"), upstream("maas-trlp-old", model="old")
    ours = policy("maas-trlp-qwen3", model="qwen3")
    work = plan([ours], live_map(theirs, orphan), OURS, namespaces=["models-as-a-service"])
    assert work["apply"] == [ours] and work["adopt"] == {identity(ours)}
    assert work["prune"] == [orphan]
    assert group_of(orphan) == "llm/old"


def test_bare_upstream_producer_names_stand_for_that_name_in_each_allowed_namespace():
    era_a = upstream("maas-auth-qwen3", annotation=("maas.opendatahub.io/auth-policies", "team-a"),
                     part_of="maas-auth-policy")
    era_b = upstream("maas-trlp-qwen3", annotation=("maas.opendatahub.io/subscriptions", "t/gold, u/free"), era_a=False)
    assert producers_of(era_a, ["a", "b"]) == ["a/team-a", "b/team-a"]
    assert producers_of(era_b, []) == ["t/gold", "u/free"]
    assert producers_of(policy("x", producers="m/s"), []) == ["m/s"]
    # Bare names without any namespace to read CRs from name nothing: such an object is kept.
    assert plan([], live_map(era_a), OURS, namespaces=[])["prune"] == []


def test_only_labelled_upstream_objects_are_adopted():
    unlabelled = upstream("maas-trlp-qwen3")
    del unlabelled["metadata"]["labels"]["app.kubernetes.io/managed-by"]
    opted_out = upstream("maas-trlp-qwen3")
    opted_out["metadata"]["labels"]["opendatahub.io/managed"] = "false"
    ours = policy("maas-trlp-qwen3", model="qwen3")
    assert plan([ours], live_map(unlabelled), OURS)["foreign"] == ["TokenRateLimitPolicy llm/maas-trlp-qwen3"]
    assert plan([ours], live_map(opted_out), OURS)["opted_out"] == ["TokenRateLimitPolicy llm/maas-trlp-qwen3"]
    assert plan([], live_map(unlabelled), OURS, namespaces=["m"])["prune"] == []
    assert plan([], live_map(opted_out), OURS, namespaces=["m"])["prune"] == []
    assert plan([ours], live_map(policy("maas-trlp-qwen3", model="qwen3")), OURS)["adopt"] == set()


def gateway_policy(name):
    obj = policy(name, ns="openshift-ingress")
    del obj["metadata"]["labels"]["maas.opendatahub.io/model"]
    del obj["metadata"]["labels"]["maas.opendatahub.io/model-namespace"]
    return obj


def test_gateway_level_objects_are_one_group_of_their_own():
    deny, model = gateway_policy("gateway-default-deny"), policy("maas-trlp-llama")
    assert (group_of(deny), group_of(model)) == (GATEWAY_GROUP, "llm/llama")
    assert plan([], live_map(deny, model), OURS)["prune"] == [model, deny]
    assert plan([], live_map(deny, model), OURS, held=[GATEWAY_GROUP])["prune"] == [model]


def test_tier_policies_are_kept_when_this_run_does_not_manage_tiers():
    tiers, deny = gateway_policy("maas-tier-usage"), gateway_policy("gateway-default-deny")
    assert plan([], live_map(tiers, deny), OURS)["prune"] == [deny, tiers]
    assert plan([], live_map(tiers, deny), OURS, keep_tiers=True)["prune"] == [deny]
    # A model's object that happens to carry the name is not a tier policy.
    assert plan([], live_map(policy("maas-tier-usage")), OURS, keep_tiers=True)["prune"] != []


def cr(kind, namespace, name="x"):
    return {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": kind, "metadata": {"name": name, "namespace": namespace}}


def test_only_the_tenant_of_the_tenant_namespace_counts():
    real, intruder = cr("Tenant", "mas", "default-tenant"), cr("Tenant", "aaa", "default-tenant")
    trust = honoured_resources([intruder, real], "mas", ["mas"])
    assert trust["honoured"] == [real]
    assert trust["refused"] == [{"kind": "Tenant", "namespace": "aaa", "name": "default-tenant",
                                 "reason": "Tenant aaa/default-tenant: ignored: only Tenant mas/default-tenant "
                                           "configures MaaS"}]


def test_policies_and_subscriptions_count_only_in_the_allowed_namespaces():
    objs = [cr("MaaSAuthPolicy", "rogue"), cr("MaaSSubscription", "rogue"), cr("MaaSSubscription", "team"),
            cr("MaaSModelRef", "rogue"), cr("MaaSSubscription", "mas")]
    trust = honoured_resources(objs, "mas", ["team", "mas"])
    assert trust["honoured"] == objs[2:]
    assert [r["reason"] for r in trust["refused"]] == [
        "MaaSAuthPolicy rogue/x: namespace rogue is not allowed: MaaSAuthPolicy and MaaSSubscription are honoured "
        "only in mas, team",
        "MaaSSubscription rogue/x: namespace rogue is not allowed: MaaSAuthPolicy and MaaSSubscription are "
        "honoured only in mas, team"]


def test_foreign_auth_policy_on_a_model_route_is_a_conflict():
    routes = {"llm/llama": {"name": "llama-route", "namespace": "llm"}}
    foreign = {"kind": "AuthPolicy", "metadata": {"name": "legacy", "namespace": "llm"},
               "spec": {"targetRef": {"kind": "HTTPRoute", "name": "llama-route"}}}
    ours = policy("maas-auth-llama", kind="AuthPolicy")
    ours["spec"] = {"targetRef": {"kind": "HTTPRoute", "name": "llama-route"}}
    elsewhere = {"kind": "AuthPolicy", "metadata": {"name": "x", "namespace": "other"},
                 "spec": {"targetRef": {"kind": "HTTPRoute", "name": "llama-route"}}}
    assert conflicting_auth_policies([foreign, ours, elsewhere], routes, OURS) == {"llm/llama": ["llm/legacy"]}
