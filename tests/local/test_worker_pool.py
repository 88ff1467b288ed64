"""The warm pool's bookkeeping of dead sandboxes, with stand-in workers so that the moment a
worker dies is chosen by the test, not by how soon the kernel reaps a killed process."""

from __future__ import annotations

from imgfan.local.faults import FaultInjector
from imgfan.local.sandbox import FunctionSpec, NotDelivered, WorkerPool
from imgfan.local.tally import Tally

SPEC = FunctionSpec(name="probe", arn="arn:aws:lambda:us-east-1:123456789012:function:probe", handler="h.h",
                    timeout=3, memory_size=128, environment=(), code_sha="c", layer_shas=())


class StandInWorker:
    """Answers every call; ``dies`` says when it is dead: after its reply, or instead of one."""

    def __init__(self, dies: str | None):
        self.dies, self.alive, self.answered, self.calls = dies, True, False, 0

    def wait_ready(self) -> bool:
        return True

    def call(self, event, request_id, faults):
        if self.dies == "killed-not-reaped":
            self.alive = False  # the kill lands: the event never reaches the handler
            raise NotDelivered
        self.calls += 1
        self.answered = self.dies != "in-invocation"
        self.alive = self.dies is None
        if not self.answered:
            return {"errorType": "Runtime.ExitError"}, True
        return {"served_by": id(self)}, False

    def kill(self) -> None:
        self.alive = False


def pool_of(*deaths: str | None) -> tuple[WorkerPool, Tally, list[StandInWorker]]:
    started: list[StandInWorker] = []
    pending = list(deaths)

    def factory() -> StandInWorker:
        started.append(StandInWorker(pending.pop(0)))
        return started[-1]

    tally = Tally()
    return WorkerPool(SPEC, factory, 2, FaultInjector(), tally), tally, started


def test_a_worker_already_dead_when_checked_in_after_answering_counts_as_an_idle_death():
    pool, tally, started = pool_of("after-reply", None)
    assert pool.invoke({}) == ({"served_by": id(started[0])}, False)
    assert tally.snapshot().get("idle_deaths_replaced") == 1
    assert pool.invoke({})[1] is False
    assert len(started) == 2, "the dead worker was not reused"
    assert tally.snapshot()["cold_starts"] == 2


def test_a_worker_that_died_in_its_invocation_is_not_counted_as_an_idle_death():
    pool, tally, started = pool_of("in-invocation", None)
    assert pool.invoke({})[1] is True
    assert "idle_deaths_replaced" not in tally.snapshot()
    assert pool.invoke({})[1] is False
    assert len(started) == 2


def test_a_live_worker_is_reused_and_nothing_is_counted_as_dead():
    pool, tally, started = pool_of(None)
    for _ in range(3):
        assert pool.invoke({})[1] is False
    assert len(started) == 1 and started[0].calls == 3
    assert "idle_deaths_replaced" not in tally.snapshot()


def test_any_number_of_idle_workers_killed_but_not_yet_reaped_never_fail_an_invocation():
    """Killed while idle, a worker still looks alive until the kernel reaps it: under load the
    pool can hold several such workers, and an invocation must skip them all."""
    pool, tally, started = pool_of("killed-not-reaped", "killed-not-reaped", None)
    stale = [pool._checkout()[0], pool._checkout()[0]]
    for worker in stale:
        pool._checkin(worker)  # alive as far as poll() can tell
    assert pool.invoke({}) == ({"served_by": id(started[2])}, False)
    assert tally.snapshot()["idle_deaths_replaced"] == 2


def test_two_fresh_workers_dying_before_the_event_fail_the_invocation():
    pool, _, _ = pool_of("killed-not-reaped", "killed-not-reaped")
    payload, errored = pool.invoke({})
    assert errored and payload["errorType"] == "Runtime.ExitError"
    assert "two fresh workers" in payload["errorMessage"]
