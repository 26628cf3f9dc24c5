# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Batch server-side apply: decide what needs writing, validate it all, then write it. The decisions
are pure functions of (desired object, live object); the cluster is reached through a `Cluster`.

An object is written only when it would change: when a field we set differs from the live value,
or when a field our field manager owns is no longer desired (server-side apply would remove it).
A second run over an unchanged cluster therefore makes no write requests at all.

Conflicts: when someone edited a field we own with an imperative update (kubectl edit, patch,
replace), the edit is drift and the next run takes the field back. When another *applier* owns the
field, that is a real disagreement between two declarative owners; it fails unless force_conflicts,
and a field taken over is drift too (someone else had changed the object).

Optionally (`fingerprint`) every object is stamped with an annotation holding the digest of what is
applied, so that a later write whose desired object has the same digest can only be putting back
what someone else changed, removals included: drift. And for the kinds whose whole `spec` we own
(`owns_spec`), fields under `spec` that other managers added are removed after the apply with one
JSON patch (guarded by resourceVersion), which also drops those managers' claims on `spec`, so that
a field the server defaults again is not taken for a foreign one on the next run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json
import re
import time

from ansible_collections.modelserving.maas.plugins.module_utils._kube.client import K8sError, identity, namespace_missing, ref

SERVER_METADATA = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink")
# Applied first, so that what lives in them (or is an instance of them) can be validated.
FOUNDATION_KINDS = ("Namespace", "CustomResourceDefinition")
_CONFLICT_MANAGER = re.compile(r'conflict with "([^"]+)"')


# ---------------------------------------------------------------------------------------------
# pure decisions


def _by_name(items):
    """{name: item} when every item is a dict with a distinct name, else None."""
    if not items or not all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
        return None
    named = {i["name"]: i for i in items}
    return named if len(named) == len(items) else None


