# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""One Kubernetes client for the collection's modules.

Authentication is kubernetes.core's (its argument spec, its K8S_AUTH_* environment variables, its
kubeconfig and context handling), so AWX credentials and module_defaults work the same way. Requests
go straight to REST paths computed from a table of the kinds this collection manages, so reconciling
a thousand objects costs a thousand requests, not a thousand discoveries; kinds outside the table
are found through kubernetes.core's cached discovery.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.modelserving.maas.plugins.module_utils._kube.cancel import ControllerWatch
from ansible_collections.modelserving.maas.plugins.module_utils._kube.discovery import (
    NotServed, RunCache, ServedKinds, playbook_run, proc_start_time)
from ansible_collections.modelserving.maas.plugins.module_utils._kube.errors import (
    K8sError, api_error, connection_problem, waited)

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
except ImportError:
    get_api_client = None

try:
    from kubernetes.dynamic.exceptions import DynamicApiError
except ImportError:
    DynamicApiError = Exception

try:
    from urllib3.exceptions import HTTPError as TransportError
except ImportError:
    TransportError = OSError

# (apiVersion, kind) -> (plural, namespaced). Everything this collection reads or writes.
KINDS = {
    ("v1", "Namespace"): ("namespaces", False),
    ("v1", "Service"): ("services", True),
    ("v1", "ServiceAccount"): ("serviceaccounts", True),
    ("v1", "Secret"): ("secrets", True),
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "Pod"): ("pods", True),
    ("apps/v1", "Deployment"): ("deployments", True),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networkpolicies", True),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("clusterroles", False),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ("clusterrolebindings", False),
    ("rbac.authorization.k8s.io/v1", "Role"): ("roles", True),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rolebindings", True),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): ("customresourcedefinitions", False),
    ("gateway.networking.k8s.io/v1", "Gateway"): ("gateways", True),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): ("httproutes", True),
    ("gateway.networking.k8s.io/v1", "BackendTLSPolicy"): ("backendtlspolicies", True),
    ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant"): ("referencegrants", True),
    ("networking.istio.io/v1alpha3", "EnvoyFilter"): ("envoyfilters", True),
    ("networking.istio.io/v1", "DestinationRule"): ("destinationrules", True),
    ("networking.istio.io/v1", "ServiceEntry"): ("serviceentries", True),
    ("security.istio.io/v1", "PeerAuthentication"): ("peerauthentications", True),
    ("kuadrant.io/v1", "AuthPolicy"): ("authpolicies", True),
    ("kuadrant.io/v1", "RateLimitPolicy"): ("ratelimitpolicies", True),
    ("kuadrant.io/v1alpha1", "TokenRateLimitPolicy"): ("tokenratelimitpolicies", True),
    ("kuadrant.io/v1beta1", "Kuadrant"): ("kuadrants", True),
    ("operator.authorino.kuadrant.io/v1beta1", "Authorino"): ("authorinos", True),
    ("serving.kserve.io/v1alpha1", "LLMInferenceService"): ("llminferenceservices", True),
    ("cert-manager.io/v1", "Certificate"): ("certificates", True),
    ("cert-manager.io/v1", "Issuer"): ("issuers", True),
    ("cert-manager.io/v1", "ClusterIssuer"): ("clusterissuers", False),
    ("maas.opendatahub.io/v1alpha1", "Tenant"): ("tenants", True),
    ("maas.opendatahub.io/v1alpha1", "MaaSModelRef"): ("maasmodelrefs", True),
    ("maas.opendatahub.io/v1alpha1", "MaaSAuthPolicy"): ("maasauthpolicies", True),
    ("maas.opendatahub.io/v1alpha1", "MaaSSubscription"): ("maassubscriptions", True),
    ("maas.opendatahub.io/v1alpha1", "ExternalModel"): ("externalmodels", True),
}
# Asks the API server for an object's metadata only: what `exists` needs, and no more (a Secret's
# data never reaches this process).
METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
# The same for a LIST: each item is the object's metadata (what uninstall searches by).
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"

