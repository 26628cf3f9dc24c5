"""A module whose playbook was killed stops writing, on the real API server.

Each test is one finding of a hostile trial run: it failed on the collection before the fix."""

import os
import signal
import subprocess
import time

from plane import REPO, writes
from test_maas_policy_sync import MAAS, world  # noqa: F401 pylint: disable=unused-import


# -- 8. a killed job stops writing -------------------------------------------------------------


def end_processes_naming(marker):
    """SIGKILL every process whose command line contains `marker` (bounded: one pass over /proc)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if marker.encode() in cmdline.read():
                    os.kill(int(entry), signal.SIGKILL)
        except OSError:
            continue


def test_killing_the_playbook_stops_the_module_writing(world, tmp_path):
    plane = world.plane
    models = [f"m{i:03d}" for i in range(300)]
    plane.apply(*[{"apiVersion": MAAS, "kind": "MaaSModelRef", "metadata": {"name": name, "namespace": world.ns},
                   "spec": {"modelRef": {"kind": "ExternalModel", "name": name},
                            "endpointOverride": f"https://{name}.example.com"}} for name in models])
    world.access("team-a-access", models)
    playbook = tmp_path / "sync.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                        "    - modelserving.maas.maas_policy_sync: {workers: 1}\n")
    mark = plane.audit_mark()
    # ansible-playbook leads its own process group, as a CI runner or AWX starts it; the kill is
    # the job being cancelled.
    proc = subprocess.Popen([str(REPO / ".venv" / "bin" / "ansible-playbook"), str(playbook)], env=plane.ansible_env(),
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        # Watched without waiting for the audit log to settle: the run writes hundreds of objects a
        # second, so a settled look would come after the run has finished.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(writes(plane.requests_so_far(mark))) < 20:
            time.sleep(0.05)
        assert len(writes(plane.requests_so_far(mark))) >= 20, "the run never started writing"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    at_kill = len(writes(plane.requests_so_far(mark)))
    time.sleep(3)
    settled = len(writes(plane.requests_since(mark)))
    time.sleep(5)
    after = len(writes(plane.requests_since(mark)))
    print(f"writes: {at_kill} when killed, {settled} 3 s later, {after} 8 s later")
    # Ansible's worker lives in a session of its own and outlives the kill, waiting for a
    # controller that is gone: end what is left of this run so that no process outlives the test.
    end_processes_naming(str(playbook))
    assert after == settled, "the module kept writing after its playbook was killed"
    assert settled < 2 * len(models), "the module finished every write instead of stopping"