def is_subset(desired, live):
    """Every value set in `desired` has the same value in `live`.

    Lists of named items (containers, env, volumes, ports, Gateway listeners: the lists server-side
    apply merges by name) match item by item by name, so entries others added do not count as a
    difference; an item of ours that was removed shows in the managed fields instead.
    Other lists compare whole, in order."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return False
        return all(key in live and is_subset(value, live[key]) for key, value in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list):
            return False
        wanted, present = _by_name(desired), _by_name(live)
        if present is not None and not desired:
            return True  # none of our own items in a list others add named items to
        if wanted is not None and present is not None:
            return all(name in present and is_subset(item, present[name]) for name, item in wanted.items())
        if len(desired) != len(live):
            return False
        return all(is_subset(d, l) for d, l in zip(desired, live))
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live
    return desired == live


def owned_fields(live, field_manager):
    """The fieldsV1 tree our field manager applied to the main resource (not a subresource)."""
    for entry in live.get("metadata", {}).get("managedFields") or []:
        if (entry.get("manager") == field_manager and entry.get("operation") == "Apply"
                and not entry.get("subresource")):
            return entry.get("fieldsV1") or {}
    return {}


def fields_no_longer_desired(fields, desired, path=""):
    """Paths our manager owns that `desired` no longer sets: applying would remove them."""
    missing = []
    for key, sub in sorted(fields.items()):
        if key == ".":
            continue
        kind, raw = key.split(":", 1) if ":" in key else (key, "")
        here = "%s.%s" % (path, raw) if kind == "f" else "%s[%s]" % (path, raw)
        if kind == "f":
            if not isinstance(desired, dict) or raw not in desired:
                missing.append(here)
            elif sub:
                missing.extend(fields_no_longer_desired(sub, desired[raw], here))
        elif kind == "k":
            # A key field the desired item leaves out was defaulted by the server (a port's
            # protocol: TCP), so it matches whatever the server recorded.
            keys = json.loads(raw)
            match = [item for item in desired or [] if isinstance(item, dict)
                     and all(item.get(k, v) == v for k, v in keys.items())] if isinstance(desired, list) else []
            if not match:
                missing.append(here)
            elif sub:
                missing.extend(fields_no_longer_desired(sub, match[0], here))
        elif kind == "v":
            if not isinstance(desired, list) or json.loads(raw) not in desired:
                missing.append(here)
        elif kind == "i":
            index = int(raw)
            if not isinstance(desired, list) or index >= len(desired):
                missing.append(here)
            elif sub:
                missing.extend(fields_no_longer_desired(sub, desired[index], here))
    return missing


def write_reason(desired, live, field_manager, owns_spec=False):
    """Why `desired` must be applied over `live`, or None when applying would change nothing.
    `owns_spec`: fields other managers added under `spec` are a reason too."""
    if live is None:
        return "created"
    if not is_subset(desired, live):
        return "differs"
    if fields_no_longer_desired(owned_fields(live, field_manager), desired):
        return "fields removed"
    if owns_spec and foreign_spec_paths(live, field_manager, desired):
        return "foreign fields"
    return None


def _foreign_entries(obj, field_manager):
    return [e for e in (obj or {}).get("metadata", {}).get("managedFields") or []
            if e.get("manager") != field_manager and not e.get("subresource")]


def _extra_paths(fields, desired, path):
    """The topmost map keys `fields` (a fieldsV1 tree) holds that `desired` does not set. List items
    are not followed: the lists of the kinds we own whole are atomic, so applying replaces them."""
    extra = []
    for key, sub in sorted(fields.items()):
        if not key.startswith("f:"):
            continue
        name = key[2:]
        if not isinstance(desired, dict) or name not in desired:
            extra.append(path + (name,))
        elif sub:
            extra.extend(_extra_paths(sub, desired[name], path + (name,)))
    return extra


def _value_at(obj, path):
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None, False
        obj = obj[key]
    return obj, True


def foreign_spec_paths(live, field_manager, desired):
    """Paths under `spec` (tuples of keys) that other managers set in `live` and `desired` does not."""
    paths = set()
    for entry in _foreign_entries(live, field_manager):
        tree = (entry.get("fieldsV1") or {}).get("f:spec") or {}
        paths.update(_extra_paths(tree, desired.get("spec") or {}, ("spec",)))
    return sorted(p for p in paths if _value_at(live, p)[1] and not any(p[:n] in paths for n in range(1, len(p))))


def _pointer(path):
    return "".join("/" + str(key).replace("~", "~0").replace("/", "~1") for key in path)


def _without_spec_claims(entries, field_manager):
    """managedFields with other managers' claims on `spec` dropped (and entries left empty)."""
    kept = []
    for entry in entries:
        if entry.get("manager") != field_manager and not entry.get("subresource"):
            fields = {k: v for k, v in (entry.get("fieldsV1") or {}).items() if k != "f:spec"}
            if not [k for k in fields if k != "."]:
                continue
            entry = dict(entry, fieldsV1=fields)
        kept.append(entry)
    return kept


def spec_cleanup_patch(stored, field_manager, paths, resource_version):
    """The JSON patch giving the object the spec of `stored` without `paths` and dropping other
    managers' claims on spec, applied only if the object is still at `resource_version`. The whole
    spec is written, so that a dry run against the object before the apply checks the final spec."""
    entries = stored.get("metadata", {}).get("managedFields") or []
    return [{"op": "test", "path": "/metadata/resourceVersion", "value": resource_version},
            {"op": "replace", "path": "/spec", "value": without_paths(stored, paths)["spec"]},
            {"op": "replace", "path": "/metadata/managedFields", "value": _without_spec_claims(entries, field_manager)}]


def without_paths(obj, paths):
    """A copy of `obj` without `paths` (tuples of keys)."""
    clean = copy.deepcopy(obj)
    for path in paths:
        parent, found = _value_at(clean, path[:-1])
        if found and isinstance(parent, dict):
            parent.pop(path[-1], None)
    return clean


