# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Whether the cluster serves the API versions this collection writes, confirmed before use.

The client computes REST paths from a table of versions (client.KINDS) so that a thousand objects
cost a thousand requests. A cluster that serves another version of a kind answers such a path with
a 404 that reads exactly like "no such object"; a module would then create what exists, or skip
what it should delete. So the first use of a (version, kind) of the table asks the API server once
for that group version's resource list (GET /apis/<group>/<version>), and a kind it does not list
fails naming the kind, the version expected and the versions served.

What was confirmed is kept for the rest of the playbook run in a file private to the user (below
the system temp directory, mode 0700), keyed by the API server and the ansible-playbook process,
so a run asks once per group version, not once per module. Only confirmations are kept: a kind
that is missing now may be served a moment later (its CRD installed by an earlier task).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import stat
import tempfile
import threading
import time

# Group versions every Kubernetes release this collection supports serves: never asked about.
BUILTIN = frozenset([
    "v1", "apps/v1", "batch/v1", "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1",
    "apiextensions.k8s.io/v1", "policy/v1", "coordination.k8s.io/v1", "authentication.k8s.io/v1",
    "authorization.k8s.io/v1",
])
# Run cache files older than this are removed when a new one is written.
CACHE_MAX_AGE = 24 * 3600


class NotServed(Exception):
    """`api_version` `kind` is not served. `versions`: the group versions that serve the kind
    (empty when none does: its CRD is not installed)."""

    def __init__(self, api_version, kind, versions):
        super(NotServed, self).__init__(not_served_message(api_version, kind, versions))
        self.api_version = api_version
        self.kind = kind
        self.versions = list(versions)


def group_of(api_version):
    return api_version.rpartition("/")[0]


def not_served_message(api_version, kind, versions):
    """What the operator reads: the kind, the version this collection writes, the versions served."""
    group = group_of(api_version) or "core"
    if not versions:
        return ("%s: the cluster serves no version of it (API group %s; this collection uses %s): is its CRD "
                "installed?" % (kind, group, api_version))
    return ("%s: this collection uses %s, which the cluster does not serve; it serves %s %s. Install the "
            "release of that API this collection supports (see its README), or a release of the collection "
            "that uses %s." % (kind, api_version, kind, ", ".join(versions), " or ".join(versions)))


class ServedKinds(object):
    """Confirms (version, kind) pairs against the API server's discovery documents.

    `get(path)` returns a discovery document, or None when the API server answers 404 (the group or
    group version is not served); any other failure propagates."""

    def __init__(self, get, cache=None):
        self._get = get
        self._cache = cache
        self._lock = threading.Lock()
        self._confirmed = set(cache.load()) if cache is not None else set()
        self._lists = {}

    def confirm(self, api_version, kind):
        """Return when `kind` is served as `api_version`; raise NotServed otherwise."""
        key = "%s/%s" % (api_version, kind)
        if api_version in BUILTIN or key in self._confirmed:
            return
        with self._lock:
            if key in self._confirmed:
                return
            # A list read earlier in this process may predate the kind's CRD: read it again once.
            if kind not in self._kinds_of(api_version) and kind not in self._kinds_of(api_version, fresh=True):
                raise NotServed(api_version, kind, self._versions_serving(api_version, kind))
            self._confirmed.add(key)
            if self._cache is not None:
                self._cache.save(self._confirmed)

    def _kinds_of(self, api_version, fresh=False):
        """The kinds group version `api_version` serves (empty when it is not served at all)."""
        if fresh or api_version not in self._lists:
            document = self._get("/apis/%s" % api_version) or {}
            self._lists[api_version] = set(r.get("kind") for r in document.get("resources") or []
                                           if "/" not in r.get("name", ""))
        return self._lists[api_version]

    def _versions_serving(self, api_version, kind):
        """The group versions of `api_version`'s group that serve `kind`, preferred version first."""
        group = (self._get("/apis/%s" % group_of(api_version)) or {}) if group_of(api_version) else {}
        versions = [v.get("groupVersion") for v in group.get("versions") or [] if v.get("groupVersion")]
        return [v for v in versions if v != api_version and kind in self._kinds_of(v)]


class RunCache(object):
    """The confirmations of one playbook run against one API server, in a file only this user can
    write. `load` returns [] and `save` does nothing whenever the file or its directory cannot be
    trusted or used: the cache saves requests, it is never needed."""

    def __init__(self, host, run, directory=None):
        self.directory = directory or os.path.join(tempfile.gettempdir(), "modelserving-maas-%d" % os.getuid())
        digest = hashlib.sha256(("%s\n%s" % (host, run)).encode("utf-8")).hexdigest()[:32]
        self.path = os.path.join(self.directory, "served-%s.json" % digest)

    def _trusted_directory(self, create=False):
        try:
            if create and not os.path.isdir(self.directory):
                os.mkdir(self.directory, 0o700)
            info = os.lstat(self.directory)
        except OSError:
            return False
        return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
                and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))

    def load(self):
        if not self._trusted_directory():
            return []
        try:
            with open(self.path) as cached:
                served = json.load(cached).get("served")
        except (IOError, OSError, ValueError, AttributeError):
            return []
        return [s for s in served if isinstance(s, str)] if isinstance(served, list) else []

    def save(self, served):
        if not self._trusted_directory(create=True):
            return
        try:
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".served-")
            with os.fdopen(fd, "w") as out:
                json.dump({"served": sorted(served)}, out)
            os.rename(temporary, self.path)
        except (IOError, OSError):
            return
        self._prune()

    def _prune(self):
        now = time.time()
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            path = os.path.join(self.directory, name)
            try:
                if name.startswith(("served-", ".served-")) and now - os.lstat(path).st_mtime > CACHE_MAX_AGE:
                    os.unlink(path)
            except OSError:
                continue


def playbook_run(chain, read_start_time):
    """A key for the playbook run this module belongs to, or None when it cannot be told.

    `chain` is cancel.ancestry's ((pid, parent pid), ...) up to the worker that leads the module's
    session; the worker's parent is ansible-playbook. Its pid and start time (pids are reused, the
    pair is not) name the run. `read_start_time(pid)` is the start time, or None."""
    if not chain:
        return None
    controller = chain[-1][1]
    started = read_start_time(controller) if controller > 1 else None
    return None if started is None else "%d@%s" % (controller, started)


def proc_start_time(pid):
    """Field 22 of /proc/<pid>/stat (start time, in clock ticks since boot), or None."""
    try:
        with open("/proc/%d/stat" % pid) as proc:
            fields = proc.read().rpartition(")")[2].split()
    except (IOError, OSError):
        return None
    return fields[19] if len(fields) > 19 else None
