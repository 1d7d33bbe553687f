"""The overall deadline of an outbound call (iris/outbound/deadline.py): when time is up the call's socket is shut
down, which wakes a blocked read; a call that ended in time is left alone; and all calls share one thread."""

import socket
import threading
import time
from contextlib import ExitStack

from iris.outbound.deadline import Deadline


class Stream:
    """What httpcore's trace extension hands over: a stream that knows its socket."""

    def __init__(self, sock):
        self.sock = sock

    def get_extra_info(self, name):
        return self.sock if name == "socket" else None


def connected(deadline: Deadline):
    ours, theirs = socket.socketpair()
    deadline.trace("connection.connect_tcp.complete", {"return_value": Stream(ours)})
    return ours, theirs


def test_time_up_wakes_a_blocked_read_and_a_sooner_deadline_is_not_kept_waiting_by_a_later_one():
    with Deadline(30):  # a later one the watchdog already waits for
        with Deadline(0.2) as deadline:
            ours, theirs = connected(deadline)
            started = time.monotonic()
            assert ours.recv(10) == b"", "shut down: the read returns"
            assert 0.15 <= time.monotonic() - started < 5 and deadline.expired
    ours.close(), theirs.close()


def test_a_call_that_ended_in_time_keeps_its_socket():
    with Deadline(0.1) as deadline:
        ours, theirs = connected(deadline)
    time.sleep(0.3)
    theirs.sendall(b"still open")
    assert ours.recv(10) == b"still open" and not deadline.expired
    ours.close(), theirs.close()


def test_many_calls_share_one_watchdog_thread():
    with Deadline(0.01):
        pass  # the watchdog starts on first use
    before = threading.active_count()
    with ExitStack() as calls:
        for _ in range(50):
            calls.enter_context(Deadline(5))  # 50 calls under way at once
        assert threading.active_count() == before
