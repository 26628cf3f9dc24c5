"""Token-review audiences: reading `aud` from a token, merging what AuthPolicies accept."""

import base64
import json

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._tls.audience import (
    GATEWAY_AUDIENCE,
    audiences_of,
    jwt_claims,
    merge_audiences,
    token_request,
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def token(claims) -> str:
    header = b64url(json.dumps({"alg": "RS256", "kid": "k"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}.{b64url(b'not-a-real-signature')}"


def test_claims_are_read_from_the_payload_whatever_its_padding():
    for sub in ("a", "ab", "abc", "abcd"):  # payload lengths that need 0..3 padding characters
        claims = {"aud": ["https://kubernetes.default.svc.cluster.local"], "sub": sub}
        assert jwt_claims(token(claims)) == claims


def test_payload_with_url_safe_characters_decodes():
    claims = {"aud": "x", "note": "\u00ff\u00fe>>>???"}  # encodes to '-' and '_' in base64url
    assert jwt_claims(token(claims))["note"] == claims["note"]


@pytest.mark.parametrize("bad, message", [
    ("", "empty"),
    (None, "empty"),
    ("only.two", "2 dot-separated parts"),
    ("a.b.c.d", "4 dot-separated parts"),
    ("h.!!!notbase64!!!.s", "not base64url-encoded JSON"),
    ("h.%s.s" % b64url(b"not json"), "not base64url-encoded JSON"),
    ("h.%s.s" % b64url(b"[1, 2]"), "not a JSON object"),
])
def test_malformed_tokens_fail_without_repeating_the_token(bad, message):
    with pytest.raises(ValueError) as err:
        jwt_claims(bad)
    assert message in str(err.value)
    if bad:
        assert bad not in str(err.value)


def test_aud_as_string_or_list_becomes_a_list():
    assert audiences_of({"aud": "https://issuer.example"}) == ["https://issuer.example"]
    assert audiences_of({"aud": ["a", "b"]}) == ["a", "b"]


@pytest.mark.parametrize("claims", [{}, {"aud": ""}, {"aud": []}, {"aud": [""]}, {"aud": 7}, {"aud": ["a", 1]}])
def test_missing_or_unusable_aud_is_an_error(claims):
    with pytest.raises(ValueError, match="no usable aud"):
        audiences_of(claims)


def test_detected_audience_comes_first_and_gateway_audience_is_always_added():
    assert merge_audiences(["https://kubernetes.default.svc.cluster.local"]) == \
        ["https://kubernetes.default.svc.cluster.local", GATEWAY_AUDIENCE]


def test_override_replaces_the_detected_audiences():
    assert merge_audiences(["https://detected"], ["https://mine", "other"]) == \
        ["https://mine", "other", GATEWAY_AUDIENCE]


def test_empty_override_keeps_the_detected_audiences():
    assert merge_audiences(["https://detected"], []) == ["https://detected", GATEWAY_AUDIENCE]


def test_duplicates_and_blanks_are_dropped_first_occurrence_wins():
    assert merge_audiences(["b", " a ", "", "b"], None, ["a", GATEWAY_AUDIENCE, GATEWAY_AUDIENCE]) == \
        ["b", "a", GATEWAY_AUDIENCE]


def test_gateway_audience_is_not_duplicated_when_already_given():
    assert merge_audiences([GATEWAY_AUDIENCE, "x"]) == [GATEWAY_AUDIENCE, "x"]


def test_nothing_extra_when_always_is_empty():
    assert merge_audiences(["x"], always=()) == ["x"]


def test_token_request_asks_for_no_audience_so_the_cluster_default_is_used():
    body = token_request()
    assert body["kind"] == "TokenRequest" and "audiences" not in body["spec"]
    assert body["spec"]["expirationSeconds"] == 600
