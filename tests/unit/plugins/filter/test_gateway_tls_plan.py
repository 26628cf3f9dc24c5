"""Filter modelserving.maas.gateway_tls_plan as role gateway_tls calls it."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.modelserving.maas.plugins.filter.gateway_tls_plan import FilterModule

gateway_tls_plan = FilterModule().filters()["gateway_tls_plan"]


def test_defaults_match_the_roles_defaults():
    [listener] = gateway_tls_plan([{"hostname": "a.example.com", "secret_name": "a"}],
                                  gateway_namespace="gw", gateway_name="g")["entries"]
    assert listener["provider"] == "self"
    assert listener["listener"]["port"] == 443
    assert listener["listener"]["allowedRoutes"] == {"namespaces": {"from": "All"}}


def test_empty_allowed_routes_given_on_purpose_are_kept():
    [listener] = gateway_tls_plan([{"hostname": "a.example.com", "secret_name": "a"}], gateway_namespace="gw",
                                  gateway_name="g", allowed_routes={})["entries"]
    assert listener["listener"]["allowedRoutes"] == {}


def test_a_listener_without_a_secret_fails_naming_it():
    with pytest.raises(AnsibleFilterError, match=r"gateway_tls_plan: gateway_tls_listeners\[0\]: secret_name is required"):
        gateway_tls_plan([{"hostname": "a.example.com"}], gateway_namespace="gw", gateway_name="g")


def test_a_port_that_is_not_a_number_fails():
    with pytest.raises(AnsibleFilterError, match=r"gateway_tls_plan: gateway_tls_listeners\[0\]: port 'https' is not a number"):
        gateway_tls_plan([{"hostname": "a.example.com", "secret_name": "a", "port": "https"}],
                         gateway_namespace="gw", gateway_name="g")


def test_refuses_a_single_listener_not_in_a_list():
    with pytest.raises(AnsibleFilterError, match="expected a list of listeners, got dict"):
        gateway_tls_plan({"hostname": "a.example.com", "secret_name": "a"}, gateway_namespace="gw", gateway_name="g")
