# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""The objects role kuadrant_mtls writes besides the EnvoyFilters, and what a run of it changed.

What each component is called (its Deployment, the labels selecting its pods) comes from the role's
vars, so that one place names them; these functions only shape objects from it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, List, Mapping, Optional, Sequence

PEER_AUTHENTICATION_API = "security.istio.io/v1"
SIDECAR_LABEL = "sidecar.istio.io/inject"


def peer_authentication_mode(state: str) -> str:
    return "STRICT" if state == "enabled" else "PERMISSIVE"


def component_peer_authentication_name(component: str) -> str:
    return "%s-mtls" % component


def peer_authentications(state: str, scope: str, components: Sequence[str], namespace: str,
                         selectors: Mapping[str, Mapping[str, str]]) -> List[Dict[str, Any]]:
    """The PeerAuthentications for `state`: `default` for the whole namespace (scope namespace), or
    `<component>-mtls` selecting each component's pods (scope component)."""
    mtls = {"mode": peer_authentication_mode(state)}
    if scope == "namespace":
        return [{"apiVersion": PEER_AUTHENTICATION_API, "kind": "PeerAuthentication",
                 "metadata": {"name": "default", "namespace": namespace},
                 "spec": {"mtls": dict(mtls)}}]
    return [{"apiVersion": PEER_AUTHENTICATION_API, "kind": "PeerAuthentication",
             "metadata": {"name": component_peer_authentication_name(component), "namespace": namespace},
             "spec": {"selector": {"matchLabels": dict(selectors[component])}, "mtls": dict(mtls)}}
            for component in components]


def stale_peer_authentications(scope: str, components: Sequence[str], namespace: str,
                               known_components: Sequence[str]) -> List[Dict[str, Any]]:
    """Per-component PeerAuthentications this role may have created earlier and no longer wants
    (another scope, or fewer components). They carry this role's naming, so deleting them touches
    nobody else's."""
    return [{"apiVersion": PEER_AUTHENTICATION_API, "kind": "PeerAuthentication",
             "metadata": {"name": component_peer_authentication_name(component), "namespace": namespace}}
            for component in known_components if scope == "namespace" or component not in components]


def sidecar_deployments(state: str, components: Sequence[str], namespace: str, deployments: Mapping[str, str],
                        sidecar_label: str = SIDECAR_LABEL) -> List[Dict[str, Any]]:
    """Partial Deployments: server-side apply sets (enabled) or, without the label, gives up (any
    other state) only the pod template's sidecar-inject label, and writes nothing when the label is
    already as wanted, so pods roll out at most once."""
    result = []
    for component in components:
        deployment: Dict[str, Any] = {"apiVersion": "apps/v1", "kind": "Deployment",
                                      "metadata": {"name": deployments[component], "namespace": namespace}}
        if state == "enabled":
            deployment["spec"] = {"template": {"metadata": {"labels": {sidecar_label: "true"}}}}
        result.append(deployment)
    return result


def native_mtls(state: str, components: Sequence[str]) -> Dict[str, bool]:
    """spec.mtls of the Kuadrant CR (native mode)."""
    if state != "enabled":
        return {"enable": False}
    return {"enable": True, "authorino": "authorino" in components, "limitador": "limitador" in components}


def kuadrant_mtls_objects(components: Sequence[str], state: str, scope: str, namespace: str,
                          kuadrant_name: str, deployments: Mapping[str, str],
                          selectors: Mapping[str, Mapping[str, str]],
                          sidecar_label: str = SIDECAR_LABEL) -> Dict[str, Any]:
    """Everything role kuadrant_mtls writes for this state and these variables, by purpose:

    kuadrant                    the Kuadrant CR with spec.mtls (native mode)
    peer_authentications        the PeerAuthentications to keep (envoyfilter mode)
    stale_peer_authentications  this role's per-component PeerAuthentications no longer wanted
    sidecar_deployments         the partial Deployments carrying (or giving up) the sidecar label
    """
    return {
        "kuadrant": {"apiVersion": "kuadrant.io/v1beta1", "kind": "Kuadrant",
                     "metadata": {"name": kuadrant_name, "namespace": namespace},
                     "spec": {"mtls": native_mtls(state, components)}},
        "peer_authentications": peer_authentications(state, scope, components, namespace, selectors),
        "stale_peer_authentications": stale_peer_authentications(scope, components, namespace, list(selectors)),
        "sidecar_deployments": sidecar_deployments(state, components, namespace, deployments, sidecar_label),
    }


def changed_objects(applied: Sequence[Optional[Mapping[str, Any]]],
                    envoyfilters: Sequence[Optional[Mapping[str, Any]]] = (),
                    envoyfilter_namespace: str = "") -> List[str]:
    """What a run changed, as `Kind namespace/name`: the EnvoyFilters that drifted first, then what the
    k8s_apply calls created, updated and deleted. Results of skipped tasks carry no lists and add nothing."""
    changed = ["EnvoyFilter %s/%s" % (envoyfilter_namespace, name)
               for result in envoyfilters for name in (result or {}).get("drifted") or []]
    for key in ("created", "updated", "deleted"):
        changed += [name for result in applied for name in (result or {}).get(key) or []]
    return changed
