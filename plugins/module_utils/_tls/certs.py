# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Certificates of the `self` provider: what to issue for a CA and its leaves, and what to write.

Every decision is a pure function of (what the cluster stores, what is wanted, now), so the clock is
a parameter and tests pin it. A certificate is kept when its key pair matches, its names match, the
current CA issued it and it is outside its renewal window; otherwise it is issued again with a new
key (`pki.py` builds keys and certificates).

Private keys only ever leave this file as PEM bytes destined for a Secret's data; summaries and
reasons carry names, dates and fingerprints, never key material.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import datetime
import ipaddress
import re

from ansible_collections.modelserving.maas.plugins.module_utils._tls.pki import (
    certificate_pem,
    common_name,
    fingerprint,
    is_ca,
    issue_ca,
    issue_leaf,
    issued_by,
    key_type,
    keys_match,
    load_certificate,
    load_key,
    new_private_key,
    normalized_ips,
    not_after,
    private_key_pem,
    subject_alt_names,
    summary,
    wanted_names,
)

SECRET_TYPE = "kubernetes.io/tls"
_DNS_NAME = re.compile(r"^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")

KEEP = "unchanged"
CREATE = "created"
RENEW = "renewed"


class Decision(object):
    """What to do with one certificate, and why (a sentence naming no secret)."""

    def __init__(self, action, reason):
        self.action = action
        self.reason = reason

    @property
    def issue(self):
        return self.action != KEEP

    def __repr__(self):
        return "Decision(%r, %r)" % (self.action, self.reason)

    def __eq__(self, other):
        return isinstance(other, Decision) and (self.action, self.reason) == (other.action, other.reason)


# ---------------------------------------------------------------------------------------------
# reading what the cluster stores


def secret_pems(secret):
    """{key: text} of a live Secret's data (base64-decoded); {} for None. Undecodable values are ''."""
    pems = {}
    for key, value in ((secret or {}).get("data") or {}).items():
        try:
            pems[key] = base64.b64decode(value).decode("ascii")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            pems[key] = ""
    return pems


# ---------------------------------------------------------------------------------------------
# what is wanted


def spec_problems(ca, certificates, bundles, issuing=True):
    """Every reason the requested set cannot be issued, each naming the entry and field.

    Deleting (`issuing=False`) needs only the names, so only two entries naming the same object are
    wrong then: a certificate naming the CA Secret would delete the CA that is meant to stay."""
    problems = []
    seen = {}
    if ca is not None:
        if issuing:
            problems.extend(_window_problems("ca", ca))
            if not ca.get("common_name"):
                problems.append("ca.common_name must not be empty")
        seen[(ca.get("namespace"), ca.get("name"))] = "ca"
    for index, cert in enumerate(certificates or []):
        where = "certificates[%d] (%s/%s)" % (index, cert.get("namespace"), cert.get("name"))
        key = (cert.get("namespace"), cert.get("name"))
        if key in seen:
            problems.append("%s: the same Secret as %s" % (where, seen[key]))
        seen[key] = where
        if issuing:
            problems.extend(_leaf_problems(where, cert))
    names = set()
    for index, bundle in enumerate(bundles or []):
        key = (bundle.get("namespace"), bundle.get("name"))
        if key in names:
            problems.append("ca_bundles[%d] (%s/%s) is listed twice" % ((index,) + key))
        names.add(key)
    return problems


def _leaf_problems(where, cert):
    """Why a leaf spec cannot be issued: its renewal window and its names."""
    problems = _window_problems(where, cert)
    if not (cert.get("dns_names") or cert.get("ip_addresses") or cert.get("common_name")):
        problems.append("%s: give dns_names, ip_addresses or common_name" % where)
    for pos, name in enumerate(cert.get("dns_names") or []):
        if not _DNS_NAME.match(str(name).strip().lower()) or len(str(name)) > 253:
            problems.append("%s: dns_names[%d] %r is not a DNS name" % (where, pos, name))
    for pos, address in enumerate(cert.get("ip_addresses") or []):
        try:
            ipaddress.ip_address(str(address).strip())
        except ValueError:
            problems.append("%s: ip_addresses[%d] %r is not an IP address" % (where, pos, address))
    return problems


