# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Every name, label, annotation, selector and prefix the MaaS translation generates or reads.

Translation, pruning and status all derive object names from the functions here, so they cannot
drift apart: "which AuthPolicy belongs to model llm/qwen3" has one answer, `auth_policy_name`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

MAAS_GROUP = "maas.opendatahub.io"
MAAS_API_VERSION = MAAS_GROUP + "/v1alpha1"
MAAS_KINDS = ("Tenant", "MaaSModelRef", "MaaSAuthPolicy", "MaaSSubscription")
GATEWAY_API_GROUP = "gateway.networking.k8s.io"

DEFAULT_MAAS_API_URL = "https://maas-api.opendatahub.svc.cluster.local:8443"
DEFAULT_AUDIENCES = ("https://kubernetes.default.svc", "maas-default-gateway-sa")
DEFAULT_GATEWAY = {"namespace": "openshift-ingress", "name": "maas-default-gateway"}
DEFAULT_MANAGED_BY = "maas-controller"
SELECTION_MODES = ("groups", "subscription")
EXTERNAL_TLS_MODES = ("destinationrule", "backendtlspolicy")

# Labels and annotations on every generated object.
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
PART_OF_LABEL = "app.kubernetes.io/part-of"
COMPONENT_LABEL = "app.kubernetes.io/component"
PART_OF = "models-as-a-service"
MODEL_LABEL = MAAS_GROUP + "/model"
MODEL_NAMESPACE_LABEL = MAAS_GROUP + "/model-namespace"
PRODUCERS_ANNOTATION = MAAS_GROUP + "/producers"
# The reference controller lists the CRs behind a policy under these keys; we write them too (same
# value as the producers annotation), so upstream's documentation and tools still find the objects.
SUBSCRIPTIONS_ANNOTATION = MAAS_GROUP + "/subscriptions"
AUTH_POLICIES_ANNOTATION = MAAS_GROUP + "/auth-policies"
# An object labelled or annotated with this key set to "false" is never written nor deleted.
OPT_OUT_KEY = "opendatahub.io/managed"
# The digest of what maas_policy_sync last applied to an object: a later write of the same digest can
# only be putting back what someone else changed, so it is drift.
APPLIED_DIGEST_ANNOTATION = MAAS_GROUP + "/applied-digest"
# The part-of labels of the reference controller's per-model AuthPolicies and TokenRateLimitPolicies.
UPSTREAM_PART_OF = ("maas-auth-policy", "maas-subscription")

# Annotations on an ExternalModel that say how to reach the provider.
EXTERNAL_PORT_ANNOTATION = MAAS_GROUP + "/port"
EXTERNAL_TLS_ANNOTATION = MAAS_GROUP + "/tls"
# Set on the objects generated for an ExternalModel, as the reference controller labels them.
EXTERNAL_MODEL_LABEL = MAAS_GROUP + "/external-model"
# The header upstream's payload-processing component sets from the request body's model name; the
# second rule of an ExternalModel's route matches it.
MODEL_NAME_HEADER = "X-Gateway-Model-Name"

# The header a caller names a subscription with (lower case, as Envoy presents header names).
SUBSCRIPTION_HEADER = "x-maas-subscription"
# Paths the gateway-default-deny TokenRateLimitPolicy leaves alone (maas-api's own endpoints).
MANAGEMENT_PATH_PREFIXES = ("/maas-api", "/v1/models", "/v1/api-keys", "/v1/subscriptions")

# The labels KServe puts on the HTTPRoute it creates for an LLMInferenceService, besides
# app.kubernetes.io/name=<service name>.
KSERVE_ROUTE_LABELS = {
    "app.kubernetes.io/component": "llminferenceservice-router",
    "app.kubernetes.io/part-of": "llminferenceservice",
}
KSERVE_SERVICE_LABEL = "app.kubernetes.io/name"
KSERVE_ROUTE_SELECTOR = ",".join("%s=%s" % kv for kv in sorted(KSERVE_ROUTE_LABELS.items()))

# The object names generated at gateway level.
GATEWAY_DEFAULT_AUTH = "gateway-default-auth"
GATEWAY_DEFAULT_DENY = "gateway-default-deny"
TIER_USAGE = "maas-tier-usage"

