# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Who the caller is, as Authorino sees it: the CEL of the generated AuthPolicies.

A caller presents one bearer credential in `Authorization`:
- an API key (`Bearer sk-oai-...`): Authorino accepts it as a plain identity (the header itself, a
  string) and asks maas-api whether it is valid; user, groups and the subscription the key is bound
  to come from that answer (`auth.metadata.apiKeyValidation`);
- an OIDC token of the Tenant's external issuer (JWT-shaped, when `spec.externalOIDC` is set):
  user from `preferred_username` (else `sub`), groups from the `groups` claim;
- a Kubernetes token (TokenReview), accepted on `/v1/models` only: user and groups of the review.

Token identities are stamped by the authentication rule that accepted them (`maas_source`, an
override no token claim can set), so a JWT claiming `user: {username: admin}` is never read as a
TokenReview answer. Every expression is total: it yields a value for any request, including one
whose identity is a plain string (the API key), because the API-key branch is always taken first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.modelserving.maas.plugins.module_utils._maas.cel import cel_string

API_KEY_PREFIX = "sk-oai-"
# The headers maas-api trusts as the caller's identity; a client sending one forges it.
IDENTITY_HEADERS = ("x-maas-username", "x-maas-group", "x-maas-key-id")
SOURCE = "maas_source"
KUBERNETES, OIDC = "kubernetes", "oidc"
# OIDC groups reach membership checks and, for maas-api, a JSON header built by concatenation.
SAFE_GROUP = "^[A-Za-z0-9:._/-]+$"

HAS_AUTHORIZATION = '"authorization" in request.headers'
AUTHORIZATION = 'request.headers["authorization"]'
IS_API_KEY = '%s && %s.startsWith("Bearer %s")' % (HAS_AUTHORIZATION, AUTHORIZATION, API_KEY_PREFIX)
IS_NOT_API_KEY = "!(%s)" % IS_API_KEY
IS_JWT = '%s && %s.matches("^Bearer [^.]+\\\\.[^.]+\\\\.[^.]+$")' % (HAS_AUTHORIZATION, AUTHORIZATION)
RAW_KEY = '(%s ? %s.replace("Bearer ", "") : "")' % (HAS_AUTHORIZATION, AUTHORIZATION)
MODELS_LIST = 'request.url_path.endsWith("/v1/models")'

HAS_AK = "has(auth.metadata) && has(auth.metadata.apiKeyValidation)"
AK = "auth.metadata.apiKeyValidation"
API_KEY_VALID = "%s && has(%s.valid) && %s.valid == true" % (HAS_AK, AK, AK)
BOUND_SUBSCRIPTION = '((%s && has(%s.subscription)) ? %s.subscription : "")' % (HAS_AK, AK, AK)
KEY_ID = '((%s && has(%s.keyId)) ? %s.keyId : "")' % (HAS_AK, AK, AK)


# The source of a token identity; only read once the credential is known not to be an API key,
# whose identity is a string that has() cannot look into.
_SOURCE = '(has(auth.identity.%s) ? auth.identity.%s : "")' % (SOURCE, SOURCE)
IS_KUBERNETES = "%s && %s == %s" % (IS_NOT_API_KEY, _SOURCE, cel_string(KUBERNETES))
IS_OIDC = "%s && %s == %s" % (IS_NOT_API_KEY, _SOURCE, cel_string(OIDC))

_AK_USER = '((%s && has(%s.username)) ? %s.username : "")' % (HAS_AK, AK, AK)
_AK_GROUPS = "((%s && has(%s.groups)) ? %s.groups : [])" % (HAS_AK, AK, AK)
_KUBE_USER = '(has(auth.identity.user) && has(auth.identity.user.username) ? auth.identity.user.username : "")'
_KUBE_GROUPS = "(has(auth.identity.user) && has(auth.identity.user.groups) ? auth.identity.user.groups : [])"
_OIDC_USER = ('(has(auth.identity.preferred_username) ? auth.identity.preferred_username '
              ': (has(auth.identity.sub) ? auth.identity.sub : ""))')
_OIDC_GROUPS = "(has(auth.identity.groups) ? auth.identity.groups : [])"


def _by_source(api_key, kubernetes, oidc, none) -> str:
    return "((%s) ? %s : (%s == %s ? %s : (%s == %s ? %s : %s)))" % (
        IS_API_KEY, api_key, _SOURCE, cel_string(KUBERNETES), kubernetes, _SOURCE, cel_string(OIDC), oidc, none)


USERNAME = _by_source(_AK_USER, _KUBE_USER, _OIDC_USER, '""')
GROUPS = _by_source(_AK_GROUPS, _KUBE_GROUPS, _OIDC_GROUPS, "[]")

NO_IDENTITY_HEADERS = " && ".join("!(%s in request.headers)" % cel_string(h) for h in IDENTITY_HEADERS)


def member_of(groups, users) -> str:
    """The caller is one of `users` or in one of `groups`; false when both are empty."""
    terms = []
    if groups:
        terms.append("%s.exists(g, g in [%s])" % (GROUPS, ", ".join(cel_string(g) for g in groups)))
    if users:
        terms.append("%s in [%s]" % (USERNAME, ", ".join(cel_string(u) for u in users)))
    if not terms:
        return "false"
    return " || ".join("(%s)" % t for t in terms) if len(terms) > 1 else terms[0]


def oidc_groups_safe() -> str:
    """An OIDC caller's groups are a list of plain names (anything else is refused)."""
    return "!(%s) || !has(auth.identity.groups) || auth.identity.groups.all(g, g.matches(%s))" % (
        IS_OIDC, cel_string(SAFE_GROUP))


def oidc_client_bound(client_id) -> str:
    """An OIDC token was issued to our client: its `azp` claim names `client_id`."""
    return "!(%s) || (has(auth.identity.azp) && auth.identity.azp == %s)" % (IS_OIDC, cel_string(client_id))


def stamped(source) -> dict:
    """The `overrides` of an authentication rule that stamp the identities it accepts."""
    return {SOURCE: {"value": source}}
