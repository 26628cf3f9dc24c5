"""Role gateway_tls's listeners, certificates and grants, worked out from gateway_tls_listeners."""

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._tls.listeners import (
    ListenerError,
    foreign_namespaces,
    gateway_tls_plan,
    listener_entry,
    listener_name,
    providers,
    reference_grant_name,
)

LABELS = {"app.kubernetes.io/part-of": "models-as-a-service", "app.kubernetes.io/component": "gateway-tls"}
ALL_ROUTES = {"namespaces": {"from": "All"}}
DEFAULTS = dict(gateway_namespace="openshift-ingress", gateway_name="maas-default-gateway", provider="self",
                port=443, allowed_routes=ALL_ROUTES, validity_days=365, renew_before_days=30,
                issuer_kind="ClusterIssuer", issuer_name="maas-ca-issuer", labels=LABELS)


def plan(listeners, **overrides):
    return gateway_tls_plan(listeners, **dict(DEFAULTS, **overrides))


def entry(item, **overrides):
    args = dict(gateway_namespace="openshift-ingress", provider="self", port=443, allowed_routes=ALL_ROUTES)
    args.update(overrides)
    return listener_entry(item, **args)


def test_wildcard_and_exact_hostnames_get_names_that_never_collide():
    assert listener_name("maas.example.com") == "https-maas.example.com"
    assert listener_name("*.example.com") == "wildcard-example.com"
    # `wildcard-example.com` as an exact hostname still gets the https- prefix
    assert listener_name("wildcard-example.com") == "https-wildcard-example.com"


def test_a_listener_with_only_hostname_and_secret_gets_every_default():
    assert entry({"hostname": "Maas.Example.COM", "secret_name": "maas-tls"}) == {
        "hostname": "maas.example.com",
        "secret_name": "maas-tls",
        "secret_namespace": "openshift-ingress",
        "provider": "self",
        "listener": {
            "name": "https-maas.example.com",
            "hostname": "maas.example.com",
            "port": 443,
            "protocol": "HTTPS",
            "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": "maas-tls"}]},
            "allowedRoutes": {"namespaces": {"from": "All"}},
        },
    }


def test_empty_values_take_the_defaults_as_missing_ones_do():
    empty = {"hostname": "a.example.com", "secret_name": "a", "secret_namespace": "", "provider": "", "name": "",
             "port": 0, "allowed_routes": {}}
    assert entry(empty) == entry({"hostname": "a.example.com", "secret_name": "a"})


def test_given_values_win_and_a_port_given_as_text_is_a_number():
    result = entry({"hostname": "a.example.com", "secret_name": "a", "provider": "provided", "name": "mine",
                    "port": "8443", "allowed_routes": {"namespaces": {"from": "Same"}}})
    assert result["provider"] == "provided"
    assert result["listener"]["name"] == "mine"
    assert result["listener"]["port"] == 8443
    assert result["listener"]["allowedRoutes"] == {"namespaces": {"from": "Same"}}


def test_a_secret_in_another_namespace_is_referenced_with_its_namespace():
    result = entry({"hostname": "a.example.com", "secret_name": "a", "secret_namespace": "certs"})
    assert result["listener"]["tls"]["certificateRefs"] == [
        {"group": "", "kind": "Secret", "name": "a", "namespace": "certs"}]


def test_listeners_do_not_share_the_default_allowed_routes():
    routes = {"namespaces": {"from": "All"}}
    first, second = (entry({"hostname": h, "secret_name": "s"}, allowed_routes=routes) for h in ("a.x", "b.x"))
    first["listener"]["allowedRoutes"]["namespaces"]["from"] = "Same"
    assert second["listener"]["allowedRoutes"] == {"namespaces": {"from": "All"}}
    assert routes == {"namespaces": {"from": "All"}}


def test_foreign_namespaces_are_unique_and_sorted_and_providers_keep_their_order():
    entries = [entry({"hostname": "%s.x" % n, "secret_name": n, "secret_namespace": ns, "provider": p})
               for n, ns, p in [("a", "zeta", "provided"), ("b", "", "self"), ("c", "alpha", "provided"),
                                ("d", "zeta", "cert-manager")]]
    assert foreign_namespaces(entries, "openshift-ingress") == ["alpha", "zeta"]
    assert providers(entries) == ["provided", "self", "cert-manager"]


def test_no_listeners_still_applies_the_gateway_so_ours_are_removed():
    result = plan([])
    assert result["entries"] == [] and result["certificates"] == [] and result["providers"] == []
    assert result["objects"] == [{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                                  "metadata": {"name": "maas-default-gateway", "namespace": "openshift-ingress"},
                                  "spec": {"listeners": []}}]


