"""The background poller: a real thread per process, started again in a forked child."""

from __future__ import annotations

import multiprocessing
import threading
import time

from adserver.infra.poller import Poller


class Counter:
    def __init__(self) -> None:
        self.firsts = 0
        self.refreshes = 0

    def first(self) -> None:
        self.firsts += 1

    def refresh(self) -> None:
        self.refreshes += 1


def wait_for(predicate, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_the_first_ensure_loads_once_and_the_thread_refreshes_until_stopped():
    c = Counter()
    poller = Poller("test-poller", c.refresh, 0.01, first=c.first)
    poller.ensure()
    poller.ensure()
    assert c.firsts == 1
    assert wait_for(lambda: c.refreshes >= 3)
    poller.stop()
    time.sleep(0.05)
    stopped_at = c.refreshes
    time.sleep(0.05)
    assert c.refreshes == stopped_at


def test_without_seconds_it_loads_once_and_starts_no_thread():
    c = Counter()
    threads = threading.active_count()
    Poller("test-poller", c.refresh, 0).ensure()
    assert c.refreshes == 1 and threading.active_count() == threads


def test_a_failed_refresh_is_logged_and_retried(caplog):
    calls = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("SQL away")

    poller = Poller("test-poller", flaky, 0.01)
    poller.ensure()
    assert wait_for(lambda: len(calls) >= 4)
    poller.stop()
    assert "test-poller: refresh failed" in caplog.text


def _child(poller: Poller, counter: Counter, out) -> None:
    # The parent's thread did not survive the fork: nothing refreshes here until ensure() starts our own.
    before = counter.refreshes
    time.sleep(0.1)
    idle = counter.refreshes - before
    poller.ensure()
    polled = wait_for(lambda: counter.refreshes >= before + 3)
    out.send((idle, counter.firsts, polled))


def test_a_forked_child_loads_and_polls_on_its_own():
    c = Counter()
    poller = Poller("test-poller", c.refresh, 0.01, first=c.first)
    poller.ensure()
    assert wait_for(lambda: c.refreshes >= 1)
    ctx = multiprocessing.get_context("fork")
    theirs, ours = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(poller, c, ours))
    child.start()
    try:
        assert theirs.poll(10), "the child did not answer"
        idle, firsts, polled = theirs.recv()
    finally:
        child.join(10)
        poller.stop()
    assert idle == 0  # no thread of the parent's in the child
    assert firsts == 2  # its own first load (the parent's was inherited)
    assert polled  # and its own thread
    assert c.firsts == 1  # the parent loaded once
