"""kombu's filesystem transport, with a worker that acknowledges a finished task at once.

Celery runs a worker on this transport in its blocking loop (`celery.worker.loops.synloop`), which acts
on a finished task's acknowledgement only between two calls of `drain_events(timeout=2.0)`. With late
acknowledgement and a prefetch of one, the channel refuses to take the next message until that
acknowledgement is done, so a task published just after another finished waited up to two seconds
(bench/demos.py measured 1,971 ms of overhead on a 44 ms demo). Cutting each drain to one polling
interval lets the loop come round every poll: the acknowledgement goes out and the next task is taken
within one interval.
"""

from __future__ import annotations

from kombu.transport import filesystem


class Transport(filesystem.Transport):
    def drain_events(self, connection, timeout=None):
        if timeout is not None and self.polling_interval:
            timeout = min(timeout, self.polling_interval)
        return super().drain_events(connection, timeout=timeout)