def test_plan_of_every_provider_and_a_foreign_namespace():
    result = plan([
        {"hostname": "maas.example.com", "secret_name": "maas-tls"},
        {"hostname": "*.apps.example.com", "secret_name": "wild-tls", "secret_namespace": "certs",
         "provider": "cert-manager"},
        {"hostname": "portal.example.com", "secret_name": "portal-tls", "secret_namespace": "certs",
         "provider": "provided"},
    ], validity_days="90", renew_before_days=10)
    gateway, grant, certificate = result["objects"]
    assert [listener["name"] for listener in gateway["spec"]["listeners"]] == [
        "https-maas.example.com", "wildcard-apps.example.com", "https-portal.example.com"]
    assert "labels" not in gateway["metadata"], "the Gateway is the platform's"
    assert grant == {
        "apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
        "metadata": {"name": "gateway-tls-openshift-ingress-maas-default-gateway", "namespace": "certs",
                     "labels": LABELS},
        "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "openshift-ingress"}],
                 "to": [{"group": "", "kind": "Secret", "name": "portal-tls"},
                        {"group": "", "kind": "Secret", "name": "wild-tls"}]},
    }
    assert certificate == {
        "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
        "metadata": {"name": "wild-tls", "namespace": "certs", "labels": LABELS},
        "spec": {"secretName": "wild-tls", "dnsNames": ["*.apps.example.com"], "duration": "2160h",
                 "renewBefore": "240h", "usages": ["server auth", "digital signature", "key encipherment"],
                 "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "maas-ca-issuer"}},
    }
    assert result["certificates"] == [{"name": "maas-tls", "namespace": "openshift-ingress",
                                       "dns_names": ["maas.example.com"], "validity_days": 90,
                                       "renew_before_days": 10, "labels": LABELS}]
    assert result["foreign_namespaces"] == ["certs"]
    assert result["providers"] == ["self", "cert-manager", "provided"]
    assert result["reference_grant_name"] == reference_grant_name("openshift-ingress", "maas-default-gateway")
    assert result["label_selectors"] == ["app.kubernetes.io/part-of=models-as-a-service",
                                         "app.kubernetes.io/component=gateway-tls"]


def test_one_secret_for_two_hostnames_is_granted_once():
    result = plan([{"hostname": h, "secret_name": "shared", "secret_namespace": "certs", "provider": "provided"}
                   for h in ("a.example.com", "b.example.com")])
    [grant] = [o for o in result["objects"] if o["kind"] == "ReferenceGrant"]
    assert grant["spec"]["to"] == [{"group": "", "kind": "Secret", "name": "shared"}]


@pytest.mark.parametrize("item, message", [
    ({"secret_name": "a"}, r"gateway_tls_listeners\[1\]: hostname is required"),
    ({"hostname": "a.example.com"}, r"gateway_tls_listeners\[1\]: secret_name is required"),
    ("a.example.com", r"gateway_tls_listeners\[1\]: hostname and secret_name are required"),
])
def test_a_listener_without_hostname_or_secret_is_refused_by_position(item, message):
    with pytest.raises(ListenerError, match=message):
        plan([{"hostname": "ok.example.com", "secret_name": "ok"}, item])


def test_a_day_count_that_is_not_a_number_is_refused_by_name():
    with pytest.raises(ListenerError, match="validity_days 'a year' is not a number"):
        plan([], validity_days="a year")


@pytest.mark.parametrize("hostname", ["192.0.2.10", "10.0.0.1", "0.0.0.0"])
def test_an_ip_address_is_refused_as_a_listener_hostname(hostname):
    with pytest.raises(ListenerError, match=r"gateway_tls_listeners\[0\]: hostname .* is an IP address"):
        plan([{"hostname": hostname, "secret_name": "tls"}])


@pytest.mark.parametrize("hostname", ["bad host.example.com", "api.example.com:443", "-x.example.com", "a..b"])
def test_a_hostname_that_is_no_dns_name_is_refused(hostname):
    with pytest.raises(ListenerError, match=r"gateway_tls_listeners\[0\]: hostname .* is not a DNS name"):
        plan([{"hostname": hostname, "secret_name": "tls"}])


def test_dns_names_with_digits_and_wildcards_stay_accepted():
    listeners = [{"hostname": "API.2.example.com", "secret_name": "a"},
                 {"hostname": "*.apps.example.com", "secret_name": "b"},
                 {"hostname": "1.example.com", "secret_name": "c"}]
    hostnames = [e["hostname"] for e in plan(listeners)["entries"]]
    assert hostnames == ["api.2.example.com", "*.apps.example.com", "1.example.com"]
