"""A stand-in for maas-api's two internal endpoints Authorino calls, as pure functions.

No registry serves maas-api, so this is shaped after the upstream contract (the reference notes on
`/internal/v1/api-keys/validate` and `/internal/v1/subscriptions/select`): both always answer
HTTP 200 with the outcome in the body. `select` reads the MaaS CRs as maas-api's informers do, every
CR as written, valid or not: it trusts what a status says (every subscription counts as Active
here), which is exactly why the generated AuthPolicy re-checks the selection against the run's own
validation. The real-Kuadrant suite serves these functions over HTTPS.
"""

from __future__ import annotations


def validate_key(api_keys: dict, body: dict) -> dict:
    """POST /internal/v1/api-keys/validate: {"key"} -> {valid, userId, username, keyId, groups, subscription, reason}."""
    answer = api_keys.get(body.get("key"))
    if answer is None:
        return {"valid": False, "reason": "api key not found"}
    return dict({"valid": True, "groups": [], "subscription": "", "reason": ""}, **answer)


def _owners(sub: dict) -> tuple[set, set]:
    owner = (sub.get("spec") or {}).get("owner") or {}
    groups = {g["name"].strip() for g in owner.get("groups") or [] if isinstance(g, dict) and "name" in g}
    return groups, {u.strip() for u in owner.get("users") or []}


def _accessible(sub: dict, username: str, groups: list) -> bool:
    owner_groups, owner_users = _owners(sub)
    return username in owner_users or bool(owner_groups & {g.strip() for g in groups})


def _limits_for(sub: dict, model: str) -> list | None:
    for entry in (sub.get("spec") or {}).get("modelRefs") or []:
        if "%s/%s" % (entry.get("namespace"), entry.get("name")) == model:
            return entry.get("tokenRateLimits") or []
    return None


def _ref(obj: dict) -> str:
    return "%s/%s" % (obj["metadata"]["namespace"], obj["metadata"]["name"])


def _rank(sub: dict, model: str) -> tuple:
    limits = _limits_for(sub, model) or [{"limit": 0}]
    return (-int((sub.get("spec") or {}).get("priority") or 0), -max(int(r.get("limit") or 0) for r in limits),
            sub["metadata"]["name"])


def _access_allowed(resources: list, sub_namespace: str, model: str, username: str, groups: list) -> bool:
    """Some MaaSAuthPolicy of the subscription's namespace names the caller and the model."""
    for policy in resources:
        if policy.get("kind") != "MaaSAuthPolicy" or policy["metadata"]["namespace"] != sub_namespace:
            continue
        spec = policy.get("spec") or {}
        models = {"%s/%s" % (m.get("namespace"), m.get("name")) for m in spec.get("modelRefs") or []}
        subjects = spec.get("subjects") or {}
        names = {g["name"] for g in subjects.get("groups") or []}
        if model in models and (username in (subjects.get("users") or []) or names & set(groups)):
            return True
    return False


def _error(code: str, message: str) -> dict:
    return {"error": code, "message": message, "accessAllowed": False, "phase": ""}


def _success(resources: list, sub: dict, model: str, username: str, groups: list) -> dict:
    spec = sub.get("spec") or {}
    metadata = spec.get("tokenMetadata") or {}
    return {"name": sub["metadata"]["name"], "namespace": sub["metadata"]["namespace"],
            "priority": int(spec.get("priority") or 0), "organizationId": metadata.get("organizationId", ""),
            "costCenter": metadata.get("costCenter", ""), "labels": metadata.get("labels", {}),
            "resolvedModel": model, "phase": "Active", "ready": True, "deletionTimestamp": "", "error": "",
            "message": "", "accessAllowed": _access_allowed(resources, sub["metadata"]["namespace"], model,
                                                            username, groups)}


def select_subscription(resources: list, body: dict) -> dict:
    """POST /internal/v1/subscriptions/select: {groups, username, requestedSubscription, requestedModel}."""
    username, groups = body.get("username") or "", body.get("groups") or []
    model, requested = body.get("requestedModel") or "", (body.get("requestedSubscription") or "").strip()
    if not username:
        return _error("bad_request", "username is required")
    subs = sorted((r for r in resources if r.get("kind") == "MaaSSubscription"), key=lambda s: _rank(s, model))
    if requested:
        named = [s for s in subs if _ref(s) == requested] or [s for s in subs if s["metadata"]["name"] == requested]
        if not named:
            return _error("not_found", "subscription %s not found" % requested)
        owned = [s for s in named if _accessible(s, username, groups)]
        if not owned:
            return _error("access_denied", "you do not have access to subscription %s" % requested)
        if _limits_for(owned[0], model) is None:
            return _error("model_not_in_subscription", "subscription %s does not include model %s" % (requested, model))
        return _success(resources, owned[0], model, username, groups)
    usable = [s for s in subs if _accessible(s, username, groups) and _limits_for(s, model) is not None]
    if not usable:
        return _error("not_found", "no accessible subscription includes model %s" % model)
    if len(usable) > 1:
        return _error("multiple_subscriptions", "several subscriptions include model %s; choose one with the "
                      "X-MaaS-Subscription header" % model)
    return _success(resources, usable[0], model, username, groups)
