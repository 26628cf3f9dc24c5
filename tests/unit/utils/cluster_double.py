# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory Kubernetes API for unit tests of the modules' run() functions.

`ClusterDouble` has the methods, signatures and return shapes of `_kube.client.Cluster` and raises
its `K8sError`, so a run() cannot tell it from a real cluster at the level it uses. It is not an API
server: server-side apply merges dicts and lists of named items, records a managedFields entry per
manager with the fieldsV1 tree it applied, removes fields a manager stopped applying, and reports a
409 when another manager owns a field with another value; that is enough to test decisions, not
schemas. Integration tests run against the real API server.

Every call is recorded in `requests` as (verb, apiVersion, kind, namespace, name, dry_run), so a
test can first see that a run read the cluster and then that it wrote nothing (`writes()`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import json

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import KINDS, Cluster, K8sError, identity
from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import RunContext

WRITE_VERBS = ("create", "update", "patch", "apply", "delete")
# The kinds every API server serves without a CRD, for `served=BUILTIN_KINDS | {...}`.
BUILTIN_KINDS = frozenset(key for key in KINDS if key[0] == "v1" or key[0].split("/")[0] in (
    "apps", "networking.k8s.io", "rbac.authorization.k8s.io", "apiextensions.k8s.io"))
CRD = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")
# What the server sets; never part of what a manager applies.
SERVER_FIELDS = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink")
_METHOD_VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def context(cluster, check_mode=False, diff=False):
    """A RunContext whose cluster() is `cluster`, as `execute` builds for a real module."""
    return RunContext(lambda: cluster, check_mode=check_mode, diff=diff)


def not_found(plural, name):
    return K8sError(404, "NotFound", '%s "%s" not found' % (plural, name),
                    {"reason": "NotFound", "details": {"name": name, "kind": plural}, "code": 404})


def invalid(message):
    return K8sError(422, "Invalid", message, {"reason": "Invalid", "code": 422})


class ClusterDouble(object):
    """Objects in memory, answering like `Cluster`. `served`: the (apiVersion, kind) pairs the
    cluster serves, None for every kind. `fail`: {(verb, kind, name): K8sError, or a list of errors
    raised one per call}, checked after the call is recorded; an entry may also be a callable run at
    that moment (to change the cluster between a read and a write) returning the error or None. `handlers`: {(method, kind,
    subresource): handler(namespace, name, body, query) -> response} for request() on subresources
    (a TokenRequest is ("POST", "ServiceAccount", "token")). With `strict_namespaces`, writes into a
    namespace no Namespace object exists for fail as the API server fails them."""

    def __init__(self, objects=(), served=None):
        self.served = None if served is None else set(served)
        self.requests = []
        self.fail = {}
        self.handlers = {}
        self.strict_namespaces = False
        self.forward = None  # forward(namespace, pod, port, timeout) -> socket, for port_forward
        self.workers = 1
        self._objects = {}
        self._version = 0
        for obj in objects:
            self.add(obj)

    # -- what tests use directly (not recorded) ------------------------------------------------

    def add(self, obj):
        """Store `obj` as if someone had created it; server fields it lacks are filled in."""
        stored = copy.deepcopy(obj)
        meta = stored.setdefault("metadata", {})
        meta.setdefault("resourceVersion", self._next_version())
        meta.setdefault("uid", "uid-%s" % meta["resourceVersion"])
        meta.setdefault("generation", 1)
        self._objects[self._key(stored)] = stored
        if tuple((stored["apiVersion"], stored["kind"])) == CRD:
            self._serve_crd(stored)
        return copy.deepcopy(stored)

    def stored(self, api_version, kind, name, namespace=None):
        """The stored object (a copy) or None, without recording a request."""
        return copy.deepcopy(self._objects.get(self._identity(api_version, kind, namespace, name)))

    def writes(self):
        """The recorded requests that changed (or, without dry run, would have changed) the cluster."""
        return [r for r in self.requests if r[0] in WRITE_VERBS and not r[5]]

    # -- Cluster's interface ---------------------------------------------------------------------

    def kind_info(self, api_version, kind):
        if self.served is not None and (api_version, kind) not in self.served:
            raise K8sError(404, "NotFound", "The cluster does not serve %s %s (is its CRD installed?)"
                           % (api_version, kind))
        if (api_version, kind) in KINDS:
            return KINDS[(api_version, kind)]
        for crd in self._crds():
            spec = crd.get("spec", {})
            names = spec.get("names", {})
            if names.get("kind") == kind and api_version.split("/")[0] == spec.get("group"):
                return names.get("plural", kind.lower() + "s"), spec.get("scope", "Namespaced") == "Namespaced"
        return kind.lower() + "s", True

    def confirm_served(self, api_version, kind):
        """`served` stands in for discovery (kind_info answers for it)."""

    path = Cluster.path

    def request(self, method, path, body=None, query=None, content_type="application/json"):
        query = query or {}
        api_version, kind, namespace, name, subresource = self._parse(path)
        dry_run = query.get("dryRun") == "All"
        verb = _METHOD_VERBS.get(method, method.lower())
        if method == "PATCH" and content_type == "application/apply-patch+yaml":
            verb = "apply"
        self._record(verb, api_version, kind, namespace, name, dry_run)
        handler = self.handlers.get((method, kind, subresource))
        if handler is not None:
            if name and self._get(api_version, kind, name, namespace) is None:
                self._check_namespace(kind, namespace)
                raise not_found(self.kind_info(api_version, kind)[0], name)
            return handler(namespace, name, copy.deepcopy(body), dict(query))
        if subresource not in (None, "status"):
            raise K8sError(404, "NotFound", "the cluster double has no handler for %s %s" % (method, path))
        if method == "GET" and name:
            found = self._get(api_version, kind, name, namespace)
            if found is None:
                raise not_found(self.kind_info(api_version, kind)[0], name)
            return found
        if method == "GET":
            return {"kind": kind + "List", "apiVersion": api_version, "metadata": {},
                    "items": self._list(api_version, kind, namespace, query.get("labelSelector"))}
        if verb == "apply":
            return self._apply(body, query["fieldManager"], query.get("force") == "true", dry_run, subresource)
        if method == "PATCH":
            patch_type = {"application/json-patch+json": "json"}.get(content_type, "merge")
            return self._patch(api_version, kind, name, body, namespace, patch_type, dry_run, subresource,
                               query.get("fieldManager"))
        if method == "DELETE":
            precondition = ((body or {}).get("preconditions") or {}).get("resourceVersion")
            if not self._delete(api_version, kind, name, namespace, dry_run, precondition):
                raise not_found(self.kind_info(api_version, kind)[0], name)
            return {"kind": "Status", "status": "Success"}
        if method == "POST" and not name:
            return self._create(body, dry_run)
        raise K8sError(405, "MethodNotAllowed", "the cluster double does not answer %s %s" % (method, path))

    def get(self, api_version, kind, name, namespace=None):
        self._record("get", api_version, kind, namespace, name, False)
        return self._get(api_version, kind, name, namespace)

    def exists(self, api_version, kind, name, namespace=None):
        return self.get(api_version, kind, name, namespace) is not None

    def list(self, api_version, kind, namespace=None, label_selector=None, metadata_only=False):
        self._record("list", api_version, kind, namespace, None, False)
        found = self._list(api_version, kind, namespace, label_selector)
        return [dict(apiVersion=api_version, kind=kind, metadata=o["metadata"]) for o in found] if metadata_only else found

    def apply(self, obj, field_manager, force=False, dry_run=False, subresource=None):
        meta = obj.get("metadata", {})
        self._record("apply", obj.get("apiVersion"), obj.get("kind"), meta.get("namespace"), meta.get("name"), dry_run)
        return self._apply(obj, field_manager, force, dry_run, subresource)

    def patch(self, api_version, kind, name, patch, namespace=None, patch_type="merge", dry_run=False,
              subresource=None, field_manager=None):
        self._record("patch", api_version, kind, namespace, name, dry_run)
        return self._patch(api_version, kind, name, patch, namespace, patch_type, dry_run, subresource, field_manager)

    def delete(self, api_version, kind, name, namespace=None, dry_run=False, resource_version=None):
        self._record("delete", api_version, kind, namespace, name, dry_run)
        return self._delete(api_version, kind, name, namespace, dry_run, resource_version)

    def port_forward(self, namespace, pod, port, timeout=10.0):
        self._record("connect", "v1", "Pod", namespace, pod, False)
        if self.forward is None:
            raise K8sError(None, "PortForward", "cannot port-forward to pod %s/%s port %s: the cluster double "
                           "forwards nowhere" % (namespace, pod, port))
        return self.forward(namespace, pod, port, timeout)

    def parallel(self, function, items):
        """Sequential, with Cluster.parallel's contract: (value, None) or (None, exception) per item."""
        results = []
        for item in items:
            try:
                results.append((function(item), None))
            except Exception as err:  # reported per item by the caller, as Cluster.parallel does
                results.append((None, err))
        return results

    # -- internals -------------------------------------------------------------------------------

    def _record(self, verb, api_version, kind, namespace, name, dry_run):
        self.requests.append((verb, api_version, kind, namespace, name, bool(dry_run)))
        planned = self.fail.get((verb, kind, name))
        if isinstance(planned, list):
            planned = planned.pop(0) if planned else None
        if callable(planned):
            planned = planned()
        if planned is not None:
            raise planned

    def _next_version(self):
        self._version += 1
        return str(self._version)

    def _identity(self, api_version, kind, namespace, name):
        namespaced = self.kind_info(api_version, kind)[1] if self._known(api_version, kind) else True
        return (api_version, kind, (namespace or "") if namespaced else "", name)

    def _key(self, obj):
        api_version, kind, namespace, name = identity(obj)
        return self._identity(api_version, kind, namespace, name)

    def _known(self, api_version, kind):
        return self.served is None or (api_version, kind) in self.served

    def _crds(self):
        return [obj for key, obj in self._objects.items() if key[:2] == CRD]

    def _serve_crd(self, crd):
        spec = crd.get("spec", {})
        kind = spec.get("names", {}).get("kind")
        if self.served is not None and kind:
            self.served.update(("%s/%s" % (spec.get("group"), v["name"]), kind)
                               for v in spec.get("versions") or [] if v.get("served", True))

    def _parse(self, path):
        """(apiVersion, kind, namespace, name, subresource) of a REST path Cluster.path built."""
        parts = path.strip("/").split("/")
        if parts[0] == "api":
            api_version, rest = parts[1], parts[2:]
        else:
            api_version, rest = "/".join(parts[1:3]), parts[3:]
        namespace = None
        # /namespaces/{name}/status is the Namespace's own subresource, not a namespaced path.
        if len(rest) >= 3 and rest[0] == "namespaces" and not (len(rest) == 3 and rest[2] in ("status", "finalize")):
            namespace, rest = rest[1], rest[2:]
        plural = rest[0]
        kind = next((k for (a, k), info in KINDS.items() if a == api_version and info[0] == plural), None)
        for crd in self._crds():
            names = crd.get("spec", {}).get("names", {})
            if kind is None and names.get("plural") == plural:
                kind = names.get("kind")
        if kind is None:
            kind = plural[:-1].capitalize()
        return api_version, kind, namespace, (rest[1] if len(rest) > 1 else None), (rest[2] if len(rest) > 2 else None)

    def _check_served(self, api_version, kind):
        self.kind_info(api_version, kind)

    def _check_namespace(self, kind, namespace):
        if self.strict_namespaces and namespace and kind != "Namespace" and \
                ("v1", "Namespace", "", namespace) not in self._objects:
            raise not_found("namespaces", namespace)

    def _get(self, api_version, kind, name, namespace):
        if not self._known(api_version, kind):
            return None
        return copy.deepcopy(self._objects.get(self._identity(api_version, kind, namespace, name)))

    def _list(self, api_version, kind, namespace, label_selector):
        self._check_served(api_version, kind)
        wanted = parse_selector(label_selector)
        found = [obj for key, obj in self._objects.items() if key[:2] == (api_version, kind)
                 and (not namespace or key[2] == namespace)
                 and matches(obj.get("metadata", {}).get("labels") or {}, wanted)]
        return copy.deepcopy(sorted(found, key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"])))

    def _store(self, before, after, dry_run):
        """Store `after` in place of `before`; a new resourceVersion only when anything changed."""
        if before is not None and after == before:
            return copy.deepcopy(before)
        meta = after["metadata"]
        if before is None:
            meta.setdefault("generation", 1)
            if not dry_run:
                meta["uid"] = "uid-%d" % (self._version + 1)
                meta["creationTimestamp"] = "2026-01-01T00:00:00Z"
        elif _spec_part(after) != _spec_part(before):
            meta["generation"] = before["metadata"].get("generation", 1) + 1
        if not dry_run:
            meta["resourceVersion"] = self._next_version()
            self._objects[self._key(after)] = after
            if (after["apiVersion"], after["kind"]) == CRD:
                self._serve_crd(after)
        return copy.deepcopy(after)

    def _apply(self, obj, field_manager, force, dry_run, subresource):
        api_version, kind = obj["apiVersion"], obj["kind"]
        meta = obj["metadata"]
        self._check_served(api_version, kind)
        self._check_namespace(kind, meta.get("namespace"))
        before = self._get(api_version, kind, meta["name"], meta.get("namespace"))
        applied = _secret_data_from_string_data(_without_server_fields(obj))
        tree = applied_fields(applied, subresource)
        current = copy.deepcopy(before) if before is not None else _new_object(applied)
        entries = current["metadata"].get("managedFields") or []
        own = next((e for e in entries if e.get("manager") == field_manager and e.get("operation") == "Apply"
                    and e.get("subresource") == subresource), None)
        others = [e for e in entries if e is not own]
        taken = {}
        for index, entry in enumerate(others):
            if entry.get("subresource") == subresource:
                owned = nodes(entry.get("fieldsV1") or {})
                taken[index] = [p for p in leaves(tree) if p in owned and value_at(current, p) != value_at(applied, p)]
        conflicts = [(others[index]["manager"], p) for index, paths in sorted(taken.items()) for p in paths]
        if conflicts and not force:
            raise conflict_error(conflicts)
        for index, paths in taken.items():
            for p in paths:
                remove_node(others[index]["fieldsV1"], p)
        after = merged(current, applied)
        still_owned = set().union(*[nodes(e.get("fieldsV1") or {}) for e in others])
        dropped = nodes((own or {}).get("fieldsV1") or {}) - nodes(tree) - still_owned
        for p in sorted(dropped, key=len):
            remove_at(after, p)
        entry = {"manager": field_manager, "operation": "Apply", "apiVersion": api_version,
                 "fieldsType": "FieldsV1", "fieldsV1": tree}
        if subresource:
            entry["subresource"] = subresource
        # In place, so that an apply changing nothing leaves managedFields (and the version) as they were.
        kept = [entry if e is own else e for e in entries if e is own or e.get("fieldsV1")]
        after["metadata"]["managedFields"] = kept if own is not None else kept + [entry]
        return self._store(before, _with_status_of(after, before, subresource, kind), dry_run)

    def _patch(self, api_version, kind, name, patch, namespace, patch_type, dry_run, subresource, field_manager):
        self._check_served(api_version, kind)
        before = self._get(api_version, kind, name, namespace)
        if before is None:
            raise not_found(self.kind_info(api_version, kind)[0], name)
        if patch_type == "merge":
            after = merge_patch(before, patch)
        elif patch_type == "json":
            after = json_patch(before, patch)
        else:
            raise K8sError(415, "UnsupportedMediaType", "the cluster double has no %s patch" % patch_type)
        after = _with_status_of(after, before, subresource, kind)
        for key in ("name", "namespace", "uid", "resourceVersion"):
            if key in before["metadata"]:
                after["metadata"][key] = before["metadata"][key]
        changed = changed_fields(_without_server_fields(before), _without_server_fields(after))
        if changed:
            manager = field_manager or "unknown"
            entries = list(after["metadata"].get("managedFields") or [])
            for entry in entries:
                for p in leaves(changed):
                    remove_node(entry.get("fieldsV1") or {}, p)
            own = next((e for e in entries if e.get("manager") == manager and e.get("operation") == "Update"
                        and e.get("subresource") == subresource), None)
            if own is None:
                own = {"manager": manager, "operation": "Update", "apiVersion": api_version,
                       "fieldsType": "FieldsV1", "fieldsV1": {}}
                if subresource:
                    own["subresource"] = subresource
                entries.append(own)
            own["fieldsV1"] = union(own.get("fieldsV1") or {}, changed)
            after["metadata"]["managedFields"] = [e for e in entries if e.get("fieldsV1")]
        return self._store(before, after, dry_run)

    def _create(self, obj, dry_run):
        meta = obj.get("metadata", {})
        self._check_served(obj["apiVersion"], obj["kind"])
        self._check_namespace(obj["kind"], meta.get("namespace"))
        if self._get(obj["apiVersion"], obj["kind"], meta.get("name"), meta.get("namespace")) is not None:
            plural = self.kind_info(obj["apiVersion"], obj["kind"])[0]
            raise K8sError(409, "AlreadyExists", '%s "%s" already exists' % (plural, meta.get("name")))
        return self._store(None, _new_object(_without_server_fields(obj)), dry_run)

    def _delete(self, api_version, kind, name, namespace, dry_run, resource_version):
        if not self._known(api_version, kind):
            return False
        key = self._identity(api_version, kind, namespace, name)
        live = self._objects.get(key)
        if live is None:
            return False
        if resource_version and live["metadata"].get("resourceVersion") != resource_version:
            raise K8sError(409, "Conflict", "Operation cannot be fulfilled on %s \"%s\": the ResourceVersion in "
                           "the precondition (%s) does not match the ResourceVersion in record (%s)"
                           % (self.kind_info(api_version, kind)[0], name, resource_version,
                              live["metadata"].get("resourceVersion")))
        if not dry_run:
            del self._objects[key]
        return True


# ---------------------------------------------------------------------------------------------
# label selectors


def parse_selector(selector):
    """Equality-based selector terms: [(key, op, value)] with op one of =, !=, exists, !exists."""
    terms = []
    for term in (selector or "").split(","):
        term = term.strip()
        if not term:
            continue
        if "!=" in term:
            key, value = term.split("!=", 1)
            terms.append((key.strip(), "!=", value.strip()))
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            terms.append((key.strip(), "=", value.strip()))
        elif term.startswith("!"):
            terms.append((term[1:].strip(), "!exists", None))
        elif " " in term or "(" in term:
            raise K8sError(400, "BadRequest", "unable to parse requirement: %r (the cluster double knows "
                           "equality-based selectors only)" % term)
        else:
            terms.append((term, "exists", None))
    return terms


def matches(labels, terms):
    for key, op, value in terms:
        if op == "=" and labels.get(key) != value:
            return False
        if op == "!=" and labels.get(key) == value:
            return False
        if op == "exists" and key not in labels:
            return False
        if op == "!exists" and key in labels:
            return False
    return True


# ---------------------------------------------------------------------------------------------
# fieldsV1 trees: {"f:field": {...}, 'k:{"name":"x"}': {".": {}, ...}}; a path is a tuple of keys


def _named(items):
    return isinstance(items, list) and bool(items) and all(isinstance(i, dict) and isinstance(i.get("name"), str)
                                                           for i in items)


def _item_key(item):
    return "k:" + json.dumps({"name": item["name"]}, separators=(",", ":"))


def fields_of(value):
    """The fieldsV1 tree of a value: dict members and named list items; other lists are atomic."""
    if isinstance(value, dict):
        return {"f:" + k: fields_of(v) for k, v in value.items()}
    if _named(value):
        return {_item_key(item): dict(fields_of(item), **{".": {}}) for item in value}
    return {}


def applied_fields(obj, subresource=None):
    """What a manager owns after applying `obj`: everything it sets but identity and server fields;
    the status only through the status subresource, and only the status there."""
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    meta = {k: v for k, v in (body.get("metadata") or {}).items() if k not in ("name", "namespace")}
    body["metadata"] = meta
    if not meta:
        body.pop("metadata")
    if subresource == "status":
        body = {"status": body["status"]} if "status" in body else {}
    else:
        body.pop("status", None)
    return fields_of(body)


def nodes(tree, prefix=()):
    found = set()
    for key, sub in tree.items():
        if key == ".":
            continue
        path = prefix + (key,)
        found.add(path)
        found |= nodes(sub, path)
    return found


def leaves(tree, prefix=()):
    found = []
    for key, sub in tree.items():
        if key == ".":
            continue
        children = [k for k in sub if k != "."]
        found.extend(leaves(sub, prefix + (key,)) if children else [prefix + (key,)])
    return found


def union(a, b):
    result = copy.deepcopy(a)
    for key, sub in b.items():
        result[key] = union(result.get(key, {}), sub)
    return result


def remove_node(tree, path):
    """Drop `path` from a fieldsV1 tree, and parents it leaves empty (they would read as leaves)."""
    if not path or path[0] not in tree:
        return
    if len(path) > 1:
        remove_node(tree[path[0]], path[1:])
        if [k for k in tree[path[0]] if k != "."]:
            return
    del tree[path[0]]


def _step(node, key):
    """(container, index or member) that `key` names in `node`, or None."""
    kind, raw = key.split(":", 1)
    if kind == "f" and isinstance(node, dict) and raw in node:
        return raw
    if kind == "k" and isinstance(node, list):
        keys = json.loads(raw)
        for index, item in enumerate(node):
            if isinstance(item, dict) and all(item.get(k) == v for k, v in keys.items()):
                return index
    return None


def value_at(obj, path):
    node = obj
    for key in path:
        step = _step(node, key)
        if step is None:
            return None
        node = node[step]
    return node


def remove_at(obj, path):
    node = obj
    for key in path[:-1]:
        step = _step(node, key)
        if step is None:
            return
        node = node[step]
    step = _step(node, path[-1])
    if step is not None:
        del node[step]


def merged(live, applied):
    """`applied` merged into `live`: dicts member by member, lists of named items item by item."""
    if isinstance(live, dict) and isinstance(applied, dict):
        result = copy.deepcopy(live)
        for key, value in applied.items():
            result[key] = merged(live[key], value) if key in live else copy.deepcopy(value)
        return result
    if _named(live) and _named(applied):
        by_name = {item["name"]: item for item in applied}
        result = [merged(item, by_name.pop(item["name"])) if item["name"] in by_name else copy.deepcopy(item)
                  for item in live]
        return result + [copy.deepcopy(item) for item in applied if item["name"] in by_name]
    return copy.deepcopy(applied)


def changed_fields(before, after):
    """The fieldsV1 tree of the members that differ between two objects (lists compared whole)."""
    tree = {}
    for key in set(before) | set(after):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            tree["f:" + key] = changed_fields(old, new)
        else:
            tree["f:" + key] = {}
    return tree


def conflict_error(conflicts):
    causes = [{"reason": "FieldManagerConflict", "message": 'conflict with "%s"' % manager,
               "field": "." + ".".join(k.split(":", 1)[1] for k in path)} for manager, path in conflicts]
    message = "Apply failed with %d conflict%s: %s" % (
        len(causes), "" if len(causes) == 1 else "s", ", ".join("%s: %s" % (c["message"], c["field"]) for c in causes))
    return K8sError(409, "Conflict", message, {"reason": "Conflict", "code": 409, "details": {"causes": causes}})


# ---------------------------------------------------------------------------------------------
# patches


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path):
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]] if path else []


