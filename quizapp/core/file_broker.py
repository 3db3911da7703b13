"""kombu's filesystem transport, with a worker that acknowledges a finished task at once and messages
that are never read half-written.

Celery runs a worker on this transport in its blocking loop (`celery.worker.loops.synloop`), which acts
on a finished task's acknowledgement only between two calls of `drain_events(timeout=2.0)`. With late
acknowledgement and a prefetch of one, the channel refuses to take the next message until that
acknowledgement is done, so a task published just after another finished waited up to two seconds
(bench/demos.py measured 1,971 ms of overhead on a 44 ms demo). Cutting each drain to one polling
interval lets the loop come round every poll: the acknowledgement goes out and the next task is taken
within one interval.

kombu's publisher creates the message file under its final name and only then writes it, while its
reader moves and reads a file without waiting for the writer's lock: a reader that came between the two
read an empty message, and the JSON error killed the worker's consumer (seen in bench/demos.py). Here a
message is written under a name the reader ignores and renamed into place once complete; a rename within
one folder is atomic.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # The name kombu would give it, with its order (milliseconds first) and its queue suffix.
        final = os.path.join(self.data_folder_out, f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg")
        # A dot-file without the ".<queue>.msg" suffix: no reader takes it while it is being written.
        descriptor, partial = tempfile.mkstemp(dir=self.data_folder_out, prefix=".partial-")
        try:
            with os.fdopen(descriptor, "wb") as message:
                message.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as error:
            if os.path.exists(partial):
                os.remove(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from error


class Transport(filesystem.Transport):
    Channel = Channel

    def drain_events(self, connection, timeout=None):
        if timeout is not None and self.polling_interval:
            timeout = min(timeout, self.polling_interval)
        return super().drain_events(connection, timeout=timeout)
