"""The behaviour contract (tests/contract/contract.yml) answered by a real Authorino.

Real: the API server (TokenReview of real ServiceAccount tokens, for the audiences
modelserving.maas.token_audience detected), Authorino v0.24.0 (tests/authorino, run out of cluster
watching one namespace's AuthConfigs), the TLS material (the authorino_tls role's CA, listener
certificate and CA bundle; maas-api's certificate from modelserving.maas.tls_certificate). A
stand-in only for maas-api's internal endpoints (tests/contract/maas_api_server.py) on
https://127.0.0.1:<port>: the certificate carries the IP SAN 127.0.0.1 and the generated policies
get that URL as `maas_api_url`, as no name other than `localhost` resolves here. Authorino trusts
it only through SSL_CERT_FILE, pointing at the bundle the role publishes. The Tenant's OIDC issuer
is served the same way (tests/contract/oidc_issuer.py: discovery and a JWKS), the contract's OIDC
tokens becoming JWTs it signed with the same claims; Authorino verifies them against its keys.

Each case goes through the Envoy ext_authz gRPC API as the wasm-shim sends it (the answer carries
the identity object the rate-limit predicates read); the cases whose decision does not hang on the
request path also go through the raw HTTP endpoint, which presents every request as `/check`.
Which token limit counts a request is then decided by the TokenRateLimitPolicy's predicates,
evaluated by the CEL helper on the identity Authorino returned.

The AuthPolicies and TokenRateLimitPolicies are ours (generated for the contract's scenario), applied
to the private plane where the real Kuadrant operator v1.5.2 runs (fixture `kuadrant_plane`); the
AuthConfigs Authorino loads, the wasm-shim configuration and Limitador's limits are the operator's.
"""

from __future__ import annotations

import base64
import copy
import sys
from pathlib import Path

import pytest
import yaml

from test_authorino_tls import install_authorino, run_role

REPO = Path(__file__).resolve().parents[2]
for extra in ("tests/authorino", "tests/contract", "tests/unit/plugins/module_utils"):
    sys.path.insert(0, str(REPO / extra))

import build  # noqa: E402
import dataplane  # noqa: E402
from authconfig import authconfig_for_route  # noqa: E402
from authorino_process import AuthorinoProcess, wait_until  # noqa: E402
from ext_authz import GrpcClient, check_http  # noqa: E402
from maas_api_server import SELECT, VALIDATE, MaasApiServer  # noqa: E402
from oidc_issuer import OidcIssuer  # noqa: E402
from translate_support import CelEngine, build_cel_engine  # noqa: E402

from ansible_collections.modelserving.maas.plugins.module_utils._maas.translate import generate  # noqa: E402

CONTRACT = yaml.safe_load((REPO / "tests" / "contract" / "contract.yml").read_text())
MODES = ("groups", "subscription")
GATEWAY = {"namespace": "openshift-ingress", "name": "maas-default-gateway"}
KUADRANT_NS = "kuadrant-system"  # where the operator writes AuthConfigs (the Authorino CR's namespace)
START_TIMEOUT, READY_TIMEOUT = 120.0, 90.0

NOT_REPLAYABLE = {
    "a Kubernetes token of a caller no policy names":
        "every real ServiceAccount token carries the group system:authenticated, which the scenario's "
        "MaaSAuthPolicy names; this plane authenticates no other bearer tokens",
}


def replayable(case):
    """None, or why the case cannot be sent to a real Authorino here."""
    return NOT_REPLAYABLE.get(case["name"])


def path_independent(case):
    """Raw HTTP presents the path as /check: replay there only what the path cannot change."""
    path = case["request"]["path"]
    return "?" not in path and not path.split("?")[0].endswith("/v1/models")


def http_route(name, hostname):
    """A model route on the Gateway, as KServe writes one (one rule, the model's path prefix)."""
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "llm"},
            "spec": {"parentRefs": [{"name": GATEWAY["name"], "namespace": GATEWAY["namespace"]}],
                     "hostnames": [hostname],
                     "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/llm/qwen3"}}],
                                "backendRefs": [{"name": "qwen3-kserve-workload-svc", "port": 8000}]}]}}


def secret_files(plane, namespace, name, directory):
    data = plane.get("secret", name, namespace)["data"]
    directory.mkdir(parents=True, exist_ok=True)
    for key in ("tls.crt", "tls.key"):
        (directory / key).write_bytes(base64.b64decode(data[key]))
        (directory / key).chmod(0o600)
    return directory / "tls.crt", directory / "tls.key"


