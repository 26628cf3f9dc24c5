# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Checks of a live TLS endpoint: handshake, chain, hostname, minimum protocol version, expiry.

`observe` is the only function that talks to the network, through a `connect()` callable that
returns a connected socket (a TCP connection to an address, or a port-forward through the API
server), so the same checks run against either. `evaluate` turns what was observed into failures and
warnings and is pure.

A protocol version counts as refused only when the server refused it: the client first makes sure it
can offer that version at all (OpenSSL 3 disables TLS 1.0/1.1 at its default security level, which
fails on the client side and would prove nothing about the server).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import socket
import ssl
import warnings

from ansible_collections.modelserving.maas.plugins.module_utils._tls import pki as _pki

VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
MINIMUM_VERSIONS = {"1.0": "TLSv1", "1.1": "TLSv1.1", "1.2": "TLSv1.2", "1.3": "TLSv1.3"}
_SSL_VERSIONS = {
    "TLSv1": "TLSv1",
    "TLSv1.1": "TLSv1_1",
    "TLSv1.2": "TLSv1_2",
    "TLSv1.3": "TLSv1_3",
}
# OpenSSL reasons meaning "this client cannot offer the version", not "the server refused it".
_CLIENT_CANNOT_OFFER = {"NO_CIPHERS_AVAILABLE", "NO_PROTOCOLS_AVAILABLE", "NO_SUITABLE_SIGNATURE_ALGORITHM"}
DEFAULT_ALPN = ("h2", "http/1.1")
EXPIRY_WARNING_DAYS = 30


# ---------------------------------------------------------------------------------------------
# pure helpers


def version_name(minimum):
    """`1.2` -> `TLSv1.2`; raises ValueError for anything else."""
    if minimum not in MINIMUM_VERSIONS:
        raise ValueError("minimum_version %r must be one of %s" % (minimum, ", ".join(sorted(MINIMUM_VERSIONS))))
    return MINIMUM_VERSIONS[minimum]


def versions_below(minimum_name):
    return list(VERSIONS[:VERSIONS.index(minimum_name)])


def hostname_matches(dns_names, ip_addresses, name):
    """RFC 6125 matching as clients do it: IP names against IP SANs, DNS names against DNS SANs with a
    wildcard allowed only as the whole left-most label. The common name is never consulted."""
    if not name:
        return False
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if address is not None:
        return any(ipaddress.ip_address(ip) == address for ip in ip_addresses)
    wanted = name.lower().rstrip(".")
    for pattern in dns_names:
        pattern = pattern.lower().rstrip(".")
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted:
            first, rest = wanted.split(".", 1)
            if first and rest == pattern[2:] and "*" not in rest:
                return True
    return False


def certificates_in(pem):
    """The certificates a PEM bundle holds (a CA file may hold several)."""
    found, block = [], []
    for line in (pem or "").splitlines():
        if "-----BEGIN CERTIFICATE-----" in line:
            block = [line]
        elif block:
            block.append(line)
            if "-----END CERTIFICATE-----" in line:
                cert = _pki.load_certificate("\n".join(block) + "\n")
                if cert is not None:
                    found.append(cert)
                block = []
    return found


def leaf_facts(der):
    """What the presented certificate says, for the report."""
    cert = _pki.x509.load_der_x509_certificate(der)
    facts = _pki.summary(cert)
    facts["subject"] = cert.subject.rfc4514_string()
    facts["issuer"] = cert.issuer.rfc4514_string()
    facts["not_after_datetime"] = _pki.not_after(cert)
    return facts