def fingerprinted(obj, annotation):
    """`obj` with `annotation` holding the digest of `obj` (without it): equal for equal objects."""
    clean = copy.deepcopy(obj)
    annotations = clean.setdefault("metadata", {}).get("annotations") or {}
    annotations.pop(annotation, None)
    text = json.dumps(clean, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    annotations[annotation] = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    clean["metadata"]["annotations"] = dict(sorted(annotations.items()))
    return clean


def _annotation(obj, key):
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(key)


def same_fingerprint(desired, live, annotation):
    """Whether `live` was last written from exactly `desired` (both stamped by `fingerprinted`)."""
    if not annotation or live is None:
        return False
    return _annotation(desired, annotation) is not None and _annotation(desired, annotation) == _annotation(live, annotation)


def comparable(obj):
    """The object without the bookkeeping the server changes on every write."""
    if obj is None:
        return None
    clean = copy.deepcopy(obj)
    meta = clean.get("metadata", {})
    for key in SERVER_METADATA:
        meta.pop(key, None)
    annotations = meta.get("annotations")
    if annotations:
        annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
        if not annotations:
            meta.pop("annotations")
    return clean


def redacted(obj):
    """A copy safe to print: Secret values replaced by their SHA-256, never the value itself."""
    if obj is None or obj.get("kind") != "Secret":
        return obj
    clean = copy.deepcopy(obj)
    for field in ("data", "stringData"):
        if isinstance(clean.get(field), dict):
            clean[field] = {k: "sha256:" + hashlib.sha256(str(v).encode("utf-8")).hexdigest()
                            for k, v in clean[field].items()}
    return clean


def diff_entry(before, after):
    header = ref(after or before)
    return {"before": redacted(comparable(before)) or {}, "after": redacted(comparable(after)) or {},
            "before_header": header, "after_header": header}


def conflicting_managers(error):
    """Field managers named in a server-side apply 409."""
    names = set()
    for cause in error.causes:
        names.update(_CONFLICT_MANAGER.findall(cause.get("message", "")))
    if not names:
        names.update(_CONFLICT_MANAGER.findall(str(error)))
    return sorted(names)


def only_imperative_owners(live, managers):
    """True when every named manager wrote with Update (kubectl edit/patch/replace), never Apply."""
    operations = {}
    for entry in (live or {}).get("metadata", {}).get("managedFields") or []:
        operations.setdefault(entry.get("manager"), set()).add(entry.get("operation"))
    return bool(managers) and all(operations.get(m) == {"Update"} for m in managers)


def sort_for_apply(objects):
    """Namespaces and CRDs first, then everything else, keeping the caller's order otherwise."""
    return ([o for o in objects if o.get("kind") in FOUNDATION_KINDS],
            [o for o in objects if o.get("kind") not in FOUNDATION_KINDS])


def validate_shape(obj, index):
    """A clear message for objects the API server would reject without naming them."""
    where = "objects[%d]" % index
    if not isinstance(obj, dict):
        return "%s is a %s, not a Kubernetes object" % (where, type(obj).__name__)
    for field in ("apiVersion", "kind"):
        if not obj.get(field):
            return "%s has no %s" % (where, field)
    if not (obj.get("metadata") or {}).get("name"):
        return "%s (%s) has no metadata.name" % (where, obj["kind"])
    return None


def _paths(tree, prefix=()):
    return set().union(*[{prefix + (k,)} | _paths(v, prefix + (k,)) for k, v in (tree or {}).items() if k != "."])


def fields_taken_over(before, after, field_manager):
    """Whether applying took from another manager a field of the object (someone had changed it)."""
    def others(obj):
        return {(e.get("manager"), e.get("operation")): _paths(e.get("fieldsV1")) for e in
                (obj or {}).get("metadata", {}).get("managedFields") or []
                if e.get("manager") != field_manager and not e.get("subresource")}
    kept = others(after)
    return any(paths - kept.get(key, set()) for key, paths in others(before).items())


_OBJECT_ERROR = re.compile(r"^(\w+ ([^\s:/]+/)?([^\s:/]+)): (.+)\Z", re.S)
# What differs between the errors of one cause: the URL, object addresses, the object's name.
_VOLATILE = re.compile(r"(url: )\S+|( at 0x)[0-9a-fA-F]+")


def summarize_errors(errors, examples=3):
    """`errors` ("Kind ns/name: cause") joined for a message, each cause once:
    `<cause> (for 480 objects, e.g. AuthPolicy llm/a, AuthPolicy llm/b, AuthPolicy llm/c, ...)`."""
    by_cause = {}
    for error in errors:
        match = _OBJECT_ERROR.match(error)
        cause = match.group(4).replace('"%s"' % match.group(3), '"<name>"') if match else error
        cause = _VOLATILE.sub(lambda m: (m.group(1) or m.group(2)) + "...", cause) if match else cause
        by_cause.setdefault(cause if match else (len(by_cause), error), []).append((error, match and match.group(1)))
    return "; ".join(
        found[0][0] if len(found) == 1 else "%s (for %d objects, e.g. %s%s)" % (
            cause, len(found), ", ".join(name for _error, name in found[:examples]), ", ..." if len(found) > examples else "")
        for cause, found in by_cause.items())


# ---------------------------------------------------------------------------------------------
# cluster I/O


class ApplyResult(object):
    def __init__(self):
        self.created, self.updated, self.unchanged, self.deleted, self.reverted, self.diff = [], [], [], [], [], []
        self.adopted = []
        self.errors, self.warnings, self.objects, self.failed_groups = [], [], {}, {}

    def fail(self, key, message):
        """Record an error; the group `key` (None without grouping) is then failed."""
        self.errors.append(message)
        self.failed_groups.setdefault(key, []).append(message)

    @property
    def changed(self):
        return bool(self.created or self.updated or self.deleted)

    def as_dict(self):
        return {"changed": self.changed, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "deleted": self.deleted, "reverted": self.reverted}


def live_objects(cluster, objects, with_objects=False):
    """GET every object in parallel: ({identity: live object or None}, error messages), each error
    as (object, message) `with_objects`."""
    live, errors = {}, []
    found = cluster.parallel(lambda o: cluster.get(o["apiVersion"], o["kind"], o["metadata"]["name"],
                                                   o["metadata"].get("namespace")), objects)
    for obj, (value, err) in zip(objects, found):
        if err is not None:
            message = "%s: cannot read it: %s" % (ref(obj), err)
            errors.append((obj, message) if with_objects else message)
        live[identity(obj)] = value
    return live, errors


def apply_objects(cluster, objects, field_manager, force_conflicts=False, check_mode=False, want_diff=False,
                  live=None, wait_timeout=60.0, create_only=False, group=None, prune=(), ownership=None):
    """Apply `objects`; returns an ApplyResult. Nothing is written unless every object that needs
    writing passes a server-side dry run first (within each tier: Namespaces/CRDs, then the rest).
    `live` ({identity: object}) is what the caller listed; without it every object is read with a GET.

    All or nothing, or per group with `group` (object -> key): an object the server refuses fails its
    group, whose other objects are then neither written nor deleted, and every other group is written
    (`failed_groups`: {key: [message]}). `prune`: live objects to delete after the applies, in groups.

    `ownership` (all optional): {"fingerprint": annotation stamped with each object's digest, "owns_spec":
    object -> whether its whole spec is ours, "adopt": identities taken over (applied with force) from
    a previous owner, which is not drift}."""
    result = ApplyResult()
    key_of = group or (lambda obj: None)
    ownership = ownership or {}
    settings = {"field_manager": field_manager, "force_conflicts": force_conflicts, "check_mode": check_mode,
                "want_diff": want_diff, "create_only": create_only, "key_of": key_of,
                "fingerprint": ownership.get("fingerprint"), "owns_spec": ownership.get("owns_spec") or (lambda o: False),
                "adopt": set(ownership.get("adopt") or ())}
    if settings["fingerprint"]:
        objects = [fingerprinted(o, settings["fingerprint"]) for o in objects]
    for tier, doomed in zip(sort_for_apply(objects), ([], list(prune))):
        tier_live = live
        if live is None and _alive(tier + doomed, result, key_of):
            tier_live, errors = live_objects(cluster, _alive(tier + doomed, result, key_of), with_objects=True)
            for obj, message in errors:
                result.fail(key_of(obj), message)
        ops = _pending(_alive(tier, result, key_of), tier_live, settings, result) + [
            ("delete", o, tier_live[identity(o)]) for o in _alive(doomed, result, key_of) if tier_live.get(identity(o))]
        written = _dry_run_then_write(cluster, ops, settings, result) if ops else []
        if written and not check_mode:
            wait_established(cluster, [o for o in written if o["kind"] == "CustomResourceDefinition"],
                             wait_timeout, result)
    return result


def _alive(objects, result, key_of):
    return [o for o in objects if key_of(o) not in result.failed_groups]


def _pending(tier, tier_live, settings, result):
    """("apply", object, live) for every object of `tier` that needs writing; the rest are unchanged."""
    ops = []
    for obj in tier:
        current = tier_live.get(identity(obj))
        if (settings["create_only"] and current is not None) or \
                write_reason(obj, current, settings["field_manager"], settings["owns_spec"](obj)) is None:
            result.unchanged.append(ref(obj))
            result.objects[identity(obj)] = current
        else:
            ops.append(("apply", obj, current))
    return ops


def _dry_run_then_write(cluster, ops, settings, result):
    """Dry-run every op in one parallel batch and drop the groups the server refused; then write the
    applies, and after them the deletions, each in one parallel batch. Returns the objects written."""
    key_of, check_mode = settings["key_of"], settings["check_mode"]
    dry = cluster.parallel(lambda op: _run_op(cluster, op, settings, True), ops)
    if check_mode:
        dry = _without_missing_namespaces(ops, dry, result)
    for op, (_value, err) in zip(ops, dry):
        if err is not None:
            result.fail(key_of(op[1]), _op_error(op, err))
    written = []
    for verb in ("apply", "delete"):
        batch = [(op, outcome) for op, outcome in zip(ops, dry) if op[0] == verb and key_of(op[1]) not in result.failed_groups]
        if not check_mode:
            writes = cluster.parallel(lambda op: _run_op(cluster, op, settings, False), [op for op, _dry in batch])
            batch = [(op, outcome) for (op, _dry), outcome in zip(batch, writes)]
        for op, (value, err) in batch:
            if err is not None:
                result.fail(key_of(op[1]), _op_error(op, err))
            else:
                _record_op(result, op, value, settings)
                written.append(op[1])
    return _alive(written, result, key_of)


def _run_op(cluster, op, settings, dry_run):
    verb, obj, current = op
    if verb == "apply":
        return _apply_and_clean(cluster, (obj, current), settings, dry_run)
    meta = obj["metadata"]
    return cluster.delete(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"), dry_run=dry_run)


def _op_error(op, err):
    return ("%s: cannot delete it: %s" if op[0] == "delete" else "%s: %s") % (ref(op[1]), err)


def _without_missing_namespaces(ops, dry, result):
    """In check mode, objects whose Namespace an earlier task would create cannot be dry-run: report
    them as created as given, with one warning per such namespace saying the server did not check them."""
    missing, outcomes = {}, []
    for op, outcome in zip(ops, dry):
        obj = op[1]
        if op[0] == "apply" and namespace_missing(outcome[1], obj["metadata"].get("namespace")):
            missing.setdefault(obj["metadata"]["namespace"], []).append(ref(obj))
            outcome = (obj, False, False), None
        outcomes.append(outcome)
    for namespace, refs in sorted(missing.items()):
        shown = ", ".join(refs[:3]) + (" and %d more" % (len(refs) - 3) if len(refs) > 3 else "")
        result.warnings.append("namespace %s does not exist yet: check mode reports %s as created without a "
                               "server-side dry run" % (namespace, shown))
    return outcomes


def _apply_and_clean(cluster, pair, settings, dry_run):
    """Apply, then (for a kind whose spec is ours) remove what other managers added under spec:
    (stored object, whether fields were taken from an imperative owner, whether any were removed)."""
    obj, current = pair
    force = settings["force_conflicts"] or identity(obj) in settings["adopt"]
    stored, forced = _apply_one(cluster, pair, settings["field_manager"], force, dry_run)
    paths = foreign_spec_paths(stored, settings["field_manager"], obj) if settings["owns_spec"](obj) else []
    if not paths or current is None:
        return stored, forced, False
    version = (current if dry_run else stored)["metadata"].get("resourceVersion")
    meta = obj["metadata"]
    cleaned = cluster.patch(obj["apiVersion"], obj["kind"], meta["name"],
                            spec_cleanup_patch(stored, settings["field_manager"], paths, version),
                            namespace=meta.get("namespace"), patch_type="json", dry_run=dry_run,
                            field_manager=settings["field_manager"])
    # A dry run patched the object as it was before the (dry-run) apply: only its spec is the outcome.
    return (dict(stored, spec=cleaned.get("spec")) if dry_run else cleaned), forced, True


def _apply_one(cluster, pair, field_manager, force_conflicts, dry_run):
    obj, current = pair
    try:
        return cluster.apply(obj, field_manager, force=force_conflicts, dry_run=dry_run), False
    except K8sError as err:
        if err.status != 409 or force_conflicts:
            raise
        managers = conflicting_managers(err)
        if not only_imperative_owners(current, managers):
            raise K8sError(409, "Conflict", "%s. Another applier (%s) owns these fields; set force_conflicts "
                           "to take them over." % (err, ", ".join(managers) or "unknown"), err.body)
        return cluster.apply(obj, field_manager, force=True, dry_run=dry_run), True


def _record_op(result, op, value, settings):
    """What an apply or a deletion did: created, updated (and drifted when it took fields from
    someone), unchanged or deleted; with its diff."""
    verb, obj, current = op
    name = ref(obj)
    if verb == "delete":
        (result.deleted if value else result.unchanged).append(name)
        if settings["want_diff"] and value:
            result.diff.append(diff_entry(current, None))
        return
    stored, forced, cleaned = value
    result.objects[identity(obj)] = stored
    changed = current is None or (comparable(stored) != comparable(current) if settings["check_mode"] else
                                  stored["metadata"].get("resourceVersion") != current["metadata"].get("resourceVersion"))
    (result.created if current is None else result.updated if changed else result.unchanged).append(name)
    if identity(obj) in settings["adopt"]:
        if changed:
            result.adopted.append(name)
    elif changed and (forced or cleaned or same_fingerprint(obj, current, settings["fingerprint"])
                      or (settings["force_conflicts"] and fields_taken_over(current, stored, settings["field_manager"]))):
        result.reverted.append(name)
    if settings["want_diff"] and changed:
        result.diff.append(diff_entry(current, stored))


def wait_established(cluster, crds, timeout, result):
    """Bounded wait until new CRDs serve their kind, so the next task can create instances."""
    deadline = time.monotonic() + timeout
    for crd in crds:
        name = crd["metadata"]["name"]
        while True:
            live = cluster.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
            conditions = (live or {}).get("status", {}).get("conditions") or []
            if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
                break
            if time.monotonic() > deadline:
                result.errors.append("CustomResourceDefinition %s: not Established after %ds" % (name, timeout))
                return
            time.sleep(0.2)


def delete_objects(cluster, objects, check_mode=False, want_diff=False, live=None):
    """Delete the objects that exist; returns an ApplyResult (deleted / unchanged)."""
    result = ApplyResult()
    if live is None:
        live, errors = live_objects(cluster, objects)
        if errors:
            result.errors.extend(errors)
            return result
    ops = [("delete", o, live[identity(o)]) for o in objects if live.get(identity(o)) is not None]
    result.unchanged.extend(ref(o) for o in objects if live.get(identity(o)) is None)
    for op, (gone, err) in zip(ops, cluster.parallel(lambda op: _run_op(cluster, op, {}, check_mode), ops)):
        if err is not None:
            result.errors.append(_op_error(op, err))
        else:
            _record_op(result, op, gone, {"want_diff": want_diff})
    return result
