"""maas-api's database (role maas_api, maas_api_database) on the local plane.

`provided` fails before anything is applied when the Secret maas-api reads is missing; `deploy`
creates an evaluation PostgreSQL whose generated password is kept in a Secret, never regenerated
and never in the output, even at -vvv. Where Debian's PostgreSQL is installed, the URL the role
writes is checked against a real server started for the test (the host part names the in-cluster
Service; the user, password and database parts are what a server checks).
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from plane import REPO

LABELS = {"app.kubernetes.io/part-of": "models-as-a-service", "app.kubernetes.io/managed-by": "modelserving.maas"}


def postgres_bin() -> Path | None:
    """Where Debian's postgresql keeps initdb and postgres (off PATH), as pg_config says."""
    if shutil.which("pg_config") is None:
        return None
    found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
    return Path(found.stdout.strip()) if found.returncode == 0 else None


@pytest.fixture
def site(plane, maas_crds, tmp_path):
    api, gateway, tenant = (plane.create_namespace(p) for p in ("dbapi", "dbgw", "dbmas"))
    plane.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                 "metadata": {"name": "maas-default-gateway", "namespace": gateway},
                 "spec": {"gatewayClassName": "openshift-default",
                          "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}},
                {"apiVersion": "maas.opendatahub.io/v1alpha1", "kind": "Tenant",
                 "metadata": {"name": "default-tenant", "namespace": tenant}, "spec": {}})
    playbook = tmp_path / "maas_api.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  roles:\n"
                        "    - role: modelserving.maas.maas_api\n")
    base = {"maas_api_namespace": api, "maas_gateway_namespace": gateway, "maas_subscription_namespace": tenant,
            "maas_token_audiences": ["https://kubernetes.default.svc"]}

    def run(check=False, **extra):
        return plane.playbook(playbook, extra_vars={**base, **extra}, check=check)

    def run_verbose(**extra):
        """ansible-playbook -vvv with the default callback: everything a job log would show."""
        env = plane.ansible_env()
        cmd = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-vvv", str(playbook),
               "-e", json.dumps({**base, **extra})]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)

    yield {"api": api, "run": run, "run_verbose": run_verbose}
    plane.kubectl("delete", "clusterrolebinding", "maas-api", "--ignore-not-found", check=False)
    for name in (api, gateway, tenant):
        plane.delete_namespace(name)


def secret_data(plane, name, namespace) -> dict:
    secret = plane.get("secret", name, namespace)
    return {k: base64.b64decode(v).decode() for k, v in (secret or {}).get("data", {}).items()}


def test_provided_without_the_secret_fails_before_anything_is_applied(plane, site):
    run = site["run"]()
    assert not run.ok
    assert f"Secret {site['api']}/maas-db-config with key DB_CONNECTION_URL does not exist" in run.proc.stdout
    assert "maas_api_database to deploy" in run.proc.stdout
    assert plane.get("deployment", "maas-api", site["api"]) is None

    # The same run succeeds once the Secret is there: the failure was the missing Secret.
    plane.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "maas-db-config", "namespace": site["api"]},
                 "stringData": {"DB_CONNECTION_URL": "postgresql://maas:pw@db.example:5432/maas"}})
    again = site["run"]()
    assert again.ok, again.explain()
    assert plane.get("deployment", "maas-api", site["api"]) is not None


def test_deploy_with_a_connection_url_is_refused(plane, site):
    run = site["run"](maas_api_database="deploy", maas_api_db_connection_url="postgresql://a:b@c/d")
    assert not run.ok
    assert "maas_api_database deploy writes the connection URL itself" in run.proc.stdout


