# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of the translation, shared by maas_policy_sync and maas_policy_render
    # (their argument spec: plugins/module_utils/_maas/options.py).
    DOCUMENTATION = r"""
options:
  selection:
    description:
      - How a request is matched to the token limit of one of the caller's subscriptions.
      - V(groups) decides in the TokenRateLimitPolicy, by the caller's groups and user name; a
        caller owning several subscriptions names one in the C(X-MaaS-Subscription) header, else
        the highest ranked one counts (priority, then largest limit). Group names containing C(,)
        are rejected in this mode.
      - V(subscription) lets maas-api select the subscription, and the limit follows its choice.
    type: str
    choices: [groups, subscription]
    default: groups
  maas_api_url:
    description: Base URL Authorino uses to reach maas-api.
    type: str
    default: https://maas-api.opendatahub.svc.cluster.local:8443
  audiences:
    description: Token review audiences for Kubernetes tokens (see M(modelserving.maas.token_audience)).
    type: list
    elements: str
    default: [https://kubernetes.default.svc, maas-default-gateway-sa]
  managed_by:
    description: Value of the C(app.kubernetes.io/managed-by) label that marks generated objects.
    type: str
    default: maas-controller
  tenant_namespace:
    description:
      - Namespace of the one Tenant that counts, C(default-tenant). Tenants anywhere else are ignored.
    type: str
    default: models-as-a-service
  allowed_namespaces:
    description:
      - The namespaces whose MaaSAuthPolicies and MaaSSubscriptions are honoured. Those anywhere
        else grant nothing, limit nothing and hold back no model.
      - Defaults to O(tenant_namespace) alone.
    type: list
    elements: str
  gateway:
    description:
      - The Gateway policies attach to and KServe routes must be attached to. It must exist.
      - Defaults to the C(spec.gatewayRef) of Tenant C(<tenant_namespace>/default-tenant), else
        C(openshift-ingress/maas-default-gateway) when there is no such Tenant.
    type: dict
    suboptions:
      namespace:
        description: The Gateway's namespace.
        type: str
        required: true
      name:
        description: The Gateway's name.
        type: str
        required: true
  tiers:
    description:
      - Optional usage tiers, as a RateLimitPolicy and a TokenRateLimitPolicy C(maas-tier-usage) on
        the Gateway that count every caller per minute on every route.
      - In precedence order, a caller in several tiers counts under the first.
      - Not given (null), this run does not manage the tiers; it neither applies nor prunes the
        tier policies. V([]) removes them. Give the same value wherever the module runs (a site
        playbook and a scheduled reconcile), or leave it out of all but one.
    type: list
    elements: dict
    suboptions:
      name:
        description: The tier's name, a DNS-1123 label of at most 40 characters, unique among the tiers.
        type: str
        required: true
      groups:
        description: The groups whose members are in the tier (names without C(,)).
        type: list
        elements: str
        required: true
      requests_per_minute:
        description: Requests per minute per user. Give this, O(tiers[].tokens_per_minute) or both.
        type: int
      tokens_per_minute:
        description: Tokens per minute per user. Give this, O(tiers[].requests_per_minute) or both.
        type: int
  external_tls:
    description:
      - TLS origination for ExternalModel routes. V(auto) uses BackendTLSPolicy where the cluster
        serves it, DestinationRule otherwise. The DestinationRule (C(tls.mode) C(SIMPLE), the provider's
        host as SNI and C(subjectAltNames), verified as O(external_ca) says) applies to the provider's host, as Istio applies none to an C(ExternalName)
        Service; it and the ServiceEntry are exported to the model's and the gateway's namespaces only.
    type: str
    choices: [auto, destinationrule, backendtlspolicy]
    default: auto
  external_ca:
    description:
      - The CA an ExternalModel provider is verified against, by provider host. Without an entry the
        gateway verifies the provider against the system roots (the DestinationRule sets no
        C(caCertificates), so Istio uses the proxy's OS CA certificates; the BackendTLSPolicy sets
        C(wellKnownCACertificates=System)). Verification is never skipped; the host is the SNI and
        the only name accepted (C(subjectAltNames), C(validation.hostname)).
      - For a DestinationRule the name is a Secret in the gateway's namespace with key C(ca.crt)
        (C(credentialName)); for a BackendTLSPolicy a ConfigMap in the model's namespace with key
        C(ca.crt) (C(caCertificateRefs)).
    type: dict
    default: {}
  cache_ttl:
    description: Seconds Authorino caches maas-api answers.
    type: int
    default: 60
  allow_internal_endpoints:
    description:
      - Let external models (MaaSModelRef C(spec.endpointOverride), ExternalModel C(spec.endpoint))
        point inside the cluster or the node (loopback, link-local and cloud metadata addresses,
        C(0.0.0.0/8), the API server's names, C(*.svc) and C(*.cluster.local) hosts and single-label
        names). Refused by default, because whoever writes a MaaSModelRef would otherwise route
        gateway traffic to internal services.
    type: bool
    default: false
"""