class World:
    """Everything one module of tests shares: the plane, Authorino, the stand-in, the policies."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def token_for(self, bearer):
        """A contract bearer as sent: the contract's API keys as written, its Kubernetes tokens as real
        ServiceAccount tokens, its OIDC tokens as JWTs our issuer signed with the same claims."""
        return self.kube_tokens.get(bearer) or self.oidc_tokens.get(bearer) or bearer

    def headers(self, case):
        headers = dict(case["request"].get("headers") or {})
        if "authorization" in headers and headers["authorization"].startswith("Bearer "):
            headers["authorization"] = "Bearer " + self.token_for(headers["authorization"][len("Bearer "):])
        return headers


@pytest.fixture(scope="module")
def cel():
    build_cel_engine()
    engine = CelEngine()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def world(kuadrant_plane, tmp_path_factory):
    plane = kuadrant_plane.plane
    binary, seconds = build.build()
    if seconds is not None:
        print(f"\nbuilt Authorino {build.pinned_version()} in {seconds:.0f}s", file=sys.stderr)
    plane.wait_established("authconfigs.authorino.kuadrant.io")  # in the plane's pinned CRDs
    namespace = plane.create_namespace("authorino-contract")
    work = tmp_path_factory.mktemp("authorino-contract")
    servers, authorino, policies = [], None, {}
    try:
        install_authorino(plane, namespace)
        run = run_role(plane, work, namespace)
        assert run.ok, run.explain()
        listener_cert, listener_key = secret_files(plane, namespace, "authorino-server-cert", work / "listener")
        bundle = work / "maas-ca-bundle" / "ca-bundle.crt"  # what the role mounts, read from its ConfigMap
        bundle.parent.mkdir()
        bundle.write_text(plane.get("configmap", "maas-ca-bundle", namespace)["data"]["ca.crt"])

        result = plane.module("modelserving.maas.tls_certificate", ca={"name": "maas-ca", "namespace": namespace},
                              certificates=[{"name": "maas-api-serving-cert", "namespace": namespace,
                                             "dns_names": [f"maas-api.{namespace}.svc"],
                                             "ip_addresses": ["127.0.0.1"]}])
        assert result["ca"]["action"] == "unchanged", "the role's CA signs maas-api's certificate too"
        plane.module("modelserving.maas.tls_certificate",
                     ca={"name": "foreign-ca", "namespace": namespace, "common_name": "someone else's CA"},
                     certificates=[{"name": "foreign-cert", "namespace": namespace, "ip_addresses": ["127.0.0.1"]}])

        scenario = copy.deepcopy(CONTRACT["scenario"])
        api_keys = scenario["credentials"]["api_keys"]
        maas_api = MaasApiServer(*secret_files(plane, namespace, "maas-api-serving-cert", work / "maas-api"),
                                 scenario["resources"], api_keys)
        servers.append(maas_api)
        issuer = OidcIssuer(*secret_files(plane, namespace, "maas-api-serving-cert", work / "oidc"))
        servers.append(issuer)
        [tenant] = [r for r in scenario["resources"] if r["kind"] == "Tenant"]
        contract_issuer = tenant["spec"]["externalOIDC"]["issuerUrl"]
        tenant["spec"]["externalOIDC"]["issuerUrl"] = issuer.url
        oidc_tokens = {token: issuer.token(dict(claims, iss=issuer.url) if claims.get("iss") == contract_issuer
                                           else claims)
                       for token, claims in scenario["credentials"]["oidc_tokens"].items()}
        foreign = MaasApiServer(*secret_files(plane, namespace, "foreign-cert", work / "foreign"),
                                scenario["resources"], api_keys)
        servers.append(foreign)

        # Real ServiceAccount tokens in place of the contract's Kubernetes tokens.
        plane.kubectl("create", "serviceaccount", "alice", "-n", namespace)
        audience = plane.module("modelserving.maas.token_audience", namespace=namespace)
        assert audience.get("failed") is not True, audience
        kube_tokens = {"kube-alice": plane.kubectl("create", "token", "alice", "-n", namespace,
                                                   "--duration=1h").stdout.strip()}
        foreign_audience_token = plane.kubectl("create", "token", "alice", "-n", namespace, "--duration=1h",
                                               "--audience=someone-else").stdout.strip()

        # Our policies for qwen3, one route per variant: both selection modes, and one whose maas-api is
        # certified by another CA. Each variant's policies are renamed after its route, nothing else.
        variants = {"subscription": ("subscription", maas_api.url), "groups": ("groups", maas_api.url),
                    "foreign": ("subscription", foreign.url)}
        policies, docs = {}, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "llm"}}]
        for variant, (mode, url) in variants.items():
            generated = generate(scenario["resources"], routes=scenario["routes"], selection=mode,
                                 maas_api_url=url, audiences=audience["audiences"], gateway=GATEWAY)
            by_name = {(o["kind"], o["metadata"]["name"]): o for o in generated["objects"]}
            route = "qwen3-route-" + variant
            pair = {"auth": by_name[("AuthPolicy", "maas-auth-qwen3")],
                    "trlp": by_name[("TokenRateLimitPolicy", "maas-trlp-qwen3")]}
            for obj in pair.values():
                obj["metadata"]["name"] += "-" + variant
                obj["spec"]["targetRef"]["name"] = route
            policies[variant] = dict(pair, route=route, host="%s.maas.example.com" % variant)
            docs += [http_route(route, policies[variant]["host"]), pair["auth"], pair["trlp"]]
        plane.apply(*docs, manager="maas-policy-sync")
        kuadrant_plane.settle_platform()

        authorino = AuthorinoProcess(binary, plane.kubeconfig, KUADRANT_NS, listener_cert, listener_key, bundle, work)
        authorino.wait_listening(START_TIMEOUT)

        def loaded():
            items = plane.list("authconfigs.authorino.kuadrant.io", KUADRANT_NS)
            try:
                found = {v: authconfig_for_route(items, "llm", p["route"]) for v, p in policies.items()}
            except AssertionError:
                return None
            ready = all((c.get("status") or {}).get("summary", {}).get("ready") for c in found.values())
            return found if ready else None

        authconfigs = kuadrant_plane.operator.wait_for(loaded, READY_TIMEOUT,
                                                       "the operator's AuthConfigs for our routes, loaded by Authorino")
        scopes = {variant: config["metadata"]["name"] for variant, config in authconfigs.items()}
        grpc = GrpcClient("127.0.0.1:%d" % authorino.ports["grpc"], bundle.read_bytes(),
                          f"authorino-authorino-authorization.{namespace}.svc")
        try:
            yield World(plane=plane, namespace=namespace, authorino=authorino, grpc=grpc, bundle=bundle,
                        maas_api=maas_api, foreign=foreign, scopes=scopes, policies=policies,
                        hosts={variant: p["host"] for variant, p in policies.items()}, kuadrant=kuadrant_plane,
                        audiences=audience, kube_tokens=kube_tokens, oidc_tokens=oidc_tokens, issuer=issuer,
                        foreign_audience_token=foreign_audience_token,
                        authconfigs=authconfigs)
        finally:
            grpc.close()
    except BaseException:
        if authorino is not None:
            print("----- authorino.log (tail) -----\n" + "\n".join(authorino.log_lines()[-60:]), file=sys.stderr)
        raise
    finally:
        if authorino is not None:
            authorino.stop()
        for server in servers:
            server.stop()
        for variant in policies:
            for kind, name in (("authpolicy", "maas-auth-qwen3-"), ("tokenratelimitpolicy", "maas-trlp-qwen3-"),
                               ("httproute", "qwen3-route-")):
                plane.kubectl("delete", kind, name + variant, "-n", "llm", "--ignore-not-found", "--wait=false",
                              check=False)
        plane.delete_namespace(namespace)


@pytest.fixture(scope="module")
def gateway_config(world):
    """The wasm-shim configuration the operator wrote, once it holds our three routes' limits."""
    def written():
        envoyfilter = world.plane.get("envoyfilter", "kuadrant-" + GATEWAY["name"], GATEWAY["namespace"])
        if envoyfilter is None:
            return None
        config = dataplane.wasm_config_from_envoyfilter(envoyfilter)
        limitador = world.plane.get("limitadors.limitador.kuadrant.io", "limitador", KUADRANT_NS)
        have = [dataplane.limits_from_operator(p["trlp"], config, limitador, p["host"]) for p in world.policies.values()]
        complete = all(len(h) == len(p["trlp"]["spec"]["limits"]) and all(limit.rates for limit in h)
                       for h, p in zip(have, world.policies.values()))
        return (config, limitador) if complete else None
    return world.kuadrant.operator.wait_for(written, READY_TIMEOUT, "the operator's wasm-shim config and Limitador limits")


