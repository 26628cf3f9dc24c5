"""Integration tests run against the real local control plane (hack/localcluster.py)."""

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Tests that call the collection's Python directly import it as Ansible does (ansible_collections.
# modelserving.maas), from the tree `make collections` links, as tests/unit/conftest.py does.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / ".collections"))

from plane import REPO, Plane  # noqa: E402
from kuadrant.harness import KuadrantOperator, OperatorPlane, PlatformStatus  # noqa: E402


@pytest.fixture(scope="session")
def plane():
    started = Plane.start()
    yield started
    started.stop()


@pytest.fixture
def namespace(plane):
    name = plane.create_namespace()
    yield name
    plane.delete_namespace(name)


@pytest.fixture(scope="session")
def maas_crds(plane):
    """The collection's MaaS CRDs, installed as the prerequisites role installs them."""
    crds = sorted((Path(__file__).resolve().parents[2] / "roles/prerequisites/files/crds").glob("*.yaml"))
    for crd in crds:
        plane.kubectl("apply", "--server-side", "--field-manager=modelserving.maas", "-f", str(crd))
    plane.wait_established(*[f"{p.name.split('_', 1)[1].removesuffix('.yaml')}.maas.opendatahub.io" for p in crds])
    return crds


@pytest.fixture(scope="session")
def kuadrant_plane(tmp_path_factory):
    """The real Kuadrant operator (tests/kuadrant, v1.5.2) on a private plane of its own.

    The plane holds the platform stand-ins of tests/fixtures/platform.yaml (Gateway, Kuadrant CR,
    Authorino CR, the Authorino and Limitador Deployments) and the MaaS CRDs; the Gateway is
    Programmed and the Authorino and Limitador CRs Ready (`OperatorPlane.platform` writes the status
    Istio and their operators would). Call `settle_platform()` after creating HTTPRoutes. Yields an
    `OperatorPlane` (`.plane`, `.operator`, `.platform`); the operator's log is added to the report
    of a failing test that used it, and the operator and the plane are stopped at the end.
    """
    plane = Plane.start_private()
    operator = KuadrantOperator(plane, tmp_path_factory.mktemp("kuadrant-operator"))
    try:
        platform_docs = yaml.safe_load_all((REPO / "tests/fixtures/platform.yaml").read_text())
        plane.apply(*[d for d in platform_docs if d], manager="platform-stand-in")
        for crd in sorted((REPO / "roles/prerequisites/files/crds").glob("*.yaml")):
            plane.kubectl("apply", "--server-side", "--field-manager=modelserving.maas", "-f", str(crd))
        # Istio programs the Gateway before anything else sees it: with no listener status to keep,
        # the operator's own Gateway status update is refused (listeners[].supportedKinds: Required).
        platform = PlatformStatus(plane)
        platform.gateways()
        operator.start()
        if operator.build_seconds is not None:
            print(f"\nbuilt the Kuadrant operator in {operator.build_seconds:.0f}s", file=sys.stderr)
        operated = OperatorPlane(plane, operator, platform)
        operated.settle_platform()
        yield operated
    finally:
        operator.stop()
        plane.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    operated = item.funcargs.get("kuadrant_plane") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(operated, OperatorPlane):
        report.sections.append(("kuadrant-operator log (last 120 lines)", operated.operator.log_tail(120)))