# (apiVersion, kind) of everything the translation can generate; each is listed once per run.
AUTH_POLICY = ("kuadrant.io/v1", "AuthPolicy")
TOKEN_RATE_LIMIT_POLICY = ("kuadrant.io/v1alpha1", "TokenRateLimitPolicy")
RATE_LIMIT_POLICY = ("kuadrant.io/v1", "RateLimitPolicy")
HTTPROUTE = (GATEWAY_API_GROUP + "/v1", "HTTPRoute")
SERVICE = ("v1", "Service")
DESTINATION_RULE = ("networking.istio.io/v1", "DestinationRule")
BACKEND_TLS_POLICY = (GATEWAY_API_GROUP + "/v1", "BackendTLSPolicy")
SERVICE_ENTRY = ("networking.istio.io/v1", "ServiceEntry")
GENERATED_KINDS = (AUTH_POLICY, TOKEN_RATE_LIMIT_POLICY, RATE_LIMIT_POLICY, HTTPROUTE, SERVICE,
                   DESTINATION_RULE, BACKEND_TLS_POLICY, SERVICE_ENTRY)
# Read, never generated; a cluster that does not serve it simply has no ExternalModels.
EXTERNAL_MODEL = (MAAS_API_VERSION, "ExternalModel")
# The generated kinds whose whole spec is ours: what anyone else adds under it is removed. Not
# Service, whose spec the API server and other controllers also fill in.
SPEC_OWNED_KINDS = tuple(kind for _version, kind in GENERATED_KINDS if kind != SERVICE[1])


def ref(namespace, name):
    """`namespace/name`: how a namespaced object or model is named in messages, keys and annotations."""
    return "%s/%s" % (namespace, name)


def split_ref(text):
    """(namespace, name) of a `namespace/name` reference; a namespace never contains '/'."""
    namespace, _sep, name = text.partition("/")
    return namespace, name


def meta(obj):
    """The metadata of an object, {} when it has none (or is not a mapping at all)."""
    found = obj.get("metadata") if isinstance(obj, dict) else None
    return found if isinstance(found, dict) else {}


def namespace_name(obj):
    """(namespace, name) of an object as strings, "" for a part it lacks."""
    found = meta(obj)
    return str(found.get("namespace") or ""), str(found.get("name") or "")


# How a hashed name ends: '-' and ten hex digits. A name that is not hashed never ends so.
_HASH_SUFFIX = re.compile(r"-[0-9a-f]{10}\Z")
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")


def _hashed(prefix, name, limit) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    return (prefix + name.replace(".", "-"))[:limit - 11].rstrip("-") + "-" + digest


def short_name(prefix, name, limit):
    """A DNS-1035 label (what a Service name must be) for `name`, distinct for distinct names.

    `prefix + name` when that is a label of at most `limit` characters and does not end like a
    hashed name; otherwise `prefix` and the start of `name` (dots made dashes) cut to fit, then '-'
    and the first ten hex digits of the SHA-256 of `name`. The plain forms never end in a hash
    suffix and the hashed forms always do, so a plain name can never be crafted to equal a hashed
    one; two hashed names meet only if 40 bits of SHA-256 do.
    """
    full = prefix + name
    if len(full) <= limit and _DNS_1035_LABEL.match(full) and not _HASH_SUFFIX.search(full):
        return full
    return _hashed(prefix, name, limit)


def auth_policy_name(model):
    """The AuthPolicy that enforces MaaSAuthPolicies on model (namespace, name).

    It lives in the model's namespace, and a model name (a DNS subdomain of at most 63 characters)
    makes a valid object name: one name per model."""
    return "maas-auth-" + model[1]


def trlp_name(model):
    """The TokenRateLimitPolicy that enforces MaaSSubscriptions on model (namespace, name)."""
    return "maas-trlp-" + model[1]


def external_route_name(target):
    """The HTTPRoute generated for ExternalModel `target`, in the ExternalModel's namespace.

    `maas-<target>`, hashed as short_name hashes when that exceeds the 253 characters of an object
    name (or ends like a hashed name, so no target can be crafted to take another's route). One per
    ExternalModel, so two MaaSModelRefs of one namespace cannot share a target (validate rejects them)."""
    full = "maas-" + target
    if len(full) <= 253 and not _HASH_SUFFIX.search(full):
        return full
    return _hashed("maas-", target, 253)


