"""Which TLS hops playbook verify checks, how it reaches them, and why it skips the others."""

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._tls.hops import HopError, tls_verify_plan

CA = {"name": "maas-ca-bundle", "namespace": "kuadrant-system", "key": "ca.crt"}
GATEWAY = {"spec": {"listeners": [
    {"name": "http", "port": 80, "protocol": "HTTP"},
    {"name": "https-maas.example.com", "hostname": "maas.example.com", "port": 443, "protocol": "HTTPS"},
    {"name": "wildcard-apps.example.com", "hostname": "*.apps.example.com", "port": 443, "protocol": "HTTPS"}]},
    "status": {"addresses": [{"type": "IPAddress", "value": "10.0.0.7"}]}}
AUTHORINO = {"spec": {"listener": {"tls": {"enabled": True}}}}
MAAS_API = {"spec": {"ports": [{"name": "https", "port": 8443}]}}


def plan(gateway=None, authorino=None, maas_api=None, **overrides):
    args = dict(gateway_namespace="openshift-ingress", gateway_name="maas-default-gateway",
                authorino_namespace="kuadrant-system", authorino_name="authorino",
                authorino_service="authorino-authorino-authorization", maas_api_namespace="opendatahub",
                maas_api_service_name="maas-api", maas_api_port=8443, addresses={}, ca_configmap=CA,
                gateway_ca_configmap=CA, gateway_min_version="1.2", authorino_min_version="1.2",
                maas_api_min_version="1.3", min_days_to_expiry=7)
    args.update(overrides)
    return tls_verify_plan(GATEWAY if gateway is None else gateway, AUTHORINO if authorino is None else authorino,
                           MAAS_API if maas_api is None else maas_api, **args)


def test_every_configured_hop_is_checked_the_way_its_client_reaches_it():
    result = plan()
    assert result["skipped"] == []
    exact, wildcard, authorino, maas_api = result["targets"]
    assert exact == {"name": "gateway/https-maas.example.com", "host": "10.0.0.7", "port": 443,
                     "server_name": "maas.example.com", "minimum_version": "1.2", "min_days_to_expiry": 7,
                     "ca_configmap": CA}
    assert wildcard["server_name"] == "verify.apps.example.com"
    assert authorino == {"name": "authorino", "server_name": "authorino-authorino-authorization.kuadrant-system.svc",
                         "service": {"name": "authorino-authorino-authorization", "namespace": "kuadrant-system",
                                     "port": "50051"},
                         "minimum_version": "1.2", "min_days_to_expiry": 7, "ca_configmap": CA}
    assert maas_api == {"name": "maas-api", "server_name": "maas-api.opendatahub.svc",
                        "service": {"name": "maas-api", "namespace": "opendatahub", "port": "8443"},
                        "minimum_version": "1.3", "min_days_to_expiry": 7, "ca_configmap": CA}


def test_addresses_replace_the_gateways_status_and_the_port_forwards():
    result = plan(addresses={"gateway": "127.0.0.1:9443", "authorino": "127.0.0.1:5005", "maas-api": "localhost:8443"})
    gateway, _wildcard, authorino, maas_api = result["targets"]
    assert (gateway["host"], gateway["port"]) == ("127.0.0.1", 9443)
    assert (authorino["host"], authorino["port"]) == ("127.0.0.1", 5005) and "service" not in authorino
    assert (maas_api["host"], maas_api["port"]) == ("localhost", 8443)


def test_a_gateway_listener_without_hostname_is_reached_by_the_address():
    gateway = {"spec": {"listeners": [{"name": "any", "port": 443, "protocol": "HTTPS"}]},
               "status": {"addresses": [{"value": "gw.example.com"}]}}
    [target] = plan(gateway=gateway, authorino={}, maas_api={})["targets"]
    assert (target["host"], target["port"], target["server_name"]) == ("gw.example.com", 443, "gw.example.com")


def test_an_empty_gateway_ca_means_the_system_trust_store():
    assert "ca_configmap" not in plan(gateway_ca_configmap={})["targets"][0]


@pytest.mark.parametrize("gateway, reason", [
    ({}, "gateway: Gateway openshift-ingress/maas-default-gateway not found"),
    ({"spec": {"listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}},
     "gateway: no HTTPS listener on openshift-ingress/maas-default-gateway"),
    ({"spec": GATEWAY["spec"], "status": {}}, "gateway: no address in its status; set verify_addresses.gateway"),
])
def test_a_gateway_that_cannot_be_checked_says_why(gateway, reason):
    result = plan(gateway=gateway)
    assert [t["name"] for t in result["targets"]] == ["authorino", "maas-api"]
    assert result["skipped"] == [reason]


def test_authorino_and_maas_api_without_tls_say_why():
    result = plan(authorino={"spec": {}}, maas_api={"spec": {"ports": [{"port": 8080}]}})
    assert result["skipped"] == ["authorino: listener TLS is not enabled",
                                 "maas-api: its Service has no port 8443 (TLS is off)"]
    assert plan(authorino={}, maas_api={})["skipped"] == [
        "authorino: Authorino kuadrant-system/authorino not found", "maas-api: Service opendatahub/maas-api not found"]


def test_an_address_without_a_port_is_refused_by_hop():
    with pytest.raises(HopError, match="verify_addresses\\['authorino'\\] is 'localhost'; give it as host:port"):
        plan(addresses={"authorino": "localhost"})
