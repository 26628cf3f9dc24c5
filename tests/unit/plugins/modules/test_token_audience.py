"""token_audience through its run(): a dry-run TokenRequest answered by the cluster double."""

import base64
import json

import pytest

from ansible_collections.modelserving.maas.plugins.module_utils._kube.runner import ModuleFailure
from ansible_collections.modelserving.maas.plugins.modules import token_audience
from ansible_collections.modelserving.maas.tests.unit.utils.cluster_double import ClusterDouble, context
from ansible_collections.modelserving.maas.tests.unit.utils.module_args import params_for

ISSUER = "https://kubernetes.default.svc.cluster.local"


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(claims):
    return ".".join([b64url(b'{"alg":"RS256"}'), b64url(json.dumps(claims).encode()), b64url(b"signature")])


TOKEN = jwt({"aud": [ISSUER], "iss": ISSUER, "sub": "system:serviceaccount:opendatahub:default"})


def service_account(namespace="opendatahub", name="default"):
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}}


def cluster_issuing(*objects):
    cluster = ClusterDouble(objects)
    cluster.handlers[("POST", "ServiceAccount", "token")] = \
        lambda namespace, name, body, query: dict(body, status={"token": TOKEN, "expirationTimestamp": "soon"})
    return cluster


def run(cluster, **params):
    return token_audience.run(params_for(token_audience, **params), context(cluster))


def test_the_audience_is_read_from_a_dry_run_token_request_that_is_never_returned():
    cluster = cluster_issuing(service_account())
    result = run(cluster, namespace="opendatahub")
    assert result == {"changed": False, "source": "token_request", "detected": [ISSUER], "issuer": ISSUER,
                      "audiences": [ISSUER, "maas-default-gateway-sa"]}
    assert cluster.requests == [("create", "v1", "ServiceAccount", "opendatahub", "default", True)]
    assert cluster.writes() == []
    assert TOKEN not in json.dumps(result)


def test_override_makes_no_request():
    cluster = cluster_issuing(service_account())
    run(cluster, namespace="opendatahub")
    assert cluster.requests, "detection requests a token"

    untouched = cluster_issuing(service_account())
    result = run(untouched, override_audiences=["https://oidc.example.com/cluster", " "])
    assert result == {"changed": False, "source": "override", "detected": [], "issuer": None,
                      "audiences": ["https://oidc.example.com/cluster", "maas-default-gateway-sa"]}
    assert untouched.requests == []


def test_check_mode_reads_the_audience_with_default_default_when_the_namespace_is_not_there_yet():
    cluster = cluster_issuing(service_account("default"),
                              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    cluster.strict_namespaces = True
    ctx = context(cluster, check_mode=True)
    result = token_audience.run(params_for(token_audience, namespace="opendatahub"), ctx)
    assert result["detected"] == [ISSUER]
    assert [r[3] for r in cluster.requests] == ["opendatahub", "default"]
    assert ctx.warnings == ["namespace opendatahub does not exist yet (an earlier task would create it): check "
                            "mode reads the audiences with ServiceAccount default/default instead"]


def test_a_missing_service_account_fails_with_a_hint_after_the_wait():
    cluster = cluster_issuing()
    with pytest.raises(ModuleFailure) as failure:
        run(cluster, namespace="opendatahub", service_account="maas-api", wait_timeout=0)
    assert failure.value.msg == ('ServiceAccount opendatahub/maas-api: cannot request a token to read the '
                                 'cluster\'s audience: serviceaccounts "maas-api" not found (create it, or give '
                                 'the audiences with override_audiences / maas_token_audiences)')


def test_a_token_that_is_not_a_jwt_fails_without_repeating_it():
    cluster = ClusterDouble([service_account()])
    cluster.handlers[("POST", "ServiceAccount", "token")] = lambda *args: {"status": {"token": "opaque-secret"}}
    with pytest.raises(ModuleFailure) as failure:
        run(cluster, namespace="opendatahub")
    assert failure.value.msg == ("ServiceAccount opendatahub/default: the API server returned a token this module "
                                 "cannot read: the token is not a JWT: it has 1 dot-separated parts, not 3")
