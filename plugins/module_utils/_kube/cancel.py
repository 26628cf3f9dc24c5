# -*- coding: utf-8 -*-
# Copyright: (c) 2026, modelserving.maas contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: used by the modules and plugins of modelserving.maas only; not a public API.
"""Whether the playbook that started this module is still there, so a cancelled job stops writing.

Ansible runs a module under `/bin/sh -c`, below a worker process that leads its own session, below
ansible-playbook. SIGKILL of the playbook's process group (a cancelled CI or AWX job) kills only
ansible-playbook: the worker lives on, reparented, holding the module's stdout open, so nothing the
module can see on its own pipes or in `os.getppid()` changes, and it would make every remaining write.

A process's parent changes only when that parent exits. So the chain of (pid, parent pid) from this
process up to the nearest session leader, recorded at start, tells: when a process of the chain is
gone or has another parent, the playbook is gone. The chain stops at the session leader (the worker)
because what runs ansible-playbook may come and go (`nohup ansible-playbook ... &` outlives its
shell), and at pid 1. Without /proc only this process's own parent can be watched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import os

# What /proc/<pid>/stat says of a process that matters here.
Stat = collections.namedtuple("Stat", ["ppid", "session", "state"])
# Exited, waiting to be reaped: its children have already been reparented.
EXITED_STATES = ("Z", "X")
MAX_DEPTH = 64


def parse_stat(text):
    """The Stat in a /proc/<pid>/stat line, or None when it does not parse.

    The command name (field 2) is in parentheses and may itself hold spaces and parentheses, so the
    fields are read after its last closing parenthesis."""
    paren, rest = text.rpartition(")")[1:]
    fields = rest.split()
    if not paren or len(fields) < 4:
        return None
    try:
        return Stat(ppid=int(fields[1]), session=int(fields[3]), state=fields[0])
    except ValueError:
        return None


def proc_stat(pid):
    """The Stat of process `pid` from /proc, or None when it does not exist (or cannot be read)."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return parse_stat(stat.read())
    except (IOError, OSError):
        return None


def ancestry(pid, read_stat):
    """((pid, parent pid), ...) from `pid` up to the nearest session leader, or up to pid 1.

    `read_stat(pid)` is a Stat or None (proc_stat, or a fake in tests)."""
    chain = []
    while pid > 1 and len(chain) < MAX_DEPTH:
        stat = read_stat(pid)
        if stat is None:
            break
        chain.append((pid, stat.ppid))
        if stat.session == pid:
            break
        pid = stat.ppid
    return tuple(chain)


def departure(chain, read_stat):
    """Why the chain recorded by `ancestry` no longer holds (a process exited), or None."""
    for pid, ppid in chain:
        stat = read_stat(pid)
        if stat is None or stat.state in EXITED_STATES:
            return "process %d has exited" % pid
        if stat.ppid != ppid:
            return "process %d, parent of %d, has exited" % (ppid, pid)
    return None


class ControllerWatch(object):
    """The recorded chain of this process's ancestors; `gone()` says why it broke, or None.

    Once broken it stays broken (the answer cannot change back), so later checks cost nothing."""

    def __init__(self, chain, read_stat):
        self.chain = chain
        self._read_stat = read_stat
        self._gone = None

    @classmethod
    def of_this_process(cls):
        """The watch of this process's ancestors, from /proc, or of its parent alone without /proc."""
        if proc_stat(os.getpid()) is not None:
            return cls(ancestry(os.getpid(), proc_stat), proc_stat)
        return cls(((os.getpid(), os.getppid()),), own_stat)

    def gone(self):
        if self._gone is None:
            self._gone = departure(self.chain, self._read_stat)
        return self._gone


def own_stat(pid):
    """A Stat holding only this process's parent: what can be known without /proc."""
    if pid != os.getpid():
        return None
    return Stat(ppid=os.getppid(), session=None, state="R")