@pytest.fixture(scope="module")
def operator_limits(world, gateway_config):
    config, limitador = gateway_config
    return {variant: dataplane.limits_from_operator(p["trlp"], config, limitador, p["host"])
            for variant, p in world.policies.items()}


def expected(case, mode):
    return dict(case["expect"], **(case.get("expect_" + mode) or {}))


def authorino_says(world, since):
    """Authorino's log lines about the requests sent since a log offset, for a failure message."""
    lines = [line for line in world.authorino.log_lines(since) if '"request id"' in line or "error" in line.lower()]
    return "\n".join(lines[-12:])


def expected_identity(world, case):
    """userid and groups the identity object must carry for a caller the case lets through."""
    bearer = (case["request"].get("headers") or {}).get("authorization", "")[len("Bearer "):]
    if bearer in world.kube_tokens:
        user = f"system:serviceaccount:{world.namespace}:alice"
        return user, ["system:serviceaccounts", f"system:serviceaccounts:{world.namespace}", "system:authenticated"]
    claims = CONTRACT["scenario"]["credentials"]["oidc_tokens"].get(bearer)
    if claims is not None:
        return claims.get("preferred_username") or claims.get("sub"), list(claims.get("groups") or [])
    key = CONTRACT["scenario"]["credentials"]["api_keys"][bearer]
    return key["username"], list(key.get("groups") or [])


