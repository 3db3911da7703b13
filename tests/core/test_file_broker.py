"""The embedded broker: a message is never seen by a worker before it is whole."""

from __future__ import annotations

import contextlib
from queue import Empty

import pytest
from kombu import Connection
from kombu.transport import filesystem

from quizapp.core import file_broker


@pytest.fixture
def channel(tmp_path):
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "polling_interval": 0.05}
    with Connection(transport=file_broker.Transport, transport_options=options) as connection:
        yield connection.default_channel


def test_it_hides_a_message_from_readers_while_it_is_being_written(channel, monkeypatch):
    """kombu's own publisher creates the file and then writes it: a worker polling in between read an
    empty message, and the JSON error killed its consumer."""
    seen_while_writing = []

    def dumps_while_a_worker_polls(payload):
        with contextlib.suppress(Empty):
            seen_while_writing.append(channel._get("demos"))
        return real_dumps(payload)

    real_dumps = filesystem.dumps
    for module in (filesystem, file_broker):  # whichever writes the message serialises it with a worker polling
        monkeypatch.setattr(module, "dumps", dumps_while_a_worker_polls)
    channel._put("demos", {"body": "run D13"})
    assert seen_while_writing == []
    assert channel._get("demos") == {"body": "run D13"}
    with pytest.raises(Empty):
        channel._get("demos")


def test_it_leaves_no_partial_file_behind(channel, tmp_path):
    for number in range(3):
        channel._put("demos", {"body": number})
    names = sorted(path.name for path in (tmp_path / "queue").iterdir())
    assert len(names) == 3 and all(name.endswith(".demos.msg") for name in names)
    assert sorted(channel._get("demos")["body"] for _ in range(3)) == [0, 1, 2]  # kombu orders by the millisecond
