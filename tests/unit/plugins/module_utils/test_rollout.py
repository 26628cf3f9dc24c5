"""Pod-template annotations that follow what tls_certificate issued."""

from ansible_collections.modelserving.maas.plugins.module_utils._tls.rollout import restart_annotations

ISSUED = {"changed": True, "ca": {"name": "maas-ca", "sha256_fingerprint": "5E:0B:AA"},
          "certificates": [{"name": "serving", "sha256_fingerprint": "C0:FF:EE"},
                           {"name": "other", "sha256_fingerprint": "00"}]}


def test_the_ca_and_the_first_certificate_as_lower_hex():
    assert restart_annotations(ISSUED, "maas.opendatahub.io") == {
        "maas.opendatahub.io/ca-sha256": "5e0baa", "maas.opendatahub.io/serving-cert-sha256": "c0ffee"}


def test_without_the_ca():
    assert restart_annotations(ISSUED, "p", ca=False) == {"p/serving-cert-sha256": "c0ffee"}


def test_only_a_bundle_follows_the_ca():
    assert restart_annotations(dict(ISSUED, certificates=[]), "p") == {"p/ca-sha256": "5e0baa"}
    assert restart_annotations(dict(ISSUED, certificates=[]), "p", ca=False) == {}


def test_a_skipped_or_missing_task_gives_none():
    assert restart_annotations({"skipped": True, "changed": False}, "p") == {}
    assert restart_annotations({}, "p") == {}
    assert restart_annotations(None, "p") == {}
