"""playbooks/render.yml: rendered offline, the objects equal what site.yml applies on a cluster.

The demo's inputs (hack/demo/vars.yml, the sample CRs of tests/fixtures/maas-sample.yaml) are
rendered with no cluster reachable, then site.yml runs with the same inputs on a private plane (it
writes cluster-wide objects: CRDs, ClusterRoles, the platform's stand-ins) holding the demo's
fixtures. What the cluster would tell site.yml (served kinds, token audiences) is given to the
render the way a GitOps team writes it into group_vars: read once from that cluster.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from plane import REPO, Plane

DEAD_API = "https://127.0.0.1:1"
LABEL = "app.kubernetes.io/part-of=models-as-a-service"
# The kinds site.yml writes (what `make demo` lists), by kubectl resource name.
LABELLED_KINDS = ("customresourcedefinitions", "authpolicies.kuadrant.io", "tokenratelimitpolicies.kuadrant.io",
                  "ratelimitpolicies.kuadrant.io", "httproutes.gateway.networking.k8s.io", "services",
                  "destinationrules.networking.istio.io", "serviceentries.networking.istio.io",
                  "backendtlspolicies.gateway.networking.k8s.io", "referencegrants.gateway.networking.k8s.io",
                  "peerauthentications.security.istio.io", "secrets", "configmaps", "networkpolicies",
                  "deployments", "serviceaccounts", "roles", "rolebindings", "clusterroles", "clusterrolebindings",
                  "certificates.cert-manager.io")
CAPABILITY_CRDS = ["backendtlspolicies.gateway.networking.k8s.io", "destinationrules.networking.istio.io",
                   "serviceentries.networking.istio.io"]
SCHEMA_CHECKS = ["kuadrants.kuadrant.io:spec.mtls", "authorinos.operator.authorino.kuadrant.io:spec.volumes.items"]


def offline_env(home) -> dict:
    """Ansible's environment with no way to a cluster: no kubeconfig (a HOME without ~/.kube), and
    credentials, as AWX injects them, for an API host nothing listens on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("K8S_AUTH_") and k != "KUBECONFIG"}
    env.update({"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"),
                "ANSIBLE_NOCOLOR": "1", "HOME": str(home), "K8S_AUTH_HOST": DEAD_API,
                "K8S_AUTH_API_KEY": "no-such-token", "K8S_AUTH_VERIFY_SSL": "false"})
    return env


def render(workdir, extra_vars) -> subprocess.CompletedProcess:
    cmd = [str(REPO / ".venv" / "bin" / "ansible-playbook"), str(REPO / "playbooks" / "render.yml"),
           "-e", "@" + str(REPO / "hack" / "demo" / "vars.yml"), "-e", json.dumps(extra_vars)]
    return subprocess.run(cmd, capture_output=True, text=True, env=offline_env(workdir), cwd=workdir, check=False)


def documents(path) -> list:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def resource(obj) -> str:
    """kubectl's name for the object's kind at its exact version: Kind.version.group."""
    if "/" not in obj["apiVersion"]:
        return obj["kind"]
    group, version = obj["apiVersion"].split("/")
    return "%s.%s.%s" % (obj["kind"], version, group)


def missing_fields(rendered, live, path="", patch=False) -> list:
    """Where `rendered` is not a subset of `live`. Lists of an object compare item by item, in order;
    lists of a patch (server-side apply merges them with others') need each item somewhere in live."""
    if isinstance(rendered, dict):
        if not isinstance(live, dict):
            return ["%s: %r is not a mapping" % (path, live)]
        return [m for key, value in rendered.items()
                for m in ([f"{path}.{key}: missing"] if key not in live
                          else missing_fields(value, live[key], f"{path}.{key}", patch))]
    if isinstance(rendered, list):
        if not isinstance(live, list):
            return ["%s: %r is not a list" % (path, live)]
        if patch:
            return [f"{path}[{i}]: {item!r} not in live" for i, item in enumerate(rendered)
                    if not any(not missing_fields(item, candidate, patch=True) for candidate in live)]
        if len(rendered) != len(live):
            return [f"{path}: {len(rendered)} items rendered, {len(live)} live"]
        return [m for i, (a, b) in enumerate(zip(rendered, live)) for m in missing_fields(a, b, f"{path}[{i}]")]
    return [] if rendered == live else [f"{path}: rendered {rendered!r}, live {live!r}"]


