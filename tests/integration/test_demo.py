"""The README's promise about `make demo`: it runs again on the plane it left, and the second run of
playbooks/site.yml reports changed=0. Runs hack/demo.sh itself, on a plane of its own."""

import os
import re
import subprocess
import sys

import pytest

from plane import REPO

RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def site_recap(output):
    """(ok, changed, unreachable, failed) of the site.yml run in demo.sh's output."""
    site = output.split("== playbooks/site.yml", 1)[1].split("== what the collection created", 1)[0]
    found = RECAP.findall(site)
    assert len(found) == 1, f"one PLAY RECAP line for site.yml, found {found}:\n{site[-3000:]}"
    return tuple(int(n) for n in found[0])


@pytest.fixture
def demo_state(tmp_path):
    state = tmp_path / "demo-plane"
    yield state
    subprocess.run([sys.executable, str(REPO / "hack/localcluster.py"), "down", "--state-dir", str(state)],
                   cwd=REPO, capture_output=True, check=False)


def run_demo(state):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("K8S_AUTH_", "KUBECONFIG", "ANSIBLE_"))}
    env["ANSIBLE_NOCOLOR"] = "1"
    proc = subprocess.run(["bash", "hack/demo.sh", str(state)], cwd=REPO, env=env, capture_output=True, text=True,
                          check=False, timeout=1500)
    assert proc.returncode == 0, f"demo.sh failed (rc={proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    return proc.stdout


def test_the_demo_runs_twice_and_the_second_site_run_changes_nothing(demo_state):
    first = site_recap(run_demo(demo_state))
    # The first run is what makes "changed=0" mean something: it did change the empty plane.
    assert first[1] > 0 and first[3] == 0, first
    second = site_recap(run_demo(demo_state))
    assert second[3] == 0 and second[1] == 0, f"second site.yml run: ok, changed, unreachable, failed = {second}"
