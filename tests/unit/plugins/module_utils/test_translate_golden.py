"""Golden scenarios: each tests/unit/golden/<case>/input.yml translates to exactly expected.yml.

Regenerate with `UPDATE_GOLDEN=1 pytest tests/unit/plugins/module_utils/test_translate_golden.py`,
then read every changed expected.yml before committing it. In CI (`CI` set) UPDATE_GOLDEN fails the
test instead: a golden file must change in a reviewed commit, never on the build machine.
"""

import os
import random

import pytest
import yaml

from translate_support import GOLDEN, dump, golden_cases, load_case, run_case

from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import generate

CASES = golden_cases()


def test_there_are_at_least_fifteen_golden_scenarios():
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES)
def test_translation_matches_the_reviewed_golden_file(case):
    expected_path = GOLDEN / case / "expected.yml"
    actual = run_case(case)
    if os.environ.get("UPDATE_GOLDEN"):
        if os.environ.get("CI"):
            pytest.fail("UPDATE_GOLDEN is set in CI: regenerate golden files locally and review them")
        expected_path.write_text(dump(actual))
    assert expected_path.is_file(), "no expected.yml for %s: run with UPDATE_GOLDEN=1 and review it" % case
    assert actual == yaml.safe_load(expected_path.read_text())


@pytest.mark.parametrize("case", CASES)
def test_output_is_byte_identical_whatever_the_input_order(case):
    spec = load_case(case)
    reference = dump(run_case(case))
    shuffler = random.Random(case)
    for _attempt in range(5):
        resources = list(spec.get("resources") or [])
        shuffler.shuffle(resources)
        params = dict(spec.get("parameters") or {})
        if isinstance(params.get("routes"), dict):
            items = list(params["routes"].items())
            shuffler.shuffle(items)
            params["routes"] = dict(items)
        assert dump(generate(resources, **params)) == reference


def test_every_golden_object_carries_the_ownership_labels_and_producers():
    for case in CASES:
        for obj in run_case(case)["objects"]:
            labels = obj["metadata"]["labels"]
            assert labels["app.kubernetes.io/part-of"] == "models-as-a-service", case
            assert labels["app.kubernetes.io/managed-by"], case
            assert labels["app.kubernetes.io/component"], case
            assert "maas.opendatahub.io/producers" in obj["metadata"]["annotations"], case
            if obj["kind"] in ("AuthPolicy", "TokenRateLimitPolicy") and obj["spec"]["targetRef"]["kind"] == "HTTPRoute":
                assert labels["maas.opendatahub.io/model"] and labels["maas.opendatahub.io/model-namespace"], case