def _window_problems(where, spec):
    validity, before = spec.get("validity_days"), spec.get("renew_before_days")
    if validity is None or validity < 1:
        return ["%s: validity_days must be at least 1" % where]
    if before is None or before < 0:
        return ["%s: renew_before_days must not be negative" % where]
    if before >= validity:
        # A certificate would be inside its renewal window from the day it is issued: reissued every run.
        return ["%s: renew_before_days (%d) must be smaller than validity_days (%d)" % (where, before, validity)]
    return []


# ---------------------------------------------------------------------------------------------
# decisions


def renewal_due(cert, renew_before_days, now):
    """A reason when `cert` is expired or inside its renewal window, else None."""
    end = not_after(cert)
    if end <= now:
        return "expired on %s" % end.date().isoformat()
    if end - now <= datetime.timedelta(days=renew_before_days):
        return "expires on %s, inside the %d-day renewal window" % (end.date().isoformat(), renew_before_days)
    return None


def _stored_pair(pems, absent_reason):
    """(certificate, None) when a Secret holds a readable certificate and its key, else (None, the
    Decision that says what to do about it)."""
    if not pems:
        return None, Decision(CREATE, absent_reason)
    cert, key = load_certificate(pems.get("tls.crt")), load_key(pems.get("tls.key"))
    if cert is None or key is None:
        return None, Decision(RENEW, "tls.crt or tls.key is missing or not readable PEM")
    if not keys_match(cert, key):
        return None, Decision(RENEW, "tls.key does not match the certificate in tls.crt")
    return cert, None


def ca_decision(pems, spec, now, wanted_key_type):
    """Create, renew or keep the CA stored in a Secret whose decoded data is `pems`."""
    cert, problem = _stored_pair(pems, "the CA Secret does not exist")
    if problem:
        return problem
    if not is_ca(cert):
        return Decision(RENEW, "tls.crt is not a CA certificate")
    if common_name(cert) != spec["common_name"]:
        return Decision(RENEW, "common name %r, wanted %r" % (common_name(cert), spec["common_name"]))
    if key_type(cert.public_key()) != wanted_key_type:
        return Decision(RENEW, "key type %s, wanted %s" % (key_type(cert.public_key()), wanted_key_type))
    due = renewal_due(cert, spec["renew_before_days"], now)
    if due:
        return Decision(RENEW, "the CA " + due)
    return Decision(KEEP, "valid until %s" % not_after(cert).date().isoformat())


def leaf_decision(pems, spec, ca_cert, ca_changed, now, wanted_key_type):
    """Create, renew or keep one leaf certificate signed by `ca_cert`."""
    cert, problem = _stored_pair(pems, "the Secret does not exist")
    if problem:
        return problem
    if ca_changed:
        return Decision(RENEW, "the CA was issued again")
    if not issued_by(cert, ca_cert):
        return Decision(RENEW, "issued by another CA (%s)" % cert.issuer.rfc4514_string())
    cn, dns, ips = wanted_names(spec)
    have_dns, have_ips = subject_alt_names(cert)
    if sorted(d.lower() for d in have_dns) != sorted(dns) or sorted(normalized_ips(have_ips)) != sorted(ips):
        return Decision(RENEW, "subject alternative names changed (%s -> %s)"
                        % (", ".join(have_dns + have_ips) or "none", ", ".join(dns + ips)))
    if common_name(cert) != cn:
        return Decision(RENEW, "common name %r, wanted %r" % (common_name(cert), cn))
    if key_type(cert.public_key()) != wanted_key_type:
        return Decision(RENEW, "key type %s, wanted %s" % (key_type(cert.public_key()), wanted_key_type))
    # A leaf is never issued past its CA's end; when it was cut short that way only the CA's renewal
    # (which re-issues every leaf) can extend it, so the leaf's own window must not fire every run.
    if not_after(cert) < not_after(ca_cert):
        due = renewal_due(cert, spec["renew_before_days"], now)
        if due:
            return Decision(RENEW, due)
    return Decision(KEEP, "valid until %s" % not_after(cert).date().isoformat())


# ---------------------------------------------------------------------------------------------
# issuing


# ---------------------------------------------------------------------------------------------
# Kubernetes objects


def b64(text):
    return base64.b64encode(text.encode("ascii")).decode("ascii")