CASES = [pytest.param(case, mode, id="%s-%s" % (mode, case["name"]))
         for case in CONTRACT["cases"] for mode in MODES if mode in case.get("modes", MODES)]


@pytest.mark.parametrize("case,mode", CASES)
def test_real_authorino_answers_the_contract_case(world, operator_limits, cel, case, mode):
    why_not = replayable(case)
    if why_not:
        pytest.skip(why_not)
    want = expected(case, mode)
    request = case["request"]
    since = world.authorino.log_size()
    got = world.grpc.check(world.hosts[mode], request["method"], request["path"], world.headers(case),
                           world.scopes[mode])
    context = "\n%s\nAuthorino:\n%s" % (got, authorino_says(world, since))
    assert got.status == want["status"], context
    if want["status"] != 200:
        if "reason" in want:
            assert got.reason == want["reason"], context
            assert got.body.startswith(want["reason"] + ": "), context
        assert not got.metadata, "a denial publishes no identity" + context
        return

    # Upstream gets X-MaaS-Subscription (when one was selected) and a blanked Authorization, nothing else.
    forwarded = want.get("forwarded") or {}
    assert set(got.headers) <= {"x-maas-subscription", "authorization"}, context
    assert "authorization" in got.headers, context  # its value: test_authorization_reaches_the_model_blank
    for header, value in forwarded.items():
        if header != "authorization":
            assert got.headers.get(header) == value, (header, context)
    assert got.removed == [], context

    identity = got.identity
    userid, groups = expected_identity(world, case)
    limit_keys = want.get("counted", [])
    selected = limit_keys[0].split("@")[0] if limit_keys else ""
    assert identity.get("userid") == userid, context
    assert identity.get("groups") == groups, context
    assert identity.get("groups_str") == ",".join(groups), context
    assert identity.get("selected_subscription") == selected, context
    assert identity.get("selected_subscription_key") == (limit_keys[0] if limit_keys else ""), context
    assert got.headers.get("x-maas-subscription", "") == selected, context

    # Which token limit counts it: the operator's wasm-shim predicates on the identity Authorino returned.
    limits = operator_limits[mode]
    fired = dataplane.counted(cel, limits, request["method"], request["path"], world.headers(case), identity)
    assert fired == sorted(limit_keys), context
    assert all(rate[0] > 0 for limit in limits if limit.name in fired for rate in limit.rates), "no deny limit fires"


RAW_CASES = [pytest.param(case, id=case["name"]) for case in CONTRACT["cases"]
             if not replayable(case) and path_independent(case)]


