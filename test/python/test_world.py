"""The thread world's state machines, on real threads: registry, stop-the-world, steps, parked calls.

No debugger, no tracing backend, no adapter: a `World` is given plain callables, and worker
threads do what a tracing callback does when a stop is requested (park in their own frame).
Everything waits on events with generous timeouts, never on wall-clock speed.
"""

from __future__ import annotations

import _thread
import sys
import threading
import time
import unittest
from collections.abc import Callable
from typing import Any

from ftpy_runtime.debugger.stepping import step_finished
from ftpy_runtime.world.parked_calls import EvalTimeout, run_on
from ftpy_runtime.world.stopping import StopInfo, World
from ftpy_runtime.world.threads import Step, ThreadRegistry

WAIT = 60.0  # generous: the machine may be loaded


def wait_until(predicate: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {WAIT} s: {what}")
        time.sleep(0.005)


class Recorder:
    """The callables a World is built with, recording what it asks of them."""

    def __init__(self) -> None:
        self.global_events: list[bool] = []
        self.stops: list[StopInfo] = []
        self.resumed = 0
        self.stopped = threading.Event()

    def set_global_events(self, enabled: bool) -> None:
        self.global_events.append(enabled)

    def on_stopped(self, info: StopInfo) -> None:
        self.stops.append(info)
        self.stopped.set()

    def on_resumed(self) -> None:
        self.resumed += 1


class WorldCase(unittest.TestCase):
    def setUp(self) -> None:
        self.rec = Recorder()
        self.world = World(self.rec.set_global_events, self.rec.on_stopped, self.rec.on_resumed)
        self.world.start()
        self.quit = threading.Event()
        self.workers: list[threading.Thread] = []
        self.addCleanup(self.stop_workers)

    def stop_workers(self) -> None:
        self.quit.set()
        self.world.clear_all()  # lets every parked thread go, for good
        for t in self.workers:
            t.join(WAIT)

    def worker(self, name: str, body: Callable[[], None] | None = None) -> threading.Thread:
        """A thread that, like a traced thread reaching a line, parks whenever a stop is requested."""

        def run() -> None:
            world = self.world
            ts = world.threads.current()
            while not self.quit.is_set():
                if body is not None:
                    body()
                if world.stop_requested:
                    world.park(ts, sys._getframe())
                time.sleep(0.001)

        t = threading.Thread(target=run, name=name)
        self.workers.append(t)
        t.start()
        return t

    def state(self, t: threading.Thread) -> Any:
        assert t.ident is not None
        return self.world.threads.state_for(t.ident, t)

    def stop_and_wait(self, ts: Any = None, reason: str = "pause") -> StopInfo:
        self.rec.stopped.clear()
        self.assertTrue(self.world.request_stop(ts, StopInfo(reason, ts)))
        self.assertTrue(self.rec.stopped.wait(WAIT), "the coordinator reported the stop")
        return self.rec.stops[-1]


class RegistryTest(unittest.TestCase):
    def test_ids_are_stable_and_never_reused(self) -> None:
        reg = ThreadRegistry()
        main = threading.main_thread()
        assert main.ident is not None
        first = reg.state_for(main.ident, main)
        self.assertEqual(first.id, 1, "the first thread seen is thread 1")
        self.assertIs(reg.state_for(main.ident, main), first)
        self.assertIs(reg.by_id(1), first)
        done = threading.Event()
        t = threading.Thread(target=done.wait, args=(WAIT,), name="worker")
        t.start()
        assert t.ident is not None
        ts = reg.state_for(t.ident, t)
        self.assertEqual(ts.id, 2)
        self.assertEqual(ts.name, "worker")
        # The same ident for another Thread object (idents are reused) is a new thread.
        other = threading.Thread(target=lambda: None, name="reused")
        again = reg.state_for(t.ident, other)
        self.assertEqual(again.id, 3)
        done.set()
        t.join(WAIT)

    def test_live_lists_user_threads_and_forgets_the_dead(self) -> None:
        reg = ThreadRegistry()
        main = threading.main_thread()
        assert main.ident is not None
        reg.state_for(main.ident, main)
        release = threading.Event()
        user = threading.Thread(target=release.wait, args=(WAIT,), name="user-thread")
        ours = threading.Thread(target=release.wait, args=(WAIT,), name="ftpy-helper")
        internal = threading.Thread(target=release.wait, args=(WAIT,), name="coordinator-like")
        for t in (user, ours, internal):
            t.start()
        assert internal.ident is not None and user.ident is not None
        reg.internal_idents.add(internal.ident)
        names = {ts.name for ts, _ in reg.live()}
        self.assertIn("user-thread", names)
        self.assertIn(main.name, names)
        self.assertNotIn("ftpy-helper", names, "the runtime's threads (ftpy-…) are never shown")
        self.assertNotIn("coordinator-like", names, "nor its registered internal ones")
        self.assertTrue(reg.is_internal_ident(internal.ident))
        self.assertFalse(reg.is_internal_ident(user.ident))
        self.assertEqual(reg.live()[0][0].id, 1, "main thread first")
        self.assertEqual(reg.names()[user.ident], "user-thread")
        release.set()
        for t in (user, ours, internal):
            t.join(WAIT)
        gone = user.ident
        wait_until(lambda: gone not in {ts.ident for ts, _ in reg.live()}, "the ended thread is forgotten")
        self.assertNotIn(gone, reg.by_ident)

    def test_poll_changes_reports_started_and_exited(self) -> None:
        reg = ThreadRegistry()
        changes: list[tuple[str, str]] = []
        reg.on_change = lambda reason, ts: changes.append((reason, ts.name))
        reg.poll_changes()
        changes.clear()
        release = threading.Event()
        t = threading.Thread(target=release.wait, args=(WAIT,), name="polled")
        t.start()
        reg.poll_changes()
        self.assertIn(("started", "polled"), changes)
        release.set()
        t.join(WAIT)
        reg.poll_changes()
        self.assertIn(("exited", "polled"), changes)


class StopTheWorldTest(WorldCase):
    def test_a_stop_parks_every_running_thread_and_resume_lets_them_go(self) -> None:
        workers = [self.worker(f"w{i}") for i in range(4)]
        info = self.stop_and_wait()
        self.assertEqual(info.reason, "pause")
        self.assertTrue(self.world.stopped)
        self.assertEqual(self.rec.global_events[-1], True, "global events on while stopping")
        parked = {ts.ident for ts in self.world.parked.values()}
        self.assertEqual(parked, {t.ident for t in workers}, "every worker parked before the stop was reported")
        self.assertIn(info.thread, list(self.world.parked.values()), "a pause reports one of the parked threads")
        for ts in self.world.parked.values():
            self.assertTrue(ts.parked)
            self.assertIsNotNone(ts.frame, "a parked thread keeps the frame it parked in")
        resumed = self.rec.resumed
        self.world.resume_all()
        self.assertEqual(self.rec.resumed, resumed + 1)
        self.assertEqual(self.rec.global_events[-1], False, "global events off again")
        self.assertFalse(self.world.stop_requested)
        wait_until(lambda: not any(self.state(t).parked for t in workers), "every worker running again")
        self.assertEqual(self.world.parked, {})

    def test_a_thread_in_native_code_does_not_hold_up_the_stop(self) -> None:
        self.worker("running")
        release = threading.Event()
        blocked = threading.Thread(target=release.wait, args=(WAIT,), name="in-native-code")
        blocked.start()
        self.addCleanup(blocked.join, WAIT)
        self.addCleanup(release.set)
        self.stop_and_wait()
        self.assertNotIn(blocked.ident, self.world.parked, "it never reached a callback")
        self.assertEqual(len(self.world.parked), 1)

    def test_a_thread_waiting_for_a_core_is_not_called_native_but_one_blocked_in_c_is(self) -> None:
        # (A Python thread that a loaded machine has not scheduled for a few milliseconds was
        # shown "in native code": its frame had not moved for the three short samples.)
        from ftpy_runtime.world.stopping import runnable
        self.assertTrue(runnable(threading.get_native_id()), "this thread is running")
        release = threading.Event()
        blocked = threading.Thread(target=release.wait, args=(WAIT,), name="blocked")
        blocked.start()
        self.addCleanup(blocked.join, WAIT)
        self.addCleanup(release.set)
        deadline = time.monotonic() + WAIT
        while runnable(blocked.native_id) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertFalse(runnable(blocked.native_id), "a thread waiting on an Event sleeps")
        self.assertFalse(runnable(None))

    def test_a_second_stop_waits_for_the_first(self) -> None:
        w = self.worker("w")
        first = self.stop_and_wait(reason="breakpoint")
        ts = self.state(w)
        self.assertFalse(self.world.request_stop(ts, StopInfo("breakpoint", ts)), "a second thread's stop must wait")
        self.assertTrue(self.world.request_stop(None, StopInfo("pause", None)), "a pause while stopped is a no-op")
        self.assertIs(self.world.current_stop, first)
        self.assertEqual(len(self.rec.stops), 1)

    def test_detached_worlds_never_stop(self) -> None:
        self.worker("w")
        self.world.clear_all()
        self.assertTrue(self.world.request_stop(None, StopInfo("pause", None)), "the stop is dropped, not refused")
        self.assertFalse(self.world.stop_requested)


class StepStateTest(WorldCase):
    def test_a_single_thread_step_lets_only_that_thread_go(self) -> None:
        a, b = self.worker("a"), self.worker("b")
        self.stop_and_wait()
        ta, tb = self.state(a), self.state(b)
        self.world.resume_for_step(ta, Step("over", ta.frame), single_thread=True)
        self.assertEqual(self.world.exempt, ta.ident)
        self.assertEqual(ta.step.kind if ta.step else None, "over")
        wait_until(lambda: not ta.parked, "the stepping thread runs")
        self.assertTrue(tb.parked, "the other thread stays parked")
        self.assertTrue(self.world.stop_requested, "the world stays stopped around the stepping thread")
        # The step finishes: the stepping thread may stop the world again (it is the exempt one).
        self.rec.stopped.clear()
        self.assertTrue(self.world.request_stop(ta, StopInfo("step", ta)))
        self.assertTrue(self.rec.stopped.wait(WAIT))
        self.assertIsNone(ta.step, "a new stop ends every step")
        wait_until(lambda: ta.parked, "the stepping thread parks again")

    def test_an_all_threads_step_keeps_global_events_on_until_it_ends(self) -> None:
        a = self.worker("a")
        self.worker("b")
        self.stop_and_wait()
        ta = self.state(a)
        self.world.resume_for_step(ta, Step("in", ta.frame), single_thread=False)
        self.assertFalse(self.world.stop_requested, "everyone runs")
        self.assertEqual(self.rec.global_events[-1], True, "but every line is still reported, for the step")
        self.world.resume_all()
        self.world.clear_all()
        self.assertIsNone(ta.step, "a detach forgets every step")

    def test_step_finished_on_real_frames(self) -> None:
        frames: dict[str, Any] = {}

        def callee() -> None:
            frames["callee"] = sys._getframe()

        def stepped() -> None:
            frames["stepped"] = sys._getframe()
            callee()

        def caller() -> None:
            frames["caller"] = sys._getframe()
            stepped()

        caller()
        stepped_frame, callee_frame, caller_frame = frames["stepped"], frames["callee"], frames["caller"]
        over, out, into = Step("over", stepped_frame), Step("out", stepped_frame), Step("in", stepped_frame)
        self.assertTrue(step_finished(over, stepped_frame, True), "over: the next line of the same frame")
        self.assertFalse(step_finished(over, callee_frame, True), "over: not inside a call it makes")
        self.assertTrue(step_finished(over, caller_frame, True), "over: where it returns to")
        self.assertFalse(step_finished(out, stepped_frame, True), "out: not while still in the frame")
        self.assertFalse(step_finished(out, callee_frame, True))
        self.assertTrue(step_finished(out, caller_frame, True), "out: once it has returned")
        self.assertTrue(step_finished(into, callee_frame, True), "in: the first line anywhere")
        lib_frame = self.library_frame()
        self.assertTrue(lib_frame.f_code.co_filename.endswith("threading.py"))
        self.assertFalse(step_finished(into, lib_frame, True), "justMyCode: never in a library")
        self.assertTrue(step_finished(into, lib_frame, False), "unless justMyCode is off")

    @staticmethod
    def library_frame() -> Any:
        """A real frame of library code (the standard library's ``threading.Timer.run``)."""
        seen: list[Any] = []
        timer = threading.Timer(0, lambda: seen.append(sys._getframe(1)))
        timer.start()
        timer.join(WAIT)
        return seen[0]


class ParkedCallsTest(WorldCase):
    def test_code_runs_on_the_parked_thread_and_its_result_or_exception_comes_back(self) -> None:
        w = self.worker("w")
        self.stop_and_wait()
        ts = self.state(w)
        self.assertEqual(run_on(self.world, ts, _thread.get_ident, WAIT), w.ident, "it ran on the parked thread")
        with self.assertRaises(ZeroDivisionError):
            run_on(self.world, ts, lambda: 1 // 0, WAIT)
        self.assertTrue(ts.parked, "still parked afterwards")
        self.assertFalse(ts.busy)

    def test_a_call_that_never_returns_is_interrupted_and_the_thread_stays_usable(self) -> None:
        w = self.worker("w")
        self.stop_and_wait()
        ts = self.state(w)

        def forever() -> None:
            while True:
                pass

        with self.assertRaises(EvalTimeout):
            run_on(self.world, ts, forever, 0.2)
        wait_until(lambda: not ts.busy, "the interrupted thread is free again")
        self.assertEqual(run_on(self.world, ts, lambda: 42, WAIT), 42)

    def test_with_every_thread_in_native_code_it_gives_up_at_once_and_says_why(self) -> None:
        release = threading.Event()
        self.addCleanup(release.set)
        w = self.worker("w", lambda: release.wait(WAIT))  # blocked in C all through the stop
        self.stop_and_wait()
        self.assertFalse(self.world.parked, "nobody parked")
        started = time.monotonic()
        with self.assertRaisesRegex(EvalTimeout, "every thread is in native code"):
            run_on(self.world, self.state(w), lambda: 42, WAIT)
        self.assertLess(time.monotonic() - started, WAIT / 10, "not the whole timeout")
        # Given longer to park (``park_by``), it runs on the thread once that comes back to Python.
        release.set()
        self.assertEqual(run_on(self.world, self.state(w), lambda: 42, WAIT, time.monotonic() + WAIT), 42)

    def test_nothing_runs_while_the_program_runs(self) -> None:
        self.worker("w")
        with self.assertRaisesRegex(EvalTimeout, "the program is running"):
            run_on(self.world, None, lambda: None, WAIT)


if __name__ == "__main__":
    unittest.main()
