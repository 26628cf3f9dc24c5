"""A module notices that the playbook which started it is gone, from a fake /proc."""

import os

from ansible_collections.modelserving.maas.plugins.module_utils._kube import cancel
from ansible_collections.modelserving.maas.plugins.module_utils._kube.cancel import ControllerWatch, Stat


def stat_line(pid, comm, state, ppid, session):
    return "%d (%s) %s %d %d %d 34816 1234 4194560 0 0 0 0 0 0 20 0 1 0 987 0 0" % (
        pid, comm, state, ppid, ppid, session)


class FakeProc(object):
    """Processes as /proc shows them: {pid: Stat}; a process can exit (its children go to pid 1)."""

    def __init__(self, processes):
        self.processes = dict(processes)

    def __call__(self, pid):
        return self.processes.get(pid)

    def kill(self, pid, reaper=1):
        del self.processes[pid]
        for child, stat in list(self.processes.items()):
            if stat.ppid == pid:
                self.processes[child] = stat._replace(ppid=reaper)


def ansible_run():
    """module 400 < sh 300 < worker 200 (own session) < ansible-playbook 100 < bash 50 < init 1."""
    return FakeProc({
        400: Stat(ppid=300, session=200, state="R"),
        300: Stat(ppid=200, session=200, state="S"),
        200: Stat(ppid=100, session=200, state="S"),
        100: Stat(ppid=50, session=100, state="S"),
        50: Stat(ppid=1, session=50, state="S"),
        1: Stat(ppid=0, session=1, state="S"),
    })


def test_a_stat_line_parses_even_when_the_command_name_holds_spaces_and_parentheses():
    assert cancel.parse_stat(stat_line(400, "python3 (x) y", "R", 300, 200)) == Stat(ppid=300, session=200, state="R")
    assert cancel.parse_stat("400 (python") is None
    assert cancel.parse_stat("") is None


def test_the_chain_is_recorded_up_to_the_session_leader_the_worker():
    assert cancel.ancestry(400, ansible_run()) == ((400, 300), (300, 200), (200, 100))


def test_without_a_session_leader_the_chain_stops_below_pid_1():
    proc = FakeProc({30: Stat(ppid=20, session=5, state="R"), 20: Stat(ppid=1, session=5, state="S")})
    assert cancel.ancestry(30, proc) == ((30, 20), (20, 1))


def test_killing_ansible_playbook_breaks_the_chain_though_the_worker_lives_on():
    proc = ansible_run()
    watch = ControllerWatch(cancel.ancestry(400, proc), proc)
    assert watch.gone() is None
    proc.kill(100)
    assert 200 in proc.processes and proc(400).ppid == 300  # what os.getppid() sees has not changed
    assert watch.gone() == "process 100, parent of 200, has exited"


def test_a_departed_process_that_is_not_reaped_yet_counts_as_gone():
    proc = ansible_run()
    chain = cancel.ancestry(400, proc)
    proc.processes[300] = proc.processes[300]._replace(state="Z")
    assert cancel.departure(chain, proc) == "process 300 has exited"


def test_the_shell_that_ran_ansible_playbook_may_exit():
    proc = ansible_run()
    watch = ControllerWatch(cancel.ancestry(400, proc), proc)
    proc.kill(50)  # nohup ansible-playbook ... & and the terminal closed
    assert watch.gone() is None


def test_once_gone_the_watch_stays_gone_without_reading_proc_again():
    proc = ansible_run()
    watch = ControllerWatch(cancel.ancestry(400, proc), proc)
    proc.kill(100)
    assert watch.gone()
    proc.processes = {}
    assert watch.gone() == "process 100, parent of 200, has exited"


def test_this_process_is_watched_from_proc_or_by_its_parent_alone(monkeypatch):
    watch = ControllerWatch.of_this_process()
    assert watch.chain[0] == (os.getpid(), os.getppid()) and watch.gone() is None

    monkeypatch.setattr(cancel, "proc_stat", lambda pid: None)
    fallback = ControllerWatch.of_this_process()
    assert fallback.chain == ((os.getpid(), os.getppid()),) and fallback.gone() is None
    monkeypatch.setattr(os, "getppid", lambda: 1)
    assert fallback.gone() == "process %d, parent of %d, has exited" % (watch.chain[0][1], os.getpid())