@pytest.mark.parametrize("case", RAW_CASES)
def test_raw_http_endpoint_gives_the_same_answer(world, case):
    want = expected(case, "subscription")
    since = world.authorino.log_size()
    got = check_http(world.authorino.ports["http"], world.bundle, world.scopes["subscription"],
                     case["request"]["method"], world.headers(case))
    context = "\n%s\nAuthorino:\n%s" % (got, authorino_says(world, since))
    assert got.status == want["status"], context
    if "reason" in want:
        assert got.body.startswith(want["reason"] + ": "), context
    for header, value in (want.get("forwarded") or {}).items():
        if header != "authorization":
            assert got.headers.get(header) == value, (header, context)


# Authorino v0.24.0 hands a static `plain.value` to the header builder as the raw JSON it was given
# (controllers/auth_config_controller.go valueFrom: JSONValue{Static: user.Value}), which reaches the
# upstream request printed as a Go struct (`{[34 34] <nil>}` for ""); the policy blanks the header with
# an expression instead, and this proves the model receives it empty.
@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_authorization_reaches_the_model_blank(world, transport):
    headers = {"authorization": "Bearer sk-oai-alice"}
    if transport == "grpc":
        got = world.grpc.check(world.hosts["subscription"], "POST", "/llm/qwen3/v1/chat/completions", headers,
                               world.scopes["subscription"])
    else:
        got = check_http(world.authorino.ports["http"], world.bundle, world.scopes["subscription"], "POST", headers)
    assert got.status == 200, got
    assert got.headers["authorization"] == "", got.header_list


# Authorino v0.24.0 (pkg/service/auth.go buildResponseHeadersWithReason) appends its own
# x-ext-auth-reason, the deny rule's `message`, after the AuthConfig's headers: gRPC answers carry two
# values, the raw HTTP endpoint keeps the last. The policy's message is the reason itself, so every
# value a client can see is the contract's reason.
DENIALS = [pytest.param(case, id=case["name"]) for case in CONTRACT["cases"]
           if not replayable(case) and expected(case, "subscription").get("reason")]


@pytest.mark.parametrize("case", DENIALS)
def test_a_denial_carries_only_the_contract_reason_over_grpc(world, case):
    got = world.grpc.check(world.hosts["subscription"], case["request"]["method"], case["request"]["path"], world.headers(case),
                           world.scopes["subscription"])
    assert got.reasons and set(got.reasons) == {expected(case, "subscription")["reason"]}, got.header_list


@pytest.mark.parametrize("case", [c for c in DENIALS if path_independent(c.values[0])])
def test_a_denial_carries_the_contract_reason_over_raw_http(world, case):
    got = check_http(world.authorino.ports["http"], world.bundle, world.scopes["subscription"],
                     case["request"]["method"], world.headers(case))
    assert got.reasons and set(got.reasons) == {expected(case, "subscription")["reason"]}, got.header_list


def test_maas_api_was_asked_over_tls_with_the_callers_identity(world):
    """The answers above came from the stand-in: Authorino reached it through the mounted bundle."""
    validated = {body["key"] for body in world.maas_api.calls(VALIDATE)}
    assert {"sk-oai-alice", "sk-oai-bob", "sk-oai-revoked", "sk-oai-unknown"} <= validated
    selects = world.maas_api.calls(SELECT)
    assert {"groups": ["team-a", "system:authenticated"], "username": "bob",
            "requestedSubscription": "models-as-a-service/gold", "requestedModel": "llm/qwen3"} in selects
    assert world.maas_api.tls_failures == 0


def test_a_maas_api_certified_by_another_ca_is_never_reached(world):
    since = world.authorino.log_size()
    headers = {"authorization": "Bearer sk-oai-alice"}
    trusted = world.grpc.check(world.hosts["subscription"], "POST", "/llm/qwen3/v1/chat/completions", headers,
                               world.scopes["subscription"])
    refused = world.grpc.check(world.hosts["foreign"], "POST", "/llm/qwen3/v1/chat/completions", headers,
                               world.scopes["foreign"])
    assert trusted.status == 200, trusted
    assert (refused.status, refused.reason) == (403, "invalid_api_key"), refused
    assert world.foreign.requests == [], "Authorino sent a request to a server it should not trust"
    wait_until(lambda: world.foreign.tls_failures > 0, 10, "the foreign server sees the refused handshake")
    log = "\n".join(world.authorino.log_lines(since))
    assert "certificate signed by unknown authority" in log, log[-3000:]


