"""The automation's least-privilege identities (role automation_identity).

On a private plane, an administrator runs the role; the demo (hack/rbac_rules.py `scenario`: site.yml
on an empty cluster, with models, in check mode; reconcile.yml after drift, a prune, without tiers,
in envoyfilter mode) then runs as the two ServiceAccounts it made, authenticating only through
K8S_AUTH_HOST, K8S_AUTH_API_KEY and K8S_AUTH_SSL_CA_CERT, as an AWX credential injects them: no
KUBECONFIG, no K8S_AUTH_KUBECONFIG, no ~/.kube. A request the committed rules
(roles/automation_identity/vars/rules.yml) do not cover makes a run fail here.
"""

import base64
import json
import subprocess
import sys
import time

import pytest
import yaml

from plane import REPO, Plane, PlaybookRun, request_key

sys.path.insert(0, str(REPO / "hack"))

import rbac_rules  # noqa: E402

NAMESPACE = "maas-automation"
ACCOUNTS = {"site": "maas-automation-site", "reconcile": "maas-automation-reconcile"}
IDENTITY_VARS = {"automation_identity_enabled": True, "automation_identity_model_namespaces": ["llm"]}
ROLE_PLAY = """---
- name: Automation identities
  hosts: localhost
  gather_facts: false
  roles:
    - role: modelserving.maas.automation_identity
"""


def user(identity):
    return "system:serviceaccount:%s:%s" % (NAMESPACE, ACCOUNTS[identity])


class Identities:
    def __init__(self, plane, workdir):
        self.plane = plane
        self.workdir = workdir
        self.home = workdir / "home"
        self.home.mkdir()
        self.server = json.loads(plane.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
        self.tokens = {}
        self.runs = []

    def apply_role(self, check=False):
        path = self.workdir / "identity.yml"
        path.write_text(ROLE_PLAY)
        return self.plane.playbook(path, extra_vars=IDENTITY_VARS, check=check)

    def mint_tokens(self):
        for identity, account in ACCOUNTS.items():
            self.tokens[identity] = self.plane.kubectl("-n", NAMESPACE, "create", "token", account,
                                                       "--duration=2h").stdout.strip()

    def env(self, identity):
        """What an AWX "OpenShift or Kubernetes API Bearer Token" credential gives the job, and
        nothing else that could authenticate: a HOME without .kube."""
        env = {k: v for k, v in self.plane.ansible_env().items()
               if not k.startswith("K8S_AUTH_") and k != "KUBECONFIG"}
        env.update({"HOME": str(self.home), "K8S_AUTH_HOST": self.server, "K8S_AUTH_API_KEY": self.tokens[identity],
                    "K8S_AUTH_SSL_CA_CERT": str(self.plane.state_dir / "pki" / "ca.crt"),
                    "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"})
        return env

    def run(self, identity, playbook, extra_vars, check=False, diff=False):
        cmd = [str(REPO / ".venv" / "bin" / "ansible-playbook"), str(playbook), "-e", json.dumps(extra_vars)]
        cmd += ["--check"] if check else []
        cmd += ["--diff"] if diff else []
        result = PlaybookRun(subprocess.run(cmd, capture_output=True, text=True, env=self.env(identity), cwd=REPO,
                                            check=False))
        self.runs.append((identity, playbook.name, result))
        assert result.ok, "%s as %s failed:\n%s" % (playbook.name, user(identity), result.explain())
        return result


@pytest.fixture(scope="module")
def identities(tmp_path_factory):
    """The plane after the administrator ran the role and the whole scenario ran as the identities."""
    plane = Plane.start_private()
    try:
        made = Identities(plane, tmp_path_factory.mktemp("automation-identity"))
        made.created = made.apply_role()
        assert made.created.ok, made.created.explain()
        made.second = made.apply_role()
        made.mint_tokens()
        made.mark = plane.audit_mark()
        rbac_rules.scenario(plane, made.run)
        made.end = plane.audit_mark()
        yield made
    finally:
        plane.stop()


def test_the_role_creates_the_identities_and_a_second_run_changes_nothing(identities):
    assert identities.created.changed > 0, identities.created.explain()
    assert identities.second.ok and identities.second.changed == 0, identities.second.explain()
    plane = identities.plane
    for account in ACCOUNTS.values():
        assert plane.get("serviceaccount", account, NAMESPACE)
        assert plane.get("clusterrole", account)
        assert plane.get("role", account + "-models", "llm")
    # The reconcile identity is the smaller one: it cannot install (CRDs, maas-api) what site does.
    reconcile_rules = plane.get("clusterrole", ACCOUNTS["reconcile"])["rules"]
    assert not [r for r in reconcile_rules if "customresourcedefinitions" in r["resources"] and "patch" in r["verbs"]]
    # In maas-api's namespace it only reads (the Deployment, the database's StatefulSet and Secret,
    # for the Tenant status it writes last): it installs nothing there.
    api_rules = plane.get("role", ACCOUNTS["reconcile"] + "-api", "opendatahub")["rules"]
    assert {verb for rule in api_rules for verb in rule["verbs"]} == {"get"}


def test_site_and_reconcile_pass_as_their_service_accounts_with_the_awx_variables_only(identities):
    plane = identities.plane
    ran = {(run[0], run[1]) for run in identities.runs}
    assert ran == {("site", "site.yml"), ("reconcile", "reconcile.yml")}
    # Every request came from the ServiceAccounts (K8S_AUTH_* reached every module, kubernetes.core's
    # k8s_info too), none from the certificate user of the plane's kubeconfigs; none was refused.
    for identity in ACCOUNTS:
        events = plane.audited(identities.mark, must_see=["list maasmodelrefs"], user=user(identity))
        refused = sorted({request_key(e) + " in " + (e.get("objectRef") or {}).get("namespace", "-")
                          for e in events if e.get("responseStatus", {}).get("code") == 403})
        assert not refused, "%s was refused %s: a task swallowed a 403" % (user(identity), refused)
    assert not plane._events(identities.mark, identities.end, "maas-automation")
    # The policies really were written by the reconcile identity.
    writes = [e for e in plane._events(identities.mark, identities.end, user("reconcile")) if e["verb"] == "patch"]
    assert any((e.get("objectRef") or {}).get("resource") == "authpolicies" for e in writes)


def test_a_verb_removed_from_the_rules_fails_the_run_naming_verb_resource_and_namespace(identities):
    plane = identities.plane
    name = ACCOUNTS["reconcile"] + "-models"
    role = plane.get("role", name, "llm")
    rules = []
    for rule in role["rules"]:
        if "authpolicies" in rule["resources"] and "patch" in rule["verbs"]:
            others = [r for r in rule["resources"] if r != "authpolicies"]
            if others:
                rules.append(dict(rule, resources=others))
            rules.append(dict(rule, resources=["authpolicies"], verbs=[v for v in rule["verbs"] if v != "patch"]))
        else:
            rules.append(rule)
    plane.kubectl("replace", "-f", "-", input=yaml.safe_dump(dict(role, rules=rules)))
    plane.kubectl("-n", "llm", "delete", "authpolicies.kuadrant.io", "maas-auth-facebook-opt-125m")
    try:
        env = identities.env("reconcile")
        proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), str(rbac_rules.RECONCILE),
                               "-e", json.dumps(rbac_rules.demo_vars())],
                              capture_output=True, text=True, env=env, cwd=REPO, check=False)
        result = PlaybookRun(proc)
        assert not result.ok, result.explain()
        failed = [r for r in result.task_results().values() if r.get("failed")]
        messages = " ".join(r.get("msg", "") for r in failed)
        assert 'cannot patch resource "authpolicies" in API group "kuadrant.io" in the namespace "llm"' in messages, \
            result.explain()
        assert user("reconcile") in messages
        assert "modelserving.maas.automation_identity" in messages
    finally:
        # The role puts the verb back, and the next run converges again.
        assert identities.apply_role().ok
        identities.run("reconcile", rbac_rules.RECONCILE, rbac_rules.demo_vars())
        assert plane.get("authpolicies.kuadrant.io", "maas-auth-facebook-opt-125m", "llm")


