"""Certificate decisions of the `self` provider, with a pinned clock."""

import base64
import datetime
import json

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._tls import certs as _certs, pki as _pki
from ansible_collections.modelserving.maas.plugins.module_utils._tls.certs import CREATE, KEEP, RENEW

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
CA_SPEC = {"name": "maas-ca", "namespace": "opendatahub", "common_name": "modelserving.maas CA",
           "validity_days": 3650, "renew_before_days": 30}
LEAF_SPEC = {"name": "maas-api-serving-cert", "namespace": "opendatahub", "common_name": None,
             "dns_names": ["maas-api", "maas-api.opendatahub.svc"], "ip_addresses": [],
             "validity_days": 365, "renew_before_days": 30, "labels": {}}
KEY = "ecdsa-p256"


def days(n):
    return datetime.timedelta(days=n)


def make_ca(now=NOW, spec=None, kind=KEY):
    key = _pki.new_private_key(kind)
    return _pki.issue_ca(key, spec or CA_SPEC, now), key


def make_leaf(ca, ca_key, now=NOW, spec=None, kind=KEY):
    key = _pki.new_private_key(kind)
    return _pki.issue_leaf(key, spec or LEAF_SPEC, ca, ca_key, now), key


def pems(cert, key, ca=None):
    data = {"tls.crt": _pki.certificate_pem(cert), "tls.key": _pki.private_key_pem(key)}
    if ca is not None:
        data["ca.crt"] = _pki.certificate_pem(ca)
    return data


def secret(name, data):
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": "opendatahub"}, "data": dict(data)}