DEFAULT_WORKERS = 8
LIST_PAGE_SIZE = 500
# Requests that change something, or would (dry runs): none is sent once the playbook is gone.
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def namespace_missing(err, namespace):
    """Whether `err` is the API server saying that Namespace `namespace` does not exist."""
    details = (getattr(err, "body", None) or {}).get("details") or {}
    return (isinstance(err, K8sError) and err.status == 404 and bool(namespace)
            and details.get("kind") == "namespaces" and details.get("name") == namespace)


def ref(obj):
    """`Kind namespace/name` (or `Kind name`), the way errors and results name an object."""
    meta = obj.get("metadata", {})
    where = "%s/%s" % (meta["namespace"], meta.get("name")) if meta.get("namespace") else meta.get("name")
    return "%s %s" % (obj.get("kind"), where)


def identity(obj):
    """The key that identifies an object in a cluster."""
    meta = obj.get("metadata", {})
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace") or "", meta.get("name"))


class Cluster(object):
    """REST access to one API server, shared by worker threads."""

    def __init__(self, k8s_client, workers=DEFAULT_WORKERS, watch=None, timeout=None, confirm_versions=False,
                 run=None):
        """`watch`: a cancel.ControllerWatch; while it says the playbook is gone no write is sent.
        `timeout`: seconds one request may take (connect and read), None for no limit.
        `confirm_versions`: confirm through discovery that the cluster serves each kind of KINDS at
        the version there before its first request (discovery.ServedKinds); `run` keys the cache of
        confirmations shared by the modules of one playbook run (None: this process only)."""
        self._dynamic = k8s_client.client
        self._paths = dict(KINDS)
        self.workers = workers
        self._watch = watch
        self.timeout = timeout
        self.host = getattr(getattr(self._dynamic, "configuration", None), "host", None) or "(unknown host)"
        self._served = None
        if confirm_versions:
            self._served = ServedKinds(self._discovery_document,
                                       RunCache(self.host, run) if run is not None else None)

    @classmethod
    def from_module(cls, module, workers=DEFAULT_WORKERS, timeout=None):
        watch = ControllerWatch.of_this_process()
        bound_every_request(timeout)
        try:
            return cls(get_api_client(module=module), workers=workers, watch=watch, timeout=timeout,
                       confirm_versions=True, run=playbook_run(watch.chain, proc_start_time))
        except TransportError as err:  # discovery found no server to talk to
            # kubernetes.core reads K8S_AUTH_HOST itself, when it builds the client: not into params.
            host = module.params.get("host") or os.environ.get("K8S_AUTH_HOST") or "the server of the kubeconfig context"
            module.fail_json(msg="Cannot connect to the Kubernetes API at %s: %s%s. Set kubeconfig/context or the "
                                 "K8S_AUTH_* variables." % (host, connection_problem(err), waited(err, timeout)))
        except Exception as err:  # kubernetes.core raises several types for bad credentials
            module.fail_json(msg="Cannot connect to the Kubernetes API: %s. Set kubeconfig/context or the "
                                 "K8S_AUTH_* variables." % err)

    # -- paths -----------------------------------------------------------------------------

    def kind_info(self, api_version, kind):
        key = (api_version, kind)
        if key not in self._paths:
            try:
                resource = self._dynamic.resources.get(api_version=api_version, kind=kind)
            except Exception:
                raise K8sError(404, "NotFound", "The cluster does not serve %s %s (is its CRD installed?)"
                               % (api_version, kind))
            self._paths[key] = (resource.name, resource.namespaced)
        return self._paths[key]

    def confirm_served(self, api_version, kind):
        """Raise K8sError when the cluster does not serve `kind` at the version of KINDS: 404 when it
        serves no version of it (so reads find nothing), "NotServed" without a status when it serves
        another version (the objects may exist there: never "not found")."""
        if self._served is None or (api_version, kind) not in KINDS:
            return
        try:
            self._served.confirm(api_version, kind)
        except NotServed as err:
            raise K8sError(None if err.versions else 404, "NotServed", str(err))

    def _discovery_document(self, path):
        try:
            return self.request("GET", path)
        except K8sError as err:
            if err.status == 404:
                return None
            raise

    def path(self, api_version, kind, namespace=None, name=None, subresource=None):
        self.confirm_served(api_version, kind)
        plural, namespaced = self.kind_info(api_version, kind)
        base = "/api/v1" if api_version == "v1" else "/apis/%s" % api_version
        parts = [base]
        if namespaced and namespace:
            parts.append("namespaces/%s" % namespace)
        parts.append(plural)
        if name:
            parts.append(name)
        if subresource:
            parts.append(subresource)
        return "/".join(parts)

    # -- requests --------------------------------------------------------------------------

    def request(self, method, path, body=None, query=None, content_type="application/json", accept="application/json"):
        if method in WRITE_METHODS and self._watch is not None and self._watch.gone():
            raise K8sError(None, "Cancelled", "the playbook that started this module is gone (%s); stopping "
                                              "before %s %s" % (self._watch.gone(), method, path))
        # Through the dynamic client: its request() keeps one calling convention across the
        # `kubernetes` package versions kubernetes.core supports, and applies auth and headers.
        try:
            response = self._dynamic.request(
                method, path, body=body, query_params=list((query or {}).items()),
                header_params={"Accept": accept}, content_type=content_type, serialize=False,
                _request_timeout=request_timeout(self.timeout))
        except TransportError as err:  # no HTTP answer at all: the server is down or unreachable
            raise K8sError(None, "Unreachable", "cannot reach the API server at %s: %s%s"
                           % (self.host, connection_problem(err), waited(err, self.timeout)))
        except DynamicApiError as err:
            raise api_error(err, method, path, self.host)
        data = response.data
        return json.loads(data) if data else {}

    def get(self, api_version, kind, name, namespace=None):
        """The live object, or None when it does not exist."""
        try:
            return self.request("GET", self.path(api_version, kind, namespace, name))
        except K8sError as err:
            if err.status == 404:
                return None
            raise

    def exists(self, api_version, kind, name, namespace=None):
        """Whether the object exists, read as metadata only (PartialObjectMetadata)."""
        try:
            self.request("GET", self.path(api_version, kind, namespace, name), accept=METADATA_ONLY)
        except K8sError as err:
            if err.status == 404:
                return False
            raise
        return True

    def list(self, api_version, kind, namespace=None, label_selector=None, metadata_only=False):
        """Every object of a kind (in a namespace, or cluster-wide), following pagination.
        `metadata_only`: each item's metadata alone (PartialObjectMetadataList; no Secret data)."""
        items = []
        query = {"limit": LIST_PAGE_SIZE}
        if label_selector:
            query["labelSelector"] = label_selector
        path = self.path(api_version, kind, namespace)
        while True:
            page = self.request("GET", path, query=query, accept=METADATA_LIST if metadata_only else "application/json")
            for item in page.get("items") or []:  # a metadata-only LIST of nothing says "items": null
                if metadata_only:  # the items say PartialObjectMetadata: they are objects of this kind
                    item["apiVersion"], item["kind"] = api_version, kind
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
                items.append(item)
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
            query["continue"] = token

    def apply(self, obj, field_manager, force=False, dry_run=False, subresource=None):
        """Server-side apply; returns the object the server stored (or would store)."""
        meta = obj["metadata"]
        query = {"fieldManager": field_manager}
        if force:
            query["force"] = "true"
        if dry_run:
            query["dryRun"] = "All"
        path = self.path(obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"], subresource)
        # Serialized here: kubernetes releases before 37 cannot send a dict as application/apply-patch+yaml
        # ("Cannot prepare a request message"); every release sends a string as it is, and JSON is YAML.
        return self.request("PATCH", path, body=json.dumps(obj), query=query,
                            content_type="application/apply-patch+yaml")

    def patch(self, api_version, kind, name, patch, namespace=None, patch_type="merge", dry_run=False,
              subresource=None, field_manager=None):
        """A JSON merge patch (`merge`) or a JSON Patch (`json`); returns the object the server stored."""
        content_types = {
            "merge": "application/merge-patch+json",
            "json": "application/json-patch+json",
        }
        query = {}
        if dry_run:
            query["dryRun"] = "All"
        if field_manager:
            query["fieldManager"] = field_manager
        return self.request("PATCH", self.path(api_version, kind, namespace, name, subresource), body=patch,
                            query=query, content_type=content_types[patch_type])

    def delete(self, api_version, kind, name, namespace=None, dry_run=False, resource_version=None):
        """Delete; returns False when the object was already gone."""
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        if resource_version:
            body["preconditions"] = {"resourceVersion": resource_version}
        query = {}
        if dry_run:
            # In the body: the API server reads DeleteOptions from a body when there is one and then
            # ignores the query, so `?dryRun=All` alone deletes for real. The query keeps it visible
            # in the audit log's requestURI.
            body["dryRun"] = ["All"]
            query = {"dryRun": "All"}
        try:
            self.request("DELETE", self.path(api_version, kind, namespace, name), body=body, query=query)
        except K8sError as err:
            if err.status == 404:
                return False
            raise
        return True

    def port_forward(self, namespace, pod, port, timeout=10.0):
        """A socket connected to `port` of a pod through the API server (the pods/portforward
        subresource, as `kubectl port-forward` uses); closing it ends the forward."""
        from kubernetes.client import CoreV1Api
        from kubernetes.stream import portforward

        try:
            forward = portforward(CoreV1Api(self._dynamic.client).connect_get_namespaced_pod_portforward,
                                  pod, namespace, ports=str(port), _request_timeout=timeout)
        except Exception as err:  # the stream client raises ApiException or websocket errors
            raise K8sError(getattr(err, "status", None), "PortForward",
                           "cannot port-forward to pod %s/%s port %s: %s" % (namespace, pod, port, err))
        sock = forward.socket(int(port))
        sock.settimeout(timeout)
        return sock

    def parallel(self, function, items):
        """function(item) for every item on the worker pool; results in input order. Each result is
        (value, None) or (None, exception), so one failure does not hide the others."""
        def guarded(item):
            try:
                return function(item), None
            except Exception as err:  # reported per item by the caller
                return None, err

        items = list(items)
        if len(items) <= 1 or self.workers <= 1:
            return [guarded(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            return list(pool.map(guarded, items))


def bound_every_request(timeout):
    """Make `timeout` the default of every request the `kubernetes` package sends from this process.

    Its REST client passes an explicit "no timeout" to urllib3 unless a request names one, which
    overrides the socket default; discovery (kubernetes.core's, before any request of ours) names
    none. A module process is short-lived and talks to one cluster, so a process-wide default is
    exactly the option's meaning."""
    if timeout is None:
        return
    try:
        from kubernetes.client import rest
    except ImportError:
        return
    unbounded = getattr(rest.RESTClientObject.request, "_maas_unbounded", rest.RESTClientObject.request)

    def request(self, method, url, *args, **kwargs):
        if len(args) < 6 and kwargs.get("_request_timeout") is None:  # the 7th positional is _request_timeout
            kwargs["_request_timeout"] = request_timeout(timeout)
        return unbounded(self, method, url, *args, **kwargs)

    request._maas_unbounded = unbounded
    rest.RESTClientObject.request = request


def request_timeout(timeout):
    """`timeout` as the kubernetes REST client's `_request_timeout`: a (connect, read) pair, which every
    release honours; releases before 37 silently ignore a float, and `request_timeout` is one."""
    return None if timeout is None else (timeout, timeout)