def days_left(not_after, now):
    return int((not_after - now).total_seconds() // 86400)


def evaluate(observed, expect, now):
    """(failures, warnings) for what `observe` saw, against `expect`:
    {server_name, minimum_version ("1.2"...), min_days_to_expiry, check_hostname}."""
    failures, notes = [], []
    if observed.get("connect_error"):
        return ["cannot connect: %s" % observed["connect_error"]], notes
    if observed.get("handshake_error"):
        return ["TLS handshake failed: %s" % observed["handshake_error"]], notes
    if not observed.get("chain_verified"):
        failures.append("certificate does not chain to the expected CA: %s" % observed.get("chain_error"))
    leaf = observed.get("leaf") or {}
    name = expect.get("server_name")
    if expect.get("check_hostname", True) and name:
        if not hostname_matches(leaf.get("dns_names", []), leaf.get("ip_addresses", []), name):
            failures.append("certificate is not valid for %s (it names %s)" % (
                name, ", ".join(leaf.get("dns_names", []) + leaf.get("ip_addresses", [])) or "no names"))
    minimum = expect.get("minimum_version")
    if minimum:
        wanted = version_name(minimum)
        accepted = observed.get("accepted_versions", {})
        for version in versions_below(wanted):
            if accepted.get(version) is True:
                failures.append("%s accepted although the minimum is %s" % (version, wanted))
            elif accepted.get(version) is None:
                notes.append("%s could not be offered by this client, so its refusal is not proven" % version)
        if not any(accepted.get(v) for v in VERSIONS[VERSIONS.index(wanted):]):
            failures.append("no protocol version at or above %s is accepted" % wanted)
    if "not_after_datetime" in leaf:
        remaining = days_left(leaf["not_after_datetime"], now)
        if remaining < 0:
            failures.append("certificate expired on %s" % leaf["not_after"])
        elif remaining < (expect.get("min_days_to_expiry") or 0):
            failures.append("certificate expires in %d days (minimum %d)" % (remaining, expect["min_days_to_expiry"]))
        elif remaining < EXPIRY_WARNING_DAYS:
            notes.append("certificate expires in %d days" % remaining)
    return failures, notes


def service_endpoint(service, pods, port):
    """(pod name, pod port) behind `port` (number or name) of a Service, from its running pods."""
    meta = service["metadata"]
    where = "Service %s/%s" % (meta.get("namespace"), meta["name"])
    ports = (service.get("spec") or {}).get("ports") or []
    match = [p for p in ports if str(p.get("port")) == str(port) or p.get("name") == str(port)]
    if not match:
        raise ValueError("%s: has no port %s (it has %s)" % (
            where, port, ", ".join(str(p.get("port")) for p in ports) or "none"))
    target = match[0].get("targetPort", match[0]["port"])
    running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"
               and not (p.get("metadata") or {}).get("deletionTimestamp")]
    if not running:
        raise ValueError("%s: no running pod matches its selector, so there is nothing to port-forward to"
                         % where)
    pod = sorted(running, key=lambda p: p["metadata"]["name"])[0]
    if isinstance(target, int) or str(target).isdigit():
        return pod["metadata"]["name"], int(target)
    for container in pod.get("spec", {}).get("containers", []):
        for container_port in container.get("ports") or []:
            if container_port.get("name") == target:
                return pod["metadata"]["name"], int(container_port["containerPort"])
    raise ValueError("%s: pod %s has no container port named %s" % (where, pod["metadata"]["name"], target))


_ROW = "%-20s %-8s %-6s %-5s %-5s %-8s %-5s %-6s %s"
SUMMARY_HEADER = _ROW % ("hop", "protocol", "client", "chain", "name", "min.ver.", "days", "result", "details")


def summary_row(result):
    """One line of the table verify.yml prints: whether the hop's client is configured to verify
    (`-` when not known), the checks of the live peer, then the failures or where it looked."""
    details = "; ".join(result.get("failures") or []) or "%s at %s" % (result.get("server_name"), result.get("endpoint"))
    return _ROW % (
        result.get("name", "")[:20],
        result.get("protocol") or "-",
        _mark(result.get("client_verifies")),
        _mark(result.get("chain_verified")),
        _mark(result.get("hostname_verified")),
        _mark(result.get("minimum_version_enforced")),
        "-" if result.get("days_to_expiry") is None else result["days_to_expiry"],
        "OK" if result.get("ok") else "FAIL",
        details)


def _mark(value):
    return "-" if value is None else ("yes" if value else "NO")


# ---------------------------------------------------------------------------------------------
# network