def json_patch(target, ops):
    """RFC 6902 add, remove, replace and test; a failing op fails the whole patch with a 422, as the
    API server does."""
    doc = copy.deepcopy(target)
    for op in ops:
        parts = _pointer(op["path"])
        parent = doc
        try:
            for part in parts[:-1]:
                parent = parent[int(part)] if isinstance(parent, list) else parent[part]
            last = parts[-1] if parts else None
            if op["op"] == "test":
                current = parent[int(last)] if isinstance(parent, list) else parent[last]
                if current != op["value"]:
                    raise invalid("the server rejected our request due to an error in our request")
            elif op["op"] == "add":
                if isinstance(parent, list):
                    parent.insert(len(parent) if last == "-" else int(last), copy.deepcopy(op["value"]))
                else:
                    parent[last] = copy.deepcopy(op["value"])
            elif op["op"] == "replace":
                if isinstance(parent, list):
                    parent[int(last)] = copy.deepcopy(op["value"])
                else:
                    if last not in parent:
                        raise KeyError(last)
                    parent[last] = copy.deepcopy(op["value"])
            elif op["op"] == "remove":
                del parent[int(last) if isinstance(parent, list) else last]
            else:
                raise invalid("the cluster double has no JSON Patch op %r" % op["op"])
        except (KeyError, IndexError, ValueError, TypeError):
            raise invalid("the server rejected our request due to an error in our request: "
                          "%s %s" % (op["op"], op["path"]))
    return doc