def test_the_check_mode_of_the_role_writes_nothing(identities):
    mark = identities.plane.audit_mark()
    run = identities.apply_role(check=True)
    assert run.ok and run.changed == 0, run.explain()
    events = identities.plane.audited(mark, must_see=["get serviceaccounts"])
    assert not [e for e in events if e["verb"] in {"create", "update", "patch", "delete"}
                and "dryRun" not in e.get("requestURI", "")]


def test_token_secrets_give_each_identity_a_token_that_does_not_expire(identities):
    plane = identities.plane
    path = identities.workdir / "identity.yml"
    run = plane.playbook(path, extra_vars=dict(IDENTITY_VARS, automation_identity_token_secrets=True))
    assert run.ok, run.explain()
    for identity, account in ACCOUNTS.items():
        deadline = time.monotonic() + 10
        secret = plane.get("secret", account, NAMESPACE) or {}
        while not (secret.get("data") or {}).get("token") and time.monotonic() < deadline:
            time.sleep(0.2)
            secret = plane.get("secret", account, NAMESPACE) or {}
        token = (secret.get("data") or {}).get("token", "")
        assert secret["type"] == "kubernetes.io/service-account-token" and token, secret
        claims = base64.urlsafe_b64decode(base64.b64decode(token).decode().split(".")[1] + "==")
        assert "exp" not in json.loads(claims)
        whoami = subprocess.run([plane.kubectl_bin, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}",
                                 "--server", identities.server, "--token", base64.b64decode(token).decode(),
                                 "--certificate-authority", str(plane.state_dir / "pki" / "ca.crt")],
                                env=identities.env(identity), capture_output=True, text=True, check=False)
        assert whoami.stdout == user(identity), whoami.stderr