def test_deploy_creates_the_database_once_and_never_logs_the_password(plane, site):
    api = site["api"]
    first = site["run_verbose"](maas_api_database="deploy")
    assert first.returncode == 0, first.stdout[-5000:]
    credentials = secret_data(plane, "maas-postgres-credentials", api)
    password = credentials["POSTGRESQL_PASSWORD"]
    assert len(password) == 32 and password.isalnum()
    assert (credentials["POSTGRESQL_USER"], credentials["POSTGRESQL_DATABASE"]) == ("maas", "maas")
    url = secret_data(plane, "maas-db-config", api)["DB_CONNECTION_URL"]
    assert url == f"postgresql://maas:{password}@maas-postgres.{api}.svc.cluster.local:5432/maas?sslmode=disable"
    # -vvv prints every task's arguments and results: the password appears in none of them.
    assert password not in first.stdout and password not in first.stderr
    assert base64.b64encode(password.encode()).decode() not in first.stdout

    statefulset = plane.get("statefulset", "maas-postgres", api)
    assert statefulset["spec"]["replicas"] == 1
    [claim] = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    [container] = statefulset["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert env["POSTGRESQL_PASSWORD"] == {"name": "maas-postgres-credentials", "key": "POSTGRESQL_PASSWORD"}
    assert plane.get("service", "maas-postgres", api)["spec"]["ports"][0]["port"] == 5432
    policy = plane.get("networkpolicy", "maas-postgres-allow-maas-api", api)["spec"]
    assert policy["ingress"][0]["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "maas-api"}}}]
    for kind, name in (("statefulset", "maas-postgres"), ("service", "maas-postgres"),
                       ("networkpolicy", "maas-postgres-allow-maas-api"), ("secret", "maas-postgres-credentials"),
                       ("secret", "maas-db-config")):
        assert LABELS.items() <= plane.get(kind, name, api)["metadata"]["labels"].items(), (kind, name)

    # Never regenerated: a second run keeps the password and changes nothing.
    second = site["run"](maas_api_database="deploy")
    assert second.ok and second.changed == 0, second.changed_tasks()
    assert secret_data(plane, "maas-postgres-credentials", api)["POSTGRESQL_PASSWORD"] == password


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres():
    """A PostgreSQL server on 127.0.0.1 in a temporary directory, run as `nobody` (it refuses root)."""
    pg_bin = postgres_bin()
    if pg_bin is None or not (pg_bin / "initdb").exists() or shutil.which("psql") is None:
        pytest.skip("Debian's postgresql is not installed (apt-get install postgresql)")
    work = Path(tempfile.mkdtemp(prefix="maas-pg-"))
    os.chmod(work, 0o755)
    data, port = work / "data", free_port()
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    shutil.chown(work, "nobody", "nogroup")
    subprocess.run(as_nobody + [str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
                   check=True, capture_output=True)
    # Password authentication over TCP, as maas-api connects; trust only on the local socket (setup).
    (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
    server = subprocess.Popen(as_nobody + [str(pg_bin / "postgres"), "-D", str(data), "-p", str(port),
                                           "-c", "listen_addresses=127.0.0.1", "-k", str(work)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _attempt in range(100):
        ready = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(port)], capture_output=True, check=False)
        if ready.returncode == 0:
            break
        time.sleep(0.1)
    else:
        server.kill()
        pytest.fail("the test PostgreSQL did not start")

    def sql(statement):
        subprocess.run(as_nobody + ["psql", "-h", str(work), "-p", str(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1",
                                    "-c", statement], check=True, capture_output=True)

    yield {"port": port, "sql": sql}
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)


def test_the_url_the_role_writes_connects_to_a_server_holding_those_credentials(plane, site, postgres):
    api = site["api"]
    run = site["run"](maas_api_database="deploy")
    assert run.ok, run.explain()
    credentials = secret_data(plane, "maas-postgres-credentials", api)
    # What the image does at first start with POSTGRESQL_USER / _PASSWORD / _DATABASE.
    user, password = credentials["POSTGRESQL_USER"], credentials["POSTGRESQL_PASSWORD"]
    postgres["sql"]("CREATE ROLE %s LOGIN PASSWORD '%s'" % (user, password))
    postgres["sql"]("CREATE DATABASE %s OWNER %s" % (credentials["POSTGRESQL_DATABASE"],
                                                     credentials["POSTGRESQL_USER"]))
    url = urlsplit(secret_data(plane, "maas-db-config", api)["DB_CONNECTION_URL"])
    # The host is the in-cluster Service; here the same server is on 127.0.0.1.
    local = urlunsplit(url._replace(netloc="%s:%s@127.0.0.1:%d" % (url.username, url.password, postgres["port"])))
    answer = subprocess.run(["psql", local, "-tAc", "select current_user || ' ' || current_database()"],
                            capture_output=True, text=True, check=False)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "maas maas"
    # And a wrong password is refused: the check above is the server verifying the credentials.
    wrong_netloc = "%s:wrong-%s@127.0.0.1:%d" % (url.username, uuid.uuid4().hex, postgres["port"])
    wrong = urlunsplit(url._replace(netloc=wrong_netloc))
    refused = subprocess.run(["psql", wrong, "-tAc", "select 1"], capture_output=True, text=True, check=False)
    assert refused.returncode != 0 and "password authentication failed" in refused.stderr


def test_deploy_in_check_mode_before_the_namespace_exists_writes_nothing(plane, site):
    # The first site.yml --check: maas-api's namespace is created by an earlier role, not yet.
    missing = "dbmissing-" + uuid.uuid4().hex[:8]
    run = site["run"](check=True, maas_api_database="deploy", maas_api_namespace=missing)
    assert run.ok, run.explain()
    assert run.changed > 0
    assert plane.get("namespace", missing) is None