def live_from(objects):
    return {(o["apiVersion"], o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects}


# --- the CA -----------------------------------------------------------------------------------


def test_a_missing_ca_is_created():
    assert _certs.ca_decision({}, CA_SPEC, NOW, KEY).action == CREATE


def test_a_valid_ca_is_kept():
    ca, key = make_ca()
    decision = _certs.ca_decision(pems(ca, key), CA_SPEC, NOW + days(100), KEY)
    assert decision.action == KEEP


def test_a_ca_inside_its_renewal_window_is_renewed():
    ca, key = make_ca()
    decision = _certs.ca_decision(pems(ca, key), CA_SPEC, NOW + days(3650 - 29), KEY)
    assert decision.action == RENEW and "renewal window" in decision.reason


def test_an_expired_ca_is_renewed():
    ca, key = make_ca()
    decision = _certs.ca_decision(pems(ca, key), CA_SPEC, NOW + days(4000), KEY)
    assert decision.action == RENEW and "expired" in decision.reason


def test_a_ca_whose_key_does_not_match_is_renewed():
    ca = make_ca()[0]
    other_key = make_ca()[1]
    assert _certs.ca_decision(pems(ca, other_key), CA_SPEC, NOW, KEY).reason == \
        "tls.key does not match the certificate in tls.crt"


def test_a_leaf_certificate_stored_as_the_ca_is_renewed():
    ca, ca_key = make_ca()
    leaf, leaf_key = make_leaf(ca, ca_key)
    assert _certs.ca_decision(pems(leaf, leaf_key), CA_SPEC, NOW, KEY).reason == "tls.crt is not a CA certificate"


def test_unreadable_pem_is_renewed_not_an_error():
    decision = _certs.ca_decision({"tls.crt": "garbage", "tls.key": ""}, CA_SPEC, NOW, KEY)
    assert decision.action == RENEW


def test_a_new_key_type_renews_the_ca():
    ca, key = make_ca(kind="rsa-2048")
    assert "key type rsa-2048" in _certs.ca_decision(pems(ca, key), CA_SPEC, NOW, KEY).reason


# --- leaves -------------------------------------------------------------------------------------


def test_nothing_to_do_when_everything_matches():
    ca, ca_key = make_ca()
    leaf, key = make_leaf(ca, ca_key)
    decision = _certs.leaf_decision(pems(leaf, key, ca), LEAF_SPEC, ca, False, NOW + days(10), KEY)
    assert decision == _certs.Decision(KEEP, "valid until 2027-06-01")


def test_a_changed_san_list_renews_the_leaf():
    ca, ca_key = make_ca()
    leaf, key = make_leaf(ca, ca_key)
    spec = dict(LEAF_SPEC, dns_names=LEAF_SPEC["dns_names"] + ["maas-api.opendatahub.svc.cluster.local"])
    decision = _certs.leaf_decision(pems(leaf, key, ca), spec, ca, False, NOW, KEY)
    assert decision.action == RENEW and decision.reason.startswith("subject alternative names changed")


def test_san_order_and_case_do_not_matter():
    ca, ca_key = make_ca()
    leaf, key = make_leaf(ca, ca_key)
    spec = dict(LEAF_SPEC, dns_names=["MAAS-API.opendatahub.svc", "maas-api"], common_name="maas-api")
    assert _certs.leaf_decision(pems(leaf, key, ca), spec, ca, False, NOW, KEY).action == KEEP


def test_ip_addresses_compare_normalized():
    ca, ca_key = make_ca()
    spec = dict(LEAF_SPEC, ip_addresses=["::1", "127.0.0.1"])
    leaf, key = make_leaf(ca, ca_key, spec=spec)
    again = dict(spec, ip_addresses=["127.0.0.1", "0:0:0:0:0:0:0:1"])
    assert _certs.leaf_decision(pems(leaf, key, ca), again, ca, False, NOW, KEY).action == KEEP


def test_a_leaf_whose_key_does_not_match_is_renewed():
    ca, ca_key = make_ca()
    leaf = make_leaf(ca, ca_key)[0]
    other = make_leaf(ca, ca_key)[1]
    decision = _certs.leaf_decision(pems(leaf, other, ca), LEAF_SPEC, ca, False, NOW, KEY)
    assert decision.reason == "tls.key does not match the certificate in tls.crt"


def test_a_renewed_ca_reissues_the_leaf():
    ca, ca_key = make_ca()
    leaf, key = make_leaf(ca, ca_key)
    assert _certs.leaf_decision(pems(leaf, key, ca), LEAF_SPEC, ca, True, NOW, KEY).reason == "the CA was issued again"


def test_a_leaf_from_another_ca_is_renewed():
    ca, ca_key = make_ca()
    other_ca, other_key = make_ca()
    leaf, key = make_leaf(other_ca, other_key)
    decision = _certs.leaf_decision(pems(leaf, key, other_ca), LEAF_SPEC, ca, False, NOW, KEY)
    assert decision.action == RENEW and decision.reason.startswith("issued by another CA")


def test_same_ca_name_but_different_key_is_another_ca():
    ca, ca_key = make_ca()
    impostor, impostor_key = make_ca()  # same subject, new key: only the signature tells them apart
    leaf, key = make_leaf(impostor, impostor_key)
    assert not _pki.issued_by(leaf, ca)
    assert _certs.leaf_decision(pems(leaf, key), LEAF_SPEC, ca, False, NOW, KEY).action == RENEW


def test_a_leaf_inside_its_renewal_window_is_renewed():
    ca, ca_key = make_ca()
    leaf, key = make_leaf(ca, ca_key)
    decision = _certs.leaf_decision(pems(leaf, key, ca), LEAF_SPEC, ca, False, NOW + days(340), KEY)
    assert decision.action == RENEW and "inside the 30-day renewal window" in decision.reason


def test_an_expired_leaf_is_renewed():
    ca, ca_key = make_ca()
    leaf, key = make_leaf(ca, ca_key)
    assert "expired" in _certs.leaf_decision(pems(leaf, key, ca), LEAF_SPEC, ca, False, NOW + days(400), KEY).reason


def test_a_leaf_never_outlives_its_ca_and_does_not_flap():
    short_ca_spec = dict(CA_SPEC, validity_days=100, renew_before_days=10)
    ca, ca_key = make_ca(spec=short_ca_spec)
    leaf, key = make_leaf(ca, ca_key)  # wants 365 days, gets the CA's 100
    assert _pki.not_after(leaf) == _pki.not_after(ca)
    # 50 days left: inside the leaf's own 60-day window, but only a new CA can extend it.
    spec = dict(LEAF_SPEC, renew_before_days=60)
    assert _certs.leaf_decision(pems(leaf, key, ca), spec, ca, False, NOW + days(50), KEY).action == KEEP


def test_a_lone_common_name_becomes_the_san():
    assert _pki.wanted_names({"common_name": "Authorino.example", "dns_names": []}) == \
        ("Authorino.example", ["authorino.example"], [])


# --- the whole set ------------------------------------------------------------------------------


def run_plan(live, now=NOW, leaves=(LEAF_SPEC,)):
    bundles = [{"name": "maas-ca-bundle", "namespace": "kuadrant-system", "labels": {}}]
    return _certs.plan(CA_SPEC, list(leaves), bundles, live, now, KEY, {"app.kubernetes.io/component": "tls"})


def test_plan_creates_then_a_second_plan_reproduces_the_same_objects():
    objects, ca, leaves, ca_pem = run_plan({})
    assert ca["action"] == CREATE and leaves[0]["action"] == CREATE
    again, ca2, leaves2, _pem = run_plan(live_from(objects), now=NOW + days(1))
    assert again == objects
    assert ca2["action"] == KEEP and leaves2[0]["action"] == KEEP
    assert objects[-1]["data"]["ca.crt"] == ca_pem
    assert objects[1]["data"]["ca.crt"] == objects[0]["data"]["tls.crt"]


def test_plan_renewing_the_ca_reissues_every_leaf():
    objects = run_plan({})[0]
    later = NOW + days(3650 - 5)
    renewed, ca, leaves, ca_pem = run_plan(live_from(objects), now=later)
    assert ca["action"] == RENEW
    assert leaves[0]["action"] == RENEW and leaves[0]["reason"] == "the CA was issued again"
    new_ca = _pki.load_certificate(ca_pem)
    new_leaf = _pki.load_certificate(base64.b64decode(renewed[1]["data"]["tls.crt"]).decode())
    assert _pki.issued_by(new_leaf, new_ca)


def test_reports_never_carry_key_material():
    objects, ca, leaves, ca_pem = run_plan({})
    text = json.dumps([ca, leaves, ca_pem])
    assert "PRIVATE KEY" not in text
    for obj in objects[:2]:
        assert obj["data"]["tls.key"] not in text


def test_an_opaque_secret_of_the_same_name_is_refused_with_its_name():
    problem = _certs.secret_type_problem(
        {"type": "Opaque", "metadata": {"name": "maas-ca", "namespace": "opendatahub"}}, "ca")
    assert "Secret opendatahub/maas-ca exists with type Opaque" in problem
    assert _certs.secret_type_problem(secret("x", {}), "ca") is None
    assert _certs.secret_type_problem(None, "ca") is None


@pytest.mark.parametrize("change, message", [
    ({"renew_before_days": 365}, "certificates[0] (opendatahub/maas-api-serving-cert): renew_before_days (365) "
                                 "must be smaller than validity_days (365)"),
    ({"dns_names": ["maas api"]}, "dns_names[0] 'maas api' is not a DNS name"),
    ({"ip_addresses": ["10.0.0.300"]}, "ip_addresses[0] '10.0.0.300' is not an IP address"),
    ({"name": "maas-ca"}, "the same Secret as ca"),
])
def test_spec_problems_name_the_entry_and_field(change, message):
    problems = _certs.spec_problems(CA_SPEC, [dict(LEAF_SPEC, **change)], [])
    assert any(message in p for p in problems), problems


def test_a_sane_spec_has_no_problems():
    assert _certs.spec_problems(CA_SPEC, [LEAF_SPEC, dict(LEAF_SPEC, dns_names=["*.apps.example.com"], name="gw")],
                                [{"name": "b", "namespace": "n"}]) == []


def test_deleting_needs_only_names_but_still_no_certificate_naming_the_ca_secret():
    by_name = {"name": "maas-api-serving-cert", "namespace": "opendatahub"}
    assert _certs.spec_problems({"name": "maas-ca", "namespace": "opendatahub"}, [by_name], [], issuing=False) == []
    assert "certificates[0] (opendatahub/maas-api-serving-cert): give dns_names, ip_addresses or common_name" in \
        _certs.spec_problems(CA_SPEC, [by_name], [])
    assert _certs.spec_problems(CA_SPEC, [dict(by_name, name="maas-ca")], [], issuing=False) == [
        "certificates[0] (opendatahub/maas-ca): the same Secret as ca"]