def external_model_label(target):
    """The value of label maas.opendatahub.io/external-model: the ExternalModel's name, or, past the
    63 characters a label value holds, its start and a hash."""
    if len(target) <= 63:
        return target
    return _hashed("", target, 63)


def external_service_name(target):
    """The ExternalName Service (and its TLS policy) generated for ExternalModel `target`.

    A Service name is a DNS-1035 label of at most 63 characters; an ExternalModel name may hold
    dots and run to 253, so those are hashed (short_name)."""
    return short_name("maas-", target, 63)


# TokenRateLimitPolicy limit keys. Every key carries the full identity of what it limits, joined by
# characters no Kubernetes name can hold ('/', '@', ':'), so no two (namespace, name, model) share
# a key: `team/a-gold` and `team-a/gold` are different subscriptions and keep different limits.
# Kuadrant accepts any string as a key (it sanitises it and adds a hash of it for Limitador).
#
# Changing a key format is safe: the TokenRateLimitPolicy of a model is rebuilt whole and written in
# one server-side apply, which replaces the old keys by the new ones in the same write. Keep it so:
# a two-step write (add the new keys, later drop the old) would enforce both in between, and keep
# both for good when the second step fails.


def model_key_suffix(model) -> str:
    """`@<modelNs>/<model>`: what follows the subscription in a subscription key."""
    return "@" + ref(*model)


def subscription_key(subscription_namespace, subscription, model) -> str:
    """`<subNs>/<sub>@<modelNs>/<model>`: maas-api's key of a subscription on a model (its
    selected_subscription_key). A namespace holds no '/' and a name no '@', so the key splits back."""
    return ref(subscription_namespace, subscription) + model_key_suffix(model)


def token_limit_key(subscription_namespace, subscription, model) -> str:
    """The limit that counts a subscription's tokens on model (namespace, name): its subscription key.

    It used to be `<subNs>-<sub>-<model>-tokens`, the same for `team/a-gold` and `team-a/gold`."""
    return subscription_key(subscription_namespace, subscription, model)


def deny_not_member_key(subscription_namespace, subscription, model) -> str:
    """groups mode: the limit 0 for a caller naming this subscription without owning it."""
    return "deny-not-member:" + subscription_key(subscription_namespace, subscription, model)


def deny_unsubscribed_key(model) -> str:
    """groups mode: the limit 0 for a request no subscription of the model was selected for."""
    return "deny-unsubscribed:" + ref(*model)


def target_ref(kind, name):
    """A policy's targetRef: Gateway API object `kind` `name`, in the policy's own namespace."""
    return {"group": GATEWAY_API_GROUP, "kind": kind, "name": name}


def labels(managed_by, component, model=None):
    """The labels of a generated object; `model` (namespace, name) adds the model labels."""
    out = {
        MANAGED_BY_LABEL: managed_by,
        PART_OF_LABEL: PART_OF,
        COMPONENT_LABEL: component,
    }
    if model is not None:
        out[MODEL_LABEL] = model[1]
        out[MODEL_NAMESPACE_LABEL] = model[0]
    return out


def metadata(name, namespace, managed_by, component, producers, model=None, upstream_annotation=None):
    """metadata of a generated object: its labels and the sorted producers annotation, repeated
    under `upstream_annotation` (the reference controller's key for the same list) when given."""
    producers_text = ",".join(sorted(set(producers)))
    annotations = {PRODUCERS_ANNOTATION: producers_text}
    if upstream_annotation:
        annotations[upstream_annotation] = producers_text
    return {
        "name": name,
        "namespace": namespace,
        "labels": labels(managed_by, component, model),
        "annotations": dict(sorted(annotations.items())),
    }


def model_of(obj):
    """`ns/name` of the model a generated object belongs to, or None for gateway-level objects."""
    found = meta(obj).get("labels") or {}
    if found.get(MODEL_LABEL) and found.get(MODEL_NAMESPACE_LABEL):
        return ref(found[MODEL_NAMESPACE_LABEL], found[MODEL_LABEL])
    return None
