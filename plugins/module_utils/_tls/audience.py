# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Which audiences Authorino's token review must accept: the cluster's own, then the gateway's.

A service-account token carries the audiences the API server gives tokens by default in its `aud`
claim; on clusters whose issuer is not `https://kubernetes.default.svc` (most managed clusters) a
TokenReview that asks for that default audience fails, so the audience is read from a freshly
requested token. The token itself is only decoded here, never verified, stored or returned.
`requested_claims` and `run` (module token_audience) are the only functions that talk to the cluster.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import json
import time

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError, namespace_missing
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure

# Tokens minted for the gateway's service account (`kubectl create token ... --audience
# maas-default-gateway-sa`) are accepted everywhere MaaS reviews tokens.
GATEWAY_AUDIENCE = "maas-default-gateway-sa"
# What the API server uses when --api-audiences and --service-account-issuer are left at their defaults.
KUBERNETES_DEFAULT_AUDIENCE = "https://kubernetes.default.svc"
# The shortest lifetime the API server grants; the token is thrown away at once anyway.
TOKEN_REQUEST_SECONDS = 600


def token_request(expiration_seconds=TOKEN_REQUEST_SECONDS):
    """The TokenRequest body: no audiences, so the token carries the cluster's default ones."""
    return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {"expirationSeconds": int(expiration_seconds)}}


def jwt_claims(token):
    """The JSON payload of a JWT (header.payload.signature), without verifying it.

    Raises ValueError with a message that never repeats the token."""
    if not isinstance(token, str) or not token:
        raise ValueError("the token is empty")
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("the token is not a JWT: it has %d dot-separated parts, not 3" % len(parts))
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("the token's payload is not base64url-encoded JSON")
    if not isinstance(claims, dict):
        raise ValueError("the token's payload is not a JSON object")
    return claims


def audiences_of(claims):
    """The `aud` claim as a list (RFC 7519 allows a single string or an array)."""
    aud = claims.get("aud")
    if isinstance(aud, str) and aud:
        return [aud]
    if isinstance(aud, list) and aud and all(isinstance(a, str) and a for a in aud):
        return list(aud)
    raise ValueError("the token has no usable aud claim")


def merge_audiences(detected, override=None, always=(GATEWAY_AUDIENCE,)):
    """The audiences token review accepts: `override` when given, else `detected`, then `always`;
    first occurrence wins, blanks dropped."""
    chosen = list(override or []) or list(detected or [])
    merged = []
    for audience in chosen + list(always or []):
        audience = (audience or "").strip()
        if audience and audience not in merged:
            merged.append(audience)
    return merged


# ---------------------------------------------------------------------------------------------
# cluster I/O


def requested_claims(cluster, namespace, service_account, wait_timeout):
    """The claims of a fresh token for the service account; the token goes no further than this."""
    path = cluster.path("v1", "ServiceAccount", namespace, service_account, "token")
    deadline = time.monotonic() + max(0, wait_timeout)
    while True:
        try:
            response = cluster.request("POST", path, body=token_request(), query={"dryRun": "All"})
            break
        except K8sError as err:
            # A new namespace gets its `default` ServiceAccount shortly; a missing namespace does not.
            if err.status != 404 or namespace_missing(err, namespace) or time.monotonic() >= deadline:
                raise
            time.sleep(1)
    token = (response.get("status") or {}).pop("token", None)
    return jwt_claims(token)


def run(params, context):
    """The token_audience result: the overriding audiences, or those of a freshly requested token."""
    override = [a for a in params["override_audiences"] if a and a.strip()]
    if override:
        return dict(changed=False, source="override", detected=[], issuer=None,
                    audiences=merge_audiences([], override, params["extra_audiences"]))

    namespace, service_account = params["namespace"], params["service_account"]
    cluster = context.cluster()
    try:
        try:
            claims = requested_claims(cluster, namespace, service_account, params["wait_timeout"])
        except K8sError as err:
            if not (context.check_mode and namespace_missing(err, namespace)):
                raise
            # The audiences are the cluster's, not the namespace's: any service account tells them.
            context.warn("namespace %s does not exist yet (an earlier task would create it): check mode reads "
                         "the audiences with ServiceAccount default/default instead" % namespace)
            namespace, service_account = "default", "default"
            claims = requested_claims(cluster, namespace, service_account, params["wait_timeout"])
        detected = audiences_of(claims)
    except K8sError as err:
        where = "ServiceAccount %s/%s" % (namespace, service_account)
        hint = " (create it, or give the audiences with override_audiences / maas_token_audiences)" \
            if err.status == 404 else ""
        raise ModuleFailure("%s: cannot request a token to read the cluster's audience: %s%s" % (where, err, hint))
    except ValueError as err:
        raise ModuleFailure("ServiceAccount %s/%s: the API server returned a token this module cannot read: %s"
                            % (namespace, service_account, err))
    issuer = claims.get("iss") if isinstance(claims.get("iss"), str) else None
    return dict(changed=False, source="token_request", detected=detected, issuer=issuer,
                audiences=merge_audiences(detected, None, params["extra_audiences"]))
