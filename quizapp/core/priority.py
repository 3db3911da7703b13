"""CPU priority of the processes that compute: below the web's, so pages answer while a demo trains."""

from __future__ import annotations

import os

from django.conf import settings


def lower_cpu_priority() -> int:
    """Add WORKER_NICENESS to this process's niceness (the kernel caps it at 19), once, at its start: started
    beside the web, at the web's niceness, it then runs below it. Its children inherit it. Returns the
    niceness now."""
    return os.nice(settings.WORKER_NICENESS)
