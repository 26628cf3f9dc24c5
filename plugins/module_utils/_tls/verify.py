# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Module tls_verify: the targets it checks, where their expected CA comes from, how each is reached.

The checks themselves are `check.py`'s; this file resolves each target to an expected CA (PEM, or a
Secret or ConfigMap key) and a connection (an address, or a port-forward to a pod behind a Service),
and connects to the cluster only when some target needs it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure
from ansible_collections.modelserving.maas.plugins.module_utils._tls import check as _tlscheck, pki as _pki


def target_problems(targets):
    problems = []
    for index, target in enumerate(targets):
        where = "targets[%d] (%s)" % (index, target["name"])
        if bool(target.get("service")) == bool(target.get("host")):
            problems.append("%s: give either host and port, or service" % where)
        elif target.get("host") and not target.get("port"):
            problems.append("%s: host needs a port" % where)
        if sum(1 for k in ("ca_pem", "ca_secret", "ca_configmap") if target.get(k)) > 1:
            problems.append("%s: give at most one of ca_pem, ca_secret, ca_configmap" % where)
    return problems


def needs_cluster(target):
    return any(target.get(k) for k in ("service", "ca_secret", "ca_configmap"))


def expected_ca(cluster, target):
    """The CA PEM a target is checked against, or None for the system trust store."""
    if target.get("ca_pem"):
        pem = target["ca_pem"]
        where = "ca_pem"
    elif target.get("ca_secret") or target.get("ca_configmap"):
        secret = bool(target.get("ca_secret"))
        source = target["ca_secret"] if secret else target["ca_configmap"]
        kind = "Secret" if secret else "ConfigMap"
        where = "%s %s/%s key %s" % (kind, source["namespace"], source["name"], source["key"])
        obj = cluster.get("v1", kind, source["name"], source["namespace"])
        if obj is None:
            raise ValueError("%s: not found" % where)
        value = (obj.get("data") or {}).get(source["key"])
        if value is None:
            raise ValueError("%s: no such key" % where)
        if secret:
            try:
                value = base64.b64decode(value).decode("ascii")
            except (binascii.Error, ValueError, UnicodeDecodeError):
                value = ""
        pem = value
    else:
        return None
    if not _tlscheck.certificates_in(pem):
        # Never echo the value: a wrong key could point at a private key.
        raise ValueError("%s: holds no PEM certificate" % where)
    return pem


def connector(cluster, target, timeout):
    """(connect callable, endpoint description) for a target."""
    if target.get("host"):
        return _tlscheck.address_connector(target["host"], target["port"], timeout), \
            "%s:%s" % (target["host"], target["port"])
    svc = target["service"]
    service = cluster.get("v1", "Service", svc["name"], svc["namespace"])
    if service is None:
        raise ValueError("Service %s/%s: not found" % (svc["namespace"], svc["name"]))
    selector = (service.get("spec") or {}).get("selector") or {}
    if not selector:
        raise ValueError("Service %s/%s: has no selector, so there is no pod to port-forward to"
                         % (svc["namespace"], svc["name"]))
    pods = cluster.list("v1", "Pod", svc["namespace"],
                        label_selector=",".join("%s=%s" % kv for kv in sorted(selector.items())))
    pod, port = _tlscheck.service_endpoint(service, pods, svc["port"])

    def connect():
        return cluster.port_forward(svc["namespace"], pod, port, timeout=timeout)
    return connect, "pod %s/%s:%d via Service %s" % (svc["namespace"], pod, port, svc["name"])


def check(cluster, target, timeout, now):
    server_name = target.get("server_name") or target.get("host")
    expect = dict(server_name=server_name, minimum_version=target.get("minimum_version"),
                  min_days_to_expiry=target["min_days_to_expiry"], check_hostname=target["check_hostname"])
    try:
        ca_pem = expected_ca(cluster, target)
        connect, endpoint = connector(cluster, target, timeout)
    except (ValueError, K8sError) as err:
        return with_client(dict(name=target["name"], server_name=server_name, ok=False, failures=[str(err)],
                                warnings=[]), target.get("client"))
    observed = _tlscheck.observe(connect, server_name, ca_pem, probe_versions=bool(target.get("minimum_version")),
                                 alpn=target["alpn"])
    return with_client(_tlscheck.report(target["name"], endpoint, server_name, observed, expect, ca_pem, now),
                       target.get("client"))


def with_client(result, client):
    """`result` with its client's configuration: a client that does not verify fails the line,
    however well the peer itself did ("encrypted but unverified" is not a pass)."""
    result["client_verifies"] = None if client is None else bool(client["verifies"])
    if client is not None and not client["verifies"]:
        problems = "; ".join(client.get("problems") or []) or "it does not verify its peer"
        result["failures"].append("%s does not verify this peer: %s" % (client["name"], problems))
        result["ok"] = False
    return result


def run(params, context):
    """The tls_verify result: one report per target, failing when any fails and fail_on_error."""
    if not _pki.HAS_CRYPTOGRAPHY:
        raise ModuleFailure(missing_required_lib("cryptography"), exception=_pki.CRYPTOGRAPHY_IMPORT_ERROR)
    problems = target_problems(params["targets"])
    if problems:
        raise ModuleFailure("; ".join(problems))
    cluster = context.cluster() if any(needs_cluster(t) for t in params["targets"]) else None
    now = _tlscheck.utcnow()
    results = [check(cluster, target, params["timeout"], now) for target in params["targets"]]
    output = dict(
        changed=False,
        ok=all(r["ok"] for r in results),
        results=results,
        summary=[_tlscheck.SUMMARY_HEADER] + [_tlscheck.summary_row(r) for r in results],
    )
    if params["fail_on_error"] and not output["ok"]:
        failed = ["%s: %s" % (r["name"], "; ".join(r["failures"])) for r in results if not r["ok"]]
        raise ModuleFailure("TLS check failed for " + " | ".join(failed), **output)
    return output
