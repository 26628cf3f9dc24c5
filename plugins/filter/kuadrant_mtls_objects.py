# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter kuadrant_mtls_objects: the Kuadrant CR, PeerAuthentications and partial Deployments for an mTLS state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.modelserving.maas.plugins.module_utils._mesh.mtls_objects import (
    SIDECAR_LABEL,
    kuadrant_mtls_objects as _objects,
)


def kuadrant_mtls_objects(components, deployments, selectors, state="enabled", scope="namespace",
                          namespace="kuadrant-system", kuadrant_name="kuadrant", sidecar_label=SIDECAR_LABEL):
    if not isinstance(components, (list, tuple)):
        raise AnsibleFilterError("kuadrant_mtls_objects: expected a list of components, got %s"
                                 % type(components).__name__)
    unknown = [c for c in components if c not in deployments or c not in selectors]
    if unknown:
        raise AnsibleFilterError("kuadrant_mtls_objects: unknown component %s (known: %s)"
                                 % (", ".join(map(str, unknown)), ", ".join(sorted(selectors))))
    return _objects(components, state=state, scope=scope, namespace=namespace, kuadrant_name=kuadrant_name,
                    deployments=deployments, selectors=selectors, sidecar_label=sidecar_label)


class FilterModule(object):
    def filters(self):
        return {"kuadrant_mtls_objects": kuadrant_mtls_objects}
