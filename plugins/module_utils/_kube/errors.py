# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""What a failed API request tells the operator: `K8sError` with the API server's own message, plus
what to do where the server's words do not say (401, 403), and a few words for a request that got
no HTTP answer at all (connection refused, TLS, timeout), read from the socket error beneath."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import socket
import ssl
from http.client import RemoteDisconnected


class K8sError(Exception):
    """A failed API request, with the status code and the API server's own message."""

    def __init__(self, status, reason, message, body=None):
        super(K8sError, self).__init__(message)
        self.status = status
        self.reason = reason
        self.body = body or {}

    @property
    def causes(self):
        return (self.body.get("details") or {}).get("causes") or []


UNAUTHORIZED = ("the API server at %s rejected the credentials (401 Unauthorized): the token may have expired "
                "or been revoked; refresh the kubeconfig / K8S_AUTH_API_KEY")
_TLS_TEXT = re.compile(r"\[SSL(?:: [A-Z_]+)?\] ([^(']+)")
_CONNECTION_PREFIX = re.compile(r"^.*?Connection(?:Pool)?\([^)]*\): ")


def api_error(err, method, path, host):
    """The K8sError for an error answer of the API server: the server's message, plus what to do
    about it when the server's own words do not say (401, 403). Status 0 is the kubernetes client
    reporting a TLS failure: no answer at all."""
    status = getattr(err, "status", None)
    body = {}
    try:
        raw = getattr(err, "body", None)
        body = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        pass
    body = body if isinstance(body, dict) else {}
    message = body.get("message") or str(getattr(err, "reason", "") or err)
    reason = body.get("reason") or getattr(err, "reason", None)
    if not status:
        return K8sError(None, "Unreachable", "cannot reach the API server at %s: %s" % (host, connection_problem(err)))
    if status == 401:
        message = UNAUTHORIZED % host
    elif status == 403:
        message = forbidden_message(message, method, path)
    return K8sError(status, reason, message, body)


def rbac_attributes(method, path):
    """(verb, API group, resource[/subresource], namespace) of a request, in RBAC's words."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    group, rest = ("", parts[2:]) if parts[:1] == ["api"] else ((parts[1:2] or [""])[0], parts[3:])
    namespace = ""
    if rest[:1] == ["namespaces"] and len(rest) >= 2:
        namespace = rest[1]
        rest = rest[2:] if len(rest) >= 3 else rest
    resource = "/".join(rest[0:1] + rest[2:3])
    named = len(rest) >= 2
    verbs = {"GET": "get" if named else "list", "POST": "create", "PUT": "update", "PATCH": "patch",
             "DELETE": "delete" if named else "deletecollection"}
    return verbs.get(method, method.lower()), group, resource, namespace


FORBIDDEN_HINT = ("; grant it to the identity this job runs as (role modelserving.maas.automation_identity "
                  "creates ServiceAccounts with what the collection's requests need)")


def forbidden_message(server_message, method, path):
    """A 403's message naming verb, resource and namespace as the API server does, and where the
    grant comes from. The server's own message is kept; what it leaves out (a proxy or webhook
    answered) is added from the request."""
    verb, group, resource, namespace = rbac_attributes(method, path)
    # A server-side apply of an object that does not exist is refused as `create`, not `patch`.
    if re.search(r'cannot [a-z]+ resource "%s"' % re.escape(resource), server_message):
        return server_message + FORBIDDEN_HINT
    where = ' in the namespace "%s"' % namespace if namespace else ""
    return '%s (403 Forbidden: cannot %s resource "%s" in API group "%s"%s)%s' % (
        server_message, verb, resource, group, where, FORBIDDEN_HINT)


def _causes(err):
    """`err` and every exception behind it: urllib3's `reason`, `__cause__`, `__context__`, args."""
    seen, pending = [], [err]
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(current is s for s in seen):
            continue
        seen.append(current)
        pending.extend([getattr(current, "reason", None), current.__cause__, current.__context__]
                       + list(getattr(current, "args", ())))
    return seen


def waited(err, timeout):
    """What a timeout waited for, so the message says which setting to raise."""
    if timeout is None or connection_problem(err) != "timed out":
        return ""
    return " (no answer within %g s: request_timeout)" % timeout


def connection_problem(err):
    """A few words for why a request got no HTTP answer ("connection refused"), read from the socket
    error beneath the urllib3 one, never the urllib3 text with its object reprs."""
    causes = _causes(err)
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return "cannot resolve the host name (%s)" % cause.strerror
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, RemoteDisconnected):  # a ConnectionResetError, but nothing was reset
            return "the server closed the connection without an answer"
        if isinstance(cause, ConnectionResetError):
            return "the connection was reset"
        if isinstance(cause, ssl.SSLError):
            return "TLS failed: %s" % _tls_words(str(cause))
        if isinstance(cause, socket.timeout):
            return "timed out"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[0].lower() + cause.strerror[1:]
    names = " ".join(type(c).__name__ for c in causes)
    if "Timeout" in names:
        return "timed out"
    if "ProtocolError" in names:
        return "the server closed the connection without an answer"
    text = str(causes[-1])
    return "TLS failed: %s" % _tls_words(text) if _TLS_TEXT.search(text) else _CONNECTION_PREFIX.sub("", text)


def _tls_words(text):
    found = _TLS_TEXT.search(text)
    return found.group(1).strip() if found else text.strip()