@pytest.fixture(scope="module")
def demo_plane():
    """A private plane with the demo's fixtures (hack/demo/fixtures.yml) and the sample CRs."""
    plane = Plane.start_private()
    try:
        platform = documents(REPO / "tests/fixtures/platform.yaml") + documents(
            REPO / "tests/fixtures/kuadrant-envoyfilters.yaml")
        plane.apply(*platform, manager="demo-fixture")
        crds = sorted((REPO / "roles/prerequisites/files/crds").glob("*.yaml"))
        for crd in crds:
            plane.kubectl("apply", "--server-side", "--field-manager=demo-fixture", "-f", str(crd))
        plane.wait_established(*[f"{p.name.split('_', 1)[1].removesuffix('.yaml')}.maas.opendatahub.io"
                                 for p in crds])
        plane.apply(*yaml.safe_load((REPO / "tests/fixtures/maas-sample.yaml").read_text())["items"],
                    manager="demo-fixture")
        yield plane
    finally:
        plane.stop()


@pytest.fixture(scope="module")
def cluster_facts(demo_plane):
    """What site.yml will learn from the plane, as a team would write it into the render's variables."""
    caps = demo_plane.module("modelserving.maas.cluster_capabilities", crds=CAPABILITY_CRDS, schema_checks=SCHEMA_CHECKS)
    audiences = demo_plane.module("modelserving.maas.token_audience", namespace="default")
    assert not caps.get("failed") and not audiences.get("failed"), (caps, audiences)
    return {"maas_render_capabilities": {"crds": {name: {"established": caps["crds"][name]["established"]}
                                                  for name in CAPABILITY_CRDS},
                                         "schema": caps["schema"]},
            "maas_render_token_audiences": audiences["detected"]}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, cluster_facts):
    """The render, offline, from the demo's variables and a directory holding the sample CRs."""
    work = tmp_path_factory.mktemp("render")
    (work / "crs").mkdir()
    shutil.copy(REPO / "tests/fixtures/maas-sample.yaml", work / "crs" / "maas-sample.yaml")
    run = render(work, dict(cluster_facts, maas_render_crs_dir="crs", maas_render_output_dir="out"))
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return work / "out"


@pytest.fixture(scope="module")
def applied(demo_plane, rendered):
    run = demo_plane.playbook(REPO / "playbooks/site.yml",
                              extra_vars=yaml.safe_load((REPO / "hack/demo/vars.yml").read_text()))
    assert run.ok, run.explain()
    return demo_plane


def rendered_objects(out) -> list:
    return [obj for path in sorted(out.glob("*.yaml")) for obj in documents(path)]


def rendered_patches(out) -> list:
    return [obj for path in sorted((out / "patches").glob("*.yaml")) for obj in documents(path)]


def test_a_module_that_needs_the_cluster_fails_in_the_render_environment(tmp_path):
    # What makes "the render contacted nothing" observable: any API request there fails the task.
    cmd = [str(REPO / ".venv" / "bin" / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
           "-e", f"ansible_python_interpreter={sys.executable}", "-m", "modelserving.maas.cluster_capabilities",
           "-a", json.dumps({"crds": CAPABILITY_CRDS, "request_timeout": 10})]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=offline_env(tmp_path), cwd=tmp_path, check=False)
    assert proc.returncode != 0
    assert "connection refused" in proc.stdout + proc.stderr, proc.stdout
    # The message names the host the environment gave, as an AWX credential gives it.
    assert f"Kubernetes API at {DEAD_API}" in proc.stdout + proc.stderr, proc.stdout


