# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter authorino_tls_patches: the live Authorino CR in, the CR and Deployment patches for listener TLS and trust out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.modelserving.maas.plugins.module_utils._tls.authorino import authorino_tls_patches as _patches


def authorino_tls_patches(authorino, mount_in_cr, listener=True, outbound=True, secret_name="authorino-server-cert",
                          volume_name="maas-ca-bundle", mount_dir="/etc/maas-ca-bundle",
                          ca_bundle_configmap="maas-ca-bundle", ca_bundle_key="ca.crt", ca_file_name="ca-bundle.crt",
                          deployment_name="authorino", container_name="authorino", restart_annotations=None, record_restore=True):
    metadata = authorino.get("metadata") if isinstance(authorino, dict) else None
    if not metadata or not metadata.get("name") or not metadata.get("namespace"):
        raise AnsibleFilterError("authorino_tls_patches: expected the Authorino CR as read from the cluster "
                                 "(with metadata.name and metadata.namespace)")
    return _patches(authorino, listener=boolean(listener, strict=False), outbound=boolean(outbound, strict=False),
                    mount_in_cr=boolean(mount_in_cr, strict=False), secret_name=secret_name,
                    volume_name=volume_name, mount_dir=mount_dir, ca_bundle_configmap=ca_bundle_configmap,
                    ca_bundle_key=ca_bundle_key, ca_file_name=ca_file_name, deployment_name=deployment_name,
                    container_name=container_name, restart_annotations=restart_annotations or {},
                    record_restore=boolean(record_restore, strict=False))


class FilterModule(object):
    def filters(self):
        return {"authorino_tls_patches": authorino_tls_patches}