# ---------------------------------------------------------------------------------------------
# objects


def _without_server_fields(obj):
    clean = copy.deepcopy(obj)
    for key in SERVER_FIELDS:
        clean.get("metadata", {}).pop(key, None)
    return clean


def _secret_data_from_string_data(obj):
    """A Secret's stringData stored as base64 data, as the API server stores it."""
    if obj.get("kind") != "Secret" or not obj.get("stringData"):
        return obj
    data = dict(obj.get("data") or {})
    data.update({k: base64.b64encode(str(v).encode("utf-8")).decode("ascii") for k, v in obj["stringData"].items()})
    clean = dict(obj, data=data)
    clean.pop("stringData")
    return clean


def _new_object(obj):
    """A fresh object as the API server would create it from `obj`, status set by its controllers."""
    fresh = {"apiVersion": obj["apiVersion"], "kind": obj["kind"],
             "metadata": {k: copy.deepcopy(v) for k, v in obj["metadata"].items() if k in ("name", "namespace")}}
    if obj["kind"] == "Namespace":
        fresh["status"] = {"phase": "Active"}
    if (obj["apiVersion"], obj["kind"]) == CRD:
        fresh["status"] = {"conditions": [{"type": "Established", "status": "True"},
                                          {"type": "NamesAccepted", "status": "True"}]}
    return fresh


def _with_status_of(after, before, subresource, kind):
    """The status changes only through the status subresource, and only the status does there."""
    if subresource == "status":
        result = copy.deepcopy(before) if before is not None else copy.deepcopy(after)
        if "status" in after:
            result["status"] = after["status"]
        result["metadata"]["managedFields"] = after["metadata"].get("managedFields", [])
        return result
    result = copy.deepcopy(after)
    if before is not None:
        result.pop("status", None)
        if "status" in before:
            result["status"] = copy.deepcopy(before["status"])
    elif kind not in ("Namespace", "CustomResourceDefinition"):
        result.pop("status", None)
    return result


def _spec_part(obj):
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}
