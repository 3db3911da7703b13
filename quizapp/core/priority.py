"""CPU priority of the processes that compute: below the web's, so pages answer while a demo trains."""

from __future__ import annotations

import os

from django.conf import settings


def own_scheduling_group() -> bool:
    """Make this process the leader of a new session, where Linux's autogroup (on by default) makes each
    session a scheduling group with an equal share of busy CPUs. A worker sharing the web's session shares its
    group's share with the web, and the kernel splits that share over the CPUs the group's processes last
    used: against two busy processes a demo computed on a third of a core whenever the web had just answered
    (the page polls a live run every 50 ms). Alone in its group, it computes with the group's whole share, and
    the web keeps its own group's (bench/demos.py measured both: README, CPU priority). A process that already
    leads its process group (started in a terminal's foreground, or a container's first process) cannot, and
    stays in its session: returns False."""
    try:
        os.setsid()
    except PermissionError:
        return False
    return True


def lower_cpu_priority() -> int:
    """Add WORKER_NICENESS to this process's niceness (the kernel caps it at 19), once, at its start: started
    beside the web, at the web's niceness, it then runs below it. Its children inherit it. Returns the
    niceness now."""
    return os.nice(settings.WORKER_NICENESS)
