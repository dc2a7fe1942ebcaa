"""Which case may start, and which worker computes next: the runner's window and the
isolated executor's computing slots."""

from __future__ import annotations

import threading
import time

import numpy as np

from cases import Case
from conformance.execute.executors import Slots
from conformance.execute.runner import IN_FLIGHT_BYTES, has_room


def _case(nbytes: int) -> Case:
    return Case("1-D", np.zeros(max(nbytes // 8, 1)), axis=0)


def test_small_cases_share_the_window_up_to_its_bytes():
    small = _case(IN_FLIGHT_BYTES // 4)
    assert has_room([small, small], small, most=8)
    assert not has_room([small, small, small, small], small, most=8)
    assert not has_room([small], small, most=1)  # the count too


def test_one_large_case_at_a_time_and_small_ones_go_on_around_it():
    large, small = _case(4 * IN_FLIGHT_BYTES), _case(1024)
    assert has_room([small, small], large, most=8)  # no waiting for every worker to drain
    assert has_room([large], small, most=8)
    assert has_room([small, large, small], small, most=8)
    assert not has_room([small, large], large, most=8)  # its outputs are held whole


def _grant_order(n_slots: int, aheads: dict[str, float]) -> list[str]:
    slots, order, ready = Slots(n_slots), [], threading.Barrier(len(aheads) + 1)
    gate = threading.Event()

    def holder() -> None:
        slots.acquire(lambda: 0.0)
        ready.wait()
        gate.wait()
        slots.release()

    def waiter(name: str, ahead: float) -> None:
        ready.wait()
        slots.acquire(lambda: ahead)
        order.append(name)
        slots.release()

    threads = [threading.Thread(target=holder)]
    threads += [threading.Thread(target=waiter, args=kv) for kv in aheads.items()]
    for t in threads:
        t.start()
    time.sleep(0.3)  # every waiter queued behind the holder
    gate.set()
    for t in threads:
        t.join(10)
    return order


def test_a_free_slot_goes_to_the_worker_with_the_most_work_ahead():
    order = _grant_order(1, {"short": 0.5, "load": float("inf"), "long": 9.0, "mid": 3.0})
    assert order == ["load", "long", "mid", "short"]


def test_estimates_that_change_never_leave_a_slot_free_with_workers_waiting():
    """Each waiter's estimate changes from one look to the next (as the lanes' queues do
    while cases are started): every worker still gets its turns."""
    import random

    slots, done, pick = Slots(2), [], random.Random(0)

    def worker(i: int) -> None:
        for _ in range(200):
            slots.acquire(pick.random)
            time.sleep(0.0002)
            slots.release()
        done.append(i)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30  # a stalled slot never ends: fail instead
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert sorted(done) == list(range(6))


def test_a_worker_keeps_its_slot_while_no_waiter_has_more_work_ahead():
    """A worker that finishes a batch and asks again at once would otherwise lose its slot
    to any waiter, however short its work: the longest lane then computes at half pace."""
    slots, got = Slots(1), []
    slots.acquire(lambda: 5.0)

    def short() -> None:
        slots.acquire(lambda: 1.0)
        got.append("short")
        slots.release()

    waiter = threading.Thread(target=short)
    waiter.start()
    time.sleep(0.3)  # queued behind the holder
    assert slots.release(keep=lambda: 4.0)  # kept: the waiter has less ahead
    time.sleep(0.1)
    assert got == []
    assert not slots.release(keep=lambda: 0.5)  # the waiter has more: the slot is its
    waiter.join(10)
    assert got == ["short"]
    slots.acquire(lambda: 1.0)
    assert not slots.release(keep=lambda: 0.0)  # nothing more to do: given back
    slots.acquire(lambda: 1.0)  # and free for the next


def test_a_case_holds_each_distinct_output_once():
    """Outputs with the same bits are one read-only array once a worker's batch is back:
    a case's outputs are held until its slowest worker is done."""
    from adapters.calling import Call
    from conformance.execute.executors import Isolated

    def call(values: list[float]) -> Call:
        return Call(np.array(values), None, 0.0, (), "", False)

    executor, seen = Isolated(), {}  # no worker starts before a load
    first = executor._shared(call([0.25, 0.75]), seen)
    again = executor._shared(call([0.25, 0.75]), seen)
    other = executor._shared(call([0.5, 0.5]), seen)
    assert again.y is first.y and not first.y.flags.writeable
    assert other.y is not first.y and other.y.flags.writeable
    assert executor._shared(Call(None, "boom", 0.0, (), "", False, "error"), seen).y is None
    executor.close()