def client_context(ca_pem=None, verify=True, version=None, alpn=DEFAULT_ALPN):
    """A client context. Hostnames are checked separately (see hostname_matches), so that a wrong name
    and a wrong chain are reported as two findings instead of one opaque handshake error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        if verify:
            context.verify_mode = ssl.CERT_REQUIRED
            if ca_pem:
                context.load_verify_locations(cadata=ca_pem)
            else:
                context.load_default_certs()
        else:
            context.verify_mode = ssl.CERT_NONE
        if version:
            pinned = getattr(ssl.TLSVersion, _SSL_VERSIONS[version])
            context.minimum_version = pinned
            context.maximum_version = pinned
            if VERSIONS.index(version) < VERSIONS.index("TLSv1.2"):
                # Let this client offer the old version (and its ciphers) so that only the server can refuse.
                context.set_ciphers("DEFAULT:@SECLEVEL=0")
        if alpn:
            context.set_alpn_protocols(list(alpn))
    return context


def handshake(connect, context, server_name):
    """Connect, shake hands, close. Returns {protocol, cipher, alpn, der}."""
    raw = connect()
    try:
        sni = server_name if server_name and not _is_ip(server_name) else None
        with context.wrap_socket(raw, server_hostname=sni) as tls:
            return {"protocol": tls.version(), "cipher": (tls.cipher() or [None])[0],
                    "alpn": tls.selected_alpn_protocol(), "der": tls.getpeercert(binary_form=True)}
    finally:
        raw.close()


def probe_version(connect, server_name, version, alpn=DEFAULT_ALPN):
    """True when the server completes a handshake pinned to `version`, False when it refuses it,
    None when this client cannot offer that version."""
    try:
        context = client_context(verify=False, version=version, alpn=alpn)
    except (ssl.SSLError, ValueError):
        return None
    try:
        handshake(connect, context, server_name)
    except ssl.SSLError as err:
        if getattr(err, "reason", None) in _CLIENT_CANNOT_OFFER:
            return None
        return False
    except (ConnectionError, socket.timeout, OSError):
        return False
    return True


def observe(connect, server_name, ca_pem, probe_versions=True, alpn=DEFAULT_ALPN):
    """Everything `evaluate` needs, gathered with a few short handshakes."""
    observed = {"accepted_versions": {}}
    try:
        first = handshake(connect, client_context(verify=False, alpn=alpn), server_name)
    except ssl.SSLError as err:
        observed["handshake_error"] = str(err)
        return observed
    except (OSError, socket.timeout) as err:
        observed["connect_error"] = str(err) or type(err).__name__
        return observed
    observed.update(protocol=first["protocol"], cipher=first["cipher"], alpn=first["alpn"])
    observed["leaf"] = leaf_facts(first["der"])
    try:
        handshake(connect, client_context(ca_pem=ca_pem, verify=True, alpn=alpn), server_name)
        observed["chain_verified"] = True
    except ssl.SSLCertVerificationError as err:
        observed["chain_verified"] = False
        observed["chain_error"] = err.verify_message or str(err)
    except (ssl.SSLError, OSError) as err:
        observed["chain_verified"] = False
        observed["chain_error"] = str(err)
    if probe_versions:
        observed["accepted_versions"] = {v: probe_version(connect, server_name, v, alpn) for v in VERSIONS}
    return observed


def report(name, endpoint, server_name, observed, expect, ca_pem, now):
    """The result entry for one target (no key material: the server never sends any)."""
    failures, notes = evaluate(observed, expect, now)
    leaf = dict(observed.get("leaf") or {})
    not_after = leaf.pop("not_after_datetime", None)
    minimum = expect.get("minimum_version")
    enforced = None
    if minimum and not (observed.get("connect_error") or observed.get("handshake_error")):
        below = [observed["accepted_versions"].get(v) for v in versions_below(version_name(minimum))]
        enforced = False if any(b is True for b in below) else (True if all(b is False for b in below) else None)
    return {
        "name": name,
        "endpoint": endpoint,
        "server_name": server_name,
        "ok": not failures,
        "failures": failures,
        "warnings": notes,
        "protocol": observed.get("protocol"),
        "cipher": observed.get("cipher"),
        "alpn": observed.get("alpn"),
        "accepted_versions": observed.get("accepted_versions", {}),
        "minimum_version": minimum,
        "minimum_version_enforced": enforced,
        "chain_verified": observed.get("chain_verified"),
        "chain_error": observed.get("chain_error"),
        "hostname_verified": (hostname_matches(leaf.get("dns_names", []), leaf.get("ip_addresses", []), server_name)
                              if leaf and server_name else None),
        "expected_ca_fingerprints": [_pki.fingerprint(c) for c in certificates_in(ca_pem)] if ca_pem else [],
        "certificate": leaf,
        "days_to_expiry": days_left(not_after, now) if not_after else None,
    }


def address_connector(host, port, timeout):
    def connect():
        return socket.create_connection((host, int(port)), timeout=timeout)
    return connect


def _is_ip(name):
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)