def test_the_render_runs_without_a_cluster_and_writes_one_file_per_role_in_site_order(rendered):
    names = sorted(p.name for p in rendered.glob("*.yaml"))
    assert names == ["00-automation_identity.yaml", "01-prerequisites.yaml", "10-authorino_tls.yaml",
                     "20-kuadrant_mtls.yaml", "30-maas_api.yaml", "35-maas_telemetry.yaml", "40-gateway_tls.yaml",
                     "50-maas_policies.yaml"]
    first = documents(rendered / "01-prerequisites.yaml")
    kinds = [o["kind"] for o in first]
    assert kinds[:5] == ["CustomResourceDefinition"] * 5 and kinds[5:7] == ["Namespace", "Namespace"]
    assert (rendered / "NOTES.md").is_file()


def test_no_secret_and_no_key_material_is_written(rendered):
    every = rendered_objects(rendered) + rendered_patches(rendered)
    assert every and not [o for o in every if o["kind"] == "Secret"]
    text = "".join(p.read_text() for p in rendered.rglob("*") if p.is_file())
    assert "PRIVATE KEY" not in text and "BEGIN CERTIFICATE" not in text


def test_a_second_render_writes_the_same_bytes(rendered, cluster_facts, tmp_path):
    (tmp_path / "crs").mkdir()
    shutil.copy(REPO / "tests/fixtures/maas-sample.yaml", tmp_path / "crs" / "maas-sample.yaml")
    run = render(tmp_path, dict(cluster_facts, maas_render_crs_dir="crs", maas_render_output_dir="out"))
    assert run.returncode == 0, run.stdout[-3000:]
    again = tmp_path / "out"
    files = sorted(p.relative_to(rendered) for p in rendered.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((rendered / f).read_bytes() == (again / f).read_bytes() for f in files)


def test_every_rendered_object_is_live_as_rendered_after_site_yml(applied, rendered):
    problems = {}
    for obj in rendered_objects(rendered):
        meta = obj["metadata"]
        live = applied.get(resource(obj), meta["name"], meta.get("namespace"))
        key = "%s %s/%s" % (obj["kind"], meta.get("namespace", ""), meta["name"])
        if live is None:
            problems[key] = ["not on the cluster"]
        elif missing_fields(obj, live):
            problems[key] = missing_fields(obj, live)
    assert problems == {}


def test_every_rendered_patch_is_on_the_platform_object_after_site_yml(applied, rendered):
    patches = rendered_patches(rendered)
    assert {o["kind"] for o in patches} >= {"Authorino", "Deployment", "Gateway"}
    problems = {}
    for obj in patches:
        meta = obj["metadata"]
        live = applied.get(resource(obj), meta["name"], meta["namespace"])
        found = missing_fields(obj, live, patch=True) if live is not None else ["not on the cluster"]
        if found:
            problems["%s %s/%s" % (obj["kind"], meta["namespace"], meta["name"])] = found
    assert problems == {}


def test_every_object_site_yml_labelled_is_rendered_or_named_in_the_notes(applied, rendered):
    ours = {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in rendered_objects(rendered)}
    notes = (rendered / "NOTES.md").read_text()
    live = []
    for kind in LABELLED_KINDS:
        proc = applied.kubectl("get", kind, "-A", "-l", LABEL, "-o", "json", check=False)
        if proc.returncode == 0:
            live += json.loads(proc.stdout)["items"]
    assert len(live) > 20  # the query sees what site.yml made
    unaccounted = sorted("%s %s/%s" % key for key in
                         ((o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in live)
                         if key not in ours and "%s %s/%s" % key not in notes)
    assert unaccounted == []


def test_a_cr_directory_that_does_not_exist_fails_naming_it(tmp_path):
    run = render(tmp_path, {"maas_render_crs_dir": "no-such-dir", "maas_render_output_dir": "out"})
    assert run.returncode != 0
    assert "maas_render_crs_dir no-such-dir is not a directory" in run.stdout
    assert not (tmp_path / "out").exists()
