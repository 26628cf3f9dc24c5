"""Integration tests run against the real local control plane (hack/localcluster.py)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plane import Plane  # noqa: E402


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