def test_token_review_accepts_the_detected_audiences_and_nothing_else(world):
    detected = world.audiences
    assert detected["source"] == "token_request"
    assert "https://kubernetes.default.svc" not in detected["detected"], \
        "this plane's issuer differs from the default, so the detection is what makes tokens pass"
    review = world.authconfigs["subscription"]["spec"]["authentication"]["kubernetes-tokens"]["kubernetesTokenReview"]
    assert review["audiences"] == detected["audiences"]
    path = "/llm/qwen3/v1/models"
    good = world.grpc.check(world.hosts["subscription"], "GET", path, {"authorization": "Bearer " + world.kube_tokens["kube-alice"]},
                            world.scopes["subscription"])
    other = world.grpc.check(world.hosts["subscription"], "GET", path, {"authorization": "Bearer " + world.foreign_audience_token},
                             world.scopes["subscription"])
    assert good.status == 200, good
    assert other.status == 401, other


def test_identity_headers_a_caller_sends_are_refused_even_with_a_valid_key(world):
    for header in ("x-maas-username", "x-maas-group", "x-maas-key-id"):
        got = world.grpc.check(world.hosts["subscription"], "POST", "/llm/qwen3/v1/chat/completions",
                               {"authorization": "Bearer sk-oai-bob-gold", header: "anything"},
                               world.scopes["subscription"])
        assert (got.status, got.reason) == (403, "forged_identity_header"), (header, got)
        assert got.identity == {}, got


def test_oidc_tokens_are_verified_against_the_issuers_published_keys(world):
    frank = world.oidc_tokens["eyJmcmFuayJ9.eyJmcmFuayJ9.c2ln"]
    header, claims, signature = frank.split(".")
    forged_claims = base64.urlsafe_b64encode(base64.urlsafe_b64decode(claims + "==").replace(
        b'"frank"', b'"admin"')).rstrip(b"=").decode()
    path = "/llm/qwen3/v1/chat/completions"
    good = world.grpc.check(world.hosts["subscription"], "POST", path, {"authorization": "Bearer " + frank}, world.scopes["subscription"])
    forged = world.grpc.check(world.hosts["subscription"], "POST", path, {"authorization": "Bearer %s.%s.%s" % (
        header, forged_claims, signature)}, world.scopes["subscription"])
    assert good.status == 200 and good.identity["userid"] == "frank", good
    assert forged.status == 401, forged
    assert {"/realms/maas/.well-known/openid-configuration", "/realms/maas/jwks"} <= set(world.issuer.requests)


def test_the_operator_hands_the_data_plane_our_predicates_counters_and_rates(world, operator_limits):
    for variant, policy in world.policies.items():
        ours = [(lim.name, lim.predicates, lim.counters, lim.rates) for lim in dataplane.limits_from_trlp(policy["trlp"])]
        theirs = operator_limits[variant]
        assert [(lim.name, lim.predicates, lim.counters, lim.rates) for lim in theirs] == ours, variant
        for limit in theirs:
            assert limit.limitador_variables == ['descriptors[0]["%s"]' % c for c in limit.counters], limit


def test_the_wasm_shim_asks_authorino_under_the_authconfig_name_on_every_contract_path(world, gateway_config, cel):
    """The route's action set calls auth-service with the AuthConfig's name as scope (the key the replay
    sends), and its route conditions hold for every path the contract requests."""
    config = gateway_config[0]
    for variant, policy in world.policies.items():
        [action_set] = dataplane.action_sets_for(config, policy["host"])
        auth = [a for a in action_set["actions"] if a["service"] == "auth-service"]
        assert [a["scope"] for a in auth] == [world.scopes[variant]], action_set
        assert auth[0].get("predicates", []) == [], "our AuthPolicies have no top-level when"
        route_predicates = (action_set.get("routeRuleConditions") or {}).get("predicates") or []
        assert any("/llm/qwen3" in p for p in route_predicates), action_set["routeRuleConditions"]
        for case in CONTRACT["cases"]:
            env = dataplane.request_activation(case["request"]["method"], case["request"]["path"],
                                               case["request"].get("headers") or {}, {}, [])
            for predicate in route_predicates:
                result = cel.evaluate(predicate, env)
                assert result == {"ok": True, "value": True}, (variant, case["name"], predicate, result)
