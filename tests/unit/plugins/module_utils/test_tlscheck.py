"""What tls_verify concludes from what it observed (no network here; see tests/integration)."""

import datetime

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._tls import certs as _certs, check as _tlscheck

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)


def observed(**overrides):
    base = {
        "protocol": "TLSv1.3",
        "chain_verified": True,
        "accepted_versions": {"TLSv1": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True},
        "leaf": {"dns_names": ["maas-api.opendatahub.svc"], "ip_addresses": [],
                 "not_after": "2027-06-01T00:00:00+00:00",
                 "not_after_datetime": datetime.datetime(2027, 6, 1, tzinfo=datetime.timezone.utc)},
    }
    base.update(overrides)
    return base


EXPECT = {"server_name": "maas-api.opendatahub.svc", "minimum_version": "1.2", "min_days_to_expiry": 0}


@pytest.mark.parametrize("patterns, name, matches", [
    (["maas-api.opendatahub.svc"], "maas-api.opendatahub.svc", True),
    (["MAAS-API.opendatahub.svc"], "maas-api.opendatahub.svc.", True),
    (["*.apps.example.com"], "maas.apps.example.com", True),
    (["*.apps.example.com"], "a.b.apps.example.com", False),
    (["*.apps.example.com"], "apps.example.com", False),
    (["maas-api"], "maas-api.opendatahub.svc", False),
    ([], "127.0.0.1", False),
])
def test_hostname_matching_follows_what_clients_do(patterns, name, matches):
    assert _tlscheck.hostname_matches(patterns, [], name) is matches


def test_ip_names_match_only_ip_sans():
    assert _tlscheck.hostname_matches(["127.0.0.1"], [], "127.0.0.1") is False
    assert _tlscheck.hostname_matches([], ["::1"], "0:0:0:0:0:0:0:1") is True


def test_a_healthy_endpoint_has_no_findings():
    assert _tlscheck.evaluate(observed(), EXPECT, NOW) == ([], [])


def test_an_old_version_accepted_below_the_minimum_fails():
    failures = _tlscheck.evaluate(observed(), dict(EXPECT, minimum_version="1.3"), NOW)[0]
    assert failures == ["TLSv1.2 accepted although the minimum is TLSv1.3"]


def test_a_version_this_client_cannot_offer_is_a_warning_not_a_pass():
    seen = observed(accepted_versions={"TLSv1": None, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True})
    failures, notes = _tlscheck.evaluate(seen, EXPECT, NOW)
    assert failures == []
    assert notes == ["TLSv1 could not be offered by this client, so its refusal is not proven"]


def test_nothing_accepted_at_the_minimum_fails():
    seen = observed(accepted_versions={"TLSv1": False, "TLSv1.1": False, "TLSv1.2": False, "TLSv1.3": False})
    assert "no protocol version at or above TLSv1.2 is accepted" in _tlscheck.evaluate(seen, EXPECT, NOW)[0]


def test_wrong_chain_and_wrong_name_are_two_findings():
    seen = observed(chain_verified=False, chain_error="unable to get local issuer certificate")
    failures = _tlscheck.evaluate(seen, dict(EXPECT, server_name="other.example"), NOW)[0]
    assert failures == [
        "certificate does not chain to the expected CA: unable to get local issuer certificate",
        "certificate is not valid for other.example (it names maas-api.opendatahub.svc)",
    ]


def test_expiry_fails_when_expired_or_too_close_and_warns_within_30_days():
    assert _tlscheck.evaluate(observed(), EXPECT, NOW + datetime.timedelta(days=400))[0] == \
        ["certificate expired on 2027-06-01T00:00:00+00:00"]
    assert _tlscheck.evaluate(observed(), dict(EXPECT, min_days_to_expiry=400), NOW)[0] == \
        ["certificate expires in 365 days (minimum 400)"]
    assert _tlscheck.evaluate(observed(), EXPECT, NOW + datetime.timedelta(days=350))[1] == \
        ["certificate expires in 15 days"]


def test_a_connection_failure_is_the_only_finding():
    assert _tlscheck.evaluate({"connect_error": "Connection refused"}, EXPECT, NOW) == \
        (["cannot connect: Connection refused"], [])


def test_minimum_version_must_be_known():
    with pytest.raises(ValueError, match="minimum_version '1.4'"):
        _tlscheck.version_name("1.4")


def test_report_says_whether_the_minimum_is_enforced():
    report = _tlscheck.report("maas-api", "127.0.0.1:8443", "maas-api.opendatahub.svc", observed(), EXPECT, None, NOW)
    assert report["ok"] is True and report["minimum_version_enforced"] is True
    assert report["days_to_expiry"] == 365 and "not_after_datetime" not in report["certificate"]
    weak = observed(accepted_versions={"TLSv1": False, "TLSv1.1": True, "TLSv1.2": True, "TLSv1.3": True})
    assert _tlscheck.report("x", "e", "maas-api.opendatahub.svc", weak, EXPECT, None, NOW)["minimum_version_enforced"] \
        is False


def test_a_bundle_with_two_cas_yields_both():
    pems = []
    for _index in range(2):
        key = _certs.new_private_key("ecdsa-p256")
        pems.append(_certs.certificate_pem(_certs.issue_ca(key, {"common_name": "ca", "validity_days": 10}, NOW)))
    assert len(_tlscheck.certificates_in("".join(pems))) == 2
    assert _tlscheck.certificates_in("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n") == []


SERVICE = {"metadata": {"name": "maas-api", "namespace": "opendatahub"},
           "spec": {"ports": [{"name": "https", "port": 8443, "targetPort": "https"},
                              {"name": "metrics", "port": 9090, "targetPort": 9091}]}}


def pod(name, phase="Running", port_name="https", port=8443):
    return {"metadata": {"name": name}, "status": {"phase": phase},
            "spec": {"containers": [{"name": "maas-api", "ports": [{"name": port_name, "containerPort": port}]}]}}


def test_service_port_resolves_to_a_running_pods_named_port():
    pods = [pod("maas-api-b", phase="Pending"), pod("maas-api-a", port=18443)]
    assert _tlscheck.service_endpoint(SERVICE, pods, "8443") == ("maas-api-a", 18443)
    assert _tlscheck.service_endpoint(SERVICE, pods, "https") == ("maas-api-a", 18443)
    assert _tlscheck.service_endpoint(SERVICE, pods, "9090") == ("maas-api-a", 9091)


def test_service_without_running_pods_says_so():
    with pytest.raises(ValueError, match="Service opendatahub/maas-api: no running pod matches its selector"):
        _tlscheck.service_endpoint(SERVICE, [pod("p", phase="Pending")], "8443")
    with pytest.raises(ValueError, match="has no port 50051 \\(it has 8443, 9090\\)"):
        _tlscheck.service_endpoint(SERVICE, [pod("p")], "50051")
