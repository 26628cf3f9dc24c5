# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Pod-template annotations that follow the certificates a server loads.

Authorino and maas-api read their certificate (and the CA bundle) only at start-up. Putting the
fingerprints of what modelserving.maas.tls_certificate issued into the pod template makes a renewal
change the template, so the Deployment rolls out and the new files are loaded; an unchanged
certificate leaves the template, and so the pods, as they are.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from typing import Any, Dict, Mapping, Optional


def fingerprint_annotation_value(sha256_fingerprint: str) -> str:
    """`5E:0B:...` as an annotation value: lower-case hex without colons."""
    return str(sha256_fingerprint).replace(":", "").lower()


def restart_annotations(issued: Optional[Mapping[str, Any]], prefix: str, ca: bool = True) -> Dict[str, str]:
    """`<prefix>/ca-sha256` (with `ca`) and `<prefix>/serving-cert-sha256` (of the first certificate) from
    a registered tls_certificate result. A skipped task, or one that never ran (None, {}), gives none."""
    if not issued or issued.get("skipped") or (ca and "ca" not in issued):
        return {}
    annotations: Dict[str, str] = {}
    if ca:
        annotations[prefix + "/ca-sha256"] = fingerprint_annotation_value(issued["ca"]["sha256_fingerprint"])
    certificates = issued.get("certificates") or []
    if certificates:
        annotations[prefix + "/serving-cert-sha256"] = fingerprint_annotation_value(certificates[0]["sha256_fingerprint"])
    return annotations