def tls_secret(name, namespace, data, labels):
    """A kubernetes.io/tls Secret; `data` maps keys to base64 values."""
    return {
        "apiVersion": "v1", "kind": "Secret", "type": SECRET_TYPE,
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "data": dict(data),
    }


def ca_bundle_configmap(name, namespace, ca_pem, labels):
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "data": {"ca.crt": ca_pem},
    }


def secret_type_problem(secret, what):
    """A message when an existing Secret cannot hold a TLS pair (its type is immutable)."""
    if secret is not None and secret.get("type", "Opaque") != SECRET_TYPE:
        meta = secret.get("metadata", {})
        return ("%s: Secret %s/%s exists with type %s; this module stores %s Secrets and a Secret's type "
                "cannot change. Delete it or choose another name." % (
                    what, meta.get("namespace"), meta.get("name"), secret.get("type", "Opaque"), SECRET_TYPE))
    return None


# ---------------------------------------------------------------------------------------------
# the whole set


def secret_key(namespace, name):
    return ("v1", "Secret", namespace, name)


def plan(ca_spec, certificates, bundles, live, now, wanted_key_type, labels):
    """Desired Secrets and ConfigMaps for a CA, its leaves and its bundles, plus what to report.

    `live` maps identity tuples (apiVersion, kind, namespace, name) to live objects (or None).
    Kept certificates reuse the stored base64 values byte for byte, so applying them writes nothing.
    Returns (objects, ca report, leaf reports, CA certificate PEM).
    """
    ca_live = live.get(secret_key(ca_spec["namespace"], ca_spec["name"]))
    ca_pems = secret_pems(ca_live)
    decision = ca_decision(ca_pems, ca_spec, now, wanted_key_type)
    if decision.issue:
        ca_key = new_private_key(wanted_key_type)
        ca_cert = issue_ca(ca_key, ca_spec, now)
        ca_crt, ca_tls_key = b64(certificate_pem(ca_cert)), b64(private_key_pem(ca_key))
    else:
        ca_cert, ca_key = load_certificate(ca_pems["tls.crt"]), load_key(ca_pems["tls.key"])
        ca_crt, ca_tls_key = ca_live["data"]["tls.crt"], ca_live["data"]["tls.key"]
    objects = [tls_secret(ca_spec["name"], ca_spec["namespace"],
                          {"tls.crt": ca_crt, "tls.key": ca_tls_key, "ca.crt": ca_crt}, labels)]
    ca_report = dict(name=ca_spec["name"], namespace=ca_spec["namespace"], action=decision.action,
                     reason=decision.reason, not_after=not_after(ca_cert).isoformat(),
                     sha256_fingerprint=fingerprint(ca_cert), common_name=common_name(ca_cert))

    reports = []
    for spec in certificates:
        leaf_live = live.get(secret_key(spec["namespace"], spec["name"]))
        pems = secret_pems(leaf_live)
        leaf = leaf_decision(pems, spec, ca_cert, decision.issue, now, wanted_key_type)
        if leaf.issue:
            key = new_private_key(wanted_key_type)
            cert = issue_leaf(key, spec, ca_cert, ca_key, now)
            crt, tls_key = b64(certificate_pem(cert)), b64(private_key_pem(key))
        else:
            cert = load_certificate(pems["tls.crt"])
            crt, tls_key = leaf_live["data"]["tls.crt"], leaf_live["data"]["tls.key"]
        leaf_labels = dict(labels)
        leaf_labels.update(spec.get("labels") or {})
        objects.append(tls_secret(spec["name"], spec["namespace"],
                                  {"tls.crt": crt, "tls.key": tls_key, "ca.crt": ca_crt}, leaf_labels))
        info = summary(cert)
        reports.append(dict(name=spec["name"], namespace=spec["namespace"], action=leaf.action, reason=leaf.reason,
                            not_after=info["not_after"], sha256_fingerprint=info["sha256_fingerprint"],
                            common_name=info["common_name"], dns_names=info["dns_names"],
                            ip_addresses=info["ip_addresses"]))

    ca_pem = certificate_pem(ca_cert)
    for bundle in bundles:
        bundle_labels = dict(labels)
        bundle_labels.update(bundle.get("labels") or {})
        objects.append(ca_bundle_configmap(bundle["name"], bundle["namespace"], ca_pem, bundle_labels))
    return objects, ca_report, reports, ca_pem
