"""Every object of every golden translation scenario is accepted by the real API server.

Server-side dry run against the upstream CRDs the local plane serves (Kuadrant v1.5.2 AuthPolicy,
RateLimitPolicy and TokenRateLimitPolicy, Gateway API v1.4.1 HTTPRoute and BackendTLSPolicy, Istio
DestinationRule): OpenAPI schemas, CEL validation rules and defaulting all judge the output.
"""

import copy
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "plugins" / "module_utils"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / ".collections"))

from translate_support import golden_cases, run_case  # noqa: E402

CASES = golden_cases()


def in_namespace(objects, namespace):
    """The objects moved into the test's namespace (schemas do not depend on the namespace)."""
    moved = []
    for obj in objects:
        obj = copy.deepcopy(obj)
        obj["metadata"]["namespace"] = namespace
        moved.append(obj)
    return moved


@pytest.mark.parametrize("case", CASES)
def test_every_generated_object_passes_server_side_validation(plane, namespace, case):
    objects = run_case(case)["objects"]
    assert objects, case
    proc = plane.kubectl("apply", "--server-side", "--dry-run=server", "--field-manager=translate-schema-test",
                         "-f", "-", input=yaml.safe_dump_all(in_namespace(objects, namespace)), check=False)
    assert proc.returncode == 0, "%s:\n%s" % (case, proc.stderr)
    assert proc.stdout.count("serverside-applied (server dry run)") == len(objects), proc.stdout


def test_a_broken_policy_is_rejected_by_the_same_check(plane, namespace):
    """The check above can fail: a limit with a malformed window is refused by Kuadrant's schema."""
    trlp = next(o for o in run_case("one-model-one-policy-one-subscription")["objects"]
                if o["kind"] == "TokenRateLimitPolicy" and o["metadata"]["name"].startswith("maas-trlp-"))
    broken = in_namespace([trlp], namespace)[0]
    next(iter(broken["spec"]["limits"].values()))["rates"][0]["window"] = "7 days"
    assert plane.dry_run(broken).returncode != 0
