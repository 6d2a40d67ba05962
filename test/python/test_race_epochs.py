"""Merged epochs (threadlog.ThreadState, the Lock and RLock wrappers): a thread that
re-acquires the clock its own lock release published, when nobody joined it in between,
stays in its epoch; anything else that synchronises first makes the release take effect.

These drive real ThreadStates and the real lock wrappers; the session is a stand-in that
keeps the logs the threads hand over instead of checking them.
"""

import sys
import threading
import unittest
import weakref

from ftpy_runtime.race.sites import STACK, SYNC
from ftpy_runtime.race.syncpatch import _make_lock_classes
from ftpy_runtime.race.threadlog import LOG_LIMIT, ThreadState

import _thread

SITE = 12345          # no site table knows these: the detector would skip them
OTHER_SITE = 12346


class Logs:
    """Keeps every log handed over, as (site, aux, object) records."""

    def __init__(self):
        self.logs = []

    def process_log(self, ts, buf, keep):
        self.logs.append((ts, [(buf[2 * i], buf[2 * i + 1], keep[i]) for i in range(len(keep))]))

    def records(self, ts):
        """Everything `ts` logged (its pending release, if any, takes effect: the last SYNC)."""
        ts.flush()
        return [r for owner, log in self.logs if owner is ts for r in log]


class Holder:
    ts = None


class Obj:
    pass


class Slotted:
    """Takes no weak reference: the log and `last` hold it."""

    __slots__ = ("name", "freed")

    def __init__(self, name, freed):
        self.name, self.freed = name, freed

    def __del__(self):
        self.freed.append(self.name)


def syncs(records):
    return [r for r in records if r[0] == SYNC]


def accesses(records, site=SITE):
    return [r for r in records if r[0] == site]


class MergedEpochs(unittest.TestCase):
    def setUp(self):
        self.session = Logs()
        self.holder = Holder()
        self.Lock, self.RLock = _make_lock_classes(_thread.allocate_lock, _thread.RLock, self.holder)
        self.t1 = ThreadState(self.session, 1, "T1", [0, 1, 0], (), None)
        self.t2 = ThreadState(self.session, 2, "T2", [0, 0, 1], (), None)
        self.holder.ts = self.t1

    def on(self, ts):
        self.holder.ts = ts

    def test_reacquiring_an_unjoined_release_keeps_the_epoch_and_logs_once(self):
        lock, obj = self.Lock(), Obj()
        for _ in range(100):
            with lock:
                self.t1.hook_a(obj, SITE)
        published = lock._ftpy_vc
        self.assertEqual(self.t1.vc[1], 1)         # never moved on
        self.assertEqual(published[1], 1)
        with lock:
            pass
        self.assertIs(lock._ftpy_vc, published)    # the same clock again: nothing allocated
        records = self.session.records(self.t1)
        self.assertEqual(len(accesses(records)), 1)
        self.assertEqual(len(syncs(records)), 1)      # the last release, at the flush
        self.assertEqual(records[-1][0], SYNC)

    def test_a_merged_window_that_logged_nothing_new_leaves_the_log(self):
        lock, obj, other = self.Lock(), Obj(), Obj()
        for _ in range(100):
            self.t1.hook_a(obj, SITE)       # between releases: logged in each window
            with lock:
                self.t1.hook_a(obj, SITE)
        self.assertEqual(len(self.t1.keep), 1 + 1)  # its STACK record and one access
        self.t1.hook_a(other, SITE)         # something new in the window: it stays
        with lock:
            pass
        self.assertEqual(self.t1.vc[1], 1)
        records = self.session.records(self.t1)
        self.assertEqual([r[2] for r in accesses(records)], [obj, other])

    def test_a_release_someone_joined_takes_effect_at_its_own_position(self):
        lock, obj = self.Lock(), Obj()
        with lock:
            self.t1.hook_a(obj, SITE)
        self.t1.hook_a(obj, SITE)                   # after the release: logged again
        self.t1.hook_a(obj, SITE)                   # ... once per window
        self.on(self.t2)
        with lock:                                  # T2 joins T1's release
            self.assertEqual(self.t2.vc[1], 1)
        self.on(self.t1)
        with lock:                                  # T2's clock now: T1's release took effect
            pass
        self.assertEqual(list(self.t1.vc), [0, 2, 1])
        records = self.session.records(self.t1)
        kinds = [r[0] for r in records if r[0] in (SITE, SYNC)]
        # access (epoch 1), the release's SYNC, the window's access (epoch 2), the join's
        # SYNC, the last release's SYNC at the flush
        self.assertEqual(kinds, [SITE, SYNC, SITE, SYNC, SYNC])
        first = syncs(records)[0]
        self.assertEqual(first[1], 0)                  # a release's record
        self.assertEqual(list(first[2]), [0, 2, 0])

    def test_window_accesses_the_epoch_logged_wait_aside_until_the_release_is_decided(self):
        lock, obj = self.Lock(), Obj()
        with lock:
            self.t1.hook_a(obj, SITE)
        logged = len(self.t1.keep)
        for _ in range(3):
            self.t1.hook_a(obj, SITE)       # logged in this epoch: aside, not in the log
            self.t1.hook_a(obj, SITE)       # and a hit the second time
            self.assertEqual(len(self.t1.wkeep), 2)
            with lock:                      # merged: they were hits after all
                pass
            self.assertEqual(len(self.t1.wkeep), 0)
        self.assertEqual(len(self.t1.keep), logged)
        self.t1.hook_a(obj, SITE)           # aside again, then another release commits
        self.t1.release()
        records = self.session.records(self.t1)
        kinds = [r[0] for r in records if r[0] in (SITE, SYNC)]
        # the access (epoch 1), the lock release's SYNC, the window's access (epoch 2),
        # release()'s SYNC
        self.assertEqual(kinds, [SITE, SYNC, SITE, SYNC])
        self.assertIs(accesses(records)[1][2], obj)

    def test_a_with_read_after_a_release_is_decided_by_the_locks_enter(self):
        # Hook w: `with o.lock:` (rewrite.visit_With calls w(o.lock, o, SITE)).
        self.t1.locks_cell.cell_contents = frozenset((self.Lock, self.RLock))
        w = self.t1.hook_w
        o = Obj()
        o.lock = self.Lock()

        def enter():
            with w(o.lock, o, SITE):
                pass
        for i in range(5):
            if i == 4:
                o.lock = self.Lock()    # another lock: its __enter__ cannot merge
            enter()
            # i = 1..3: the epoch logged the read (and its stack), the re-acquire merged:
            # nothing logged.  i = 4: the release's SYNC and the read kept aside for it.
            self.assertEqual((self.t1.wlock, len(self.t1.wkeep)), (None, 0))
            self.assertEqual(len(self.t1.keep), 2 if i < 4 else 4)
        # Not merged, from a new line: logged in the window, under a stack of its own.
        o.lock = self.Lock()
        line = sys._getframe().f_lineno + 1
        with w(o.lock, o, SITE):
            pass
        records = self.session.records(self.t1)
        kinds = [r[0] for r in records if r[0] in (SITE, SYNC)]
        # the first read (epoch 1); the first lock's release, committed as the second one
        # is released; the read kept aside for it (epoch 2, same stack); the second lock's
        # release; the read from the new line (epoch 3); the last release's SYNC
        self.assertEqual(kinds, [SITE, SYNC, SITE, SYNC, SITE, SYNC])
        stacks = [r[2] for r in records if r[0] == STACK]
        self.assertEqual(len(stacks), 2)
        self.assertEqual(stacks[0][0][1:], ("MergedEpochs.test_a_with_read_after_a_release_is_decided_by_the_locks_enter.<locals>.enter",
                                            enter.__code__.co_firstlineno + 1))
        self.assertEqual(stacks[1][0][2], line)

    def test_other_synchronisation_while_pending_commits_first(self):
        lock = self.Lock()
        with lock:
            pass
        snap = self.t1.release()                    # Event.set, a queue put, a thread start
        self.assertEqual(snap[1], 2)                # published after the lock's release
        self.assertEqual(self.t1.vc[1], 3)
        with lock:                                  # its own old clock: nothing to merge
            pass
        self.assertEqual(self.t1.vc[1], 3)

    def test_releasing_another_lock_while_pending_commits_and_never_shares_a_clock(self):
        a, b = self.Lock(), self.Lock()
        with a:
            pass
        with b:                                     # a's release takes effect first
            pass
        self.assertIsNot(a._ftpy_vc, b._ftpy_vc)
        self.assertEqual((a._ftpy_vc[1], b._ftpy_vc[1]), (1, 2))
        b_published = b._ftpy_vc[1]
        self.on(self.t2)
        with b:                                     # T2 joins b's release
            pass
        self.on(self.t1)
        self.t1.hook_a(Obj(), SITE)
        with a:     # a still holds T1's clock, but it is not b's release: nothing merges
            self.assertTrue(self.t1.pend)
        records = self.session.records(self.t1)
        at = [r[0] for r in records].index(SITE)
        before = [r for r in records[:at] if r[0] == SYNC][-1]
        # The access is in an epoch after b's release: T2, which joined it, does not know it.
        self.assertGreater(before[2][1], b_published)

    def test_a_merged_release_republishes_only_on_its_own_lock(self):
        a, b = self.Lock(), self.Lock()
        with a:
            pass
        with a:                                     # merged: holds a's clock
            with b:                                 # b must get a clock of its own
                pass
            self.assertIsNot(b._ftpy_vc, a._ftpy_vc)

    def test_a_new_epoch_or_a_join_commits(self):
        lock = self.Lock()
        with lock:
            pass
        epoch = self.t1.new_epoch()
        self.assertEqual(epoch, 3)                  # the release's, then the label's
        with lock:
            pass
        self.t1.acquire([0, 0, 5])
        self.assertEqual(list(self.t1.vc), [0, 4, 5])

    def test_a_full_log_keeps_the_window_for_the_next_one(self):
        lock = self.Lock()
        objs = [Obj() for _ in range(LOG_LIMIT)]
        with lock:
            pass
        for o in objs[:LOG_LIMIT * 3 // 4]:
            self.t1.hook_a(o, SITE)
        with lock:
            pass
        for o in objs:                             # fills the log inside a short window
            self.t1.hook_a(o, OTHER_SITE)
            if self.session.logs:
                break
        self.assertTrue(self.session.logs)
        self.assertTrue(self.t1.pend, "a full log is no synchronisation")
        with lock:                                  # still merges
            pass
        self.assertEqual(self.t1.vc[1], 1)
        records = self.session.records(self.t1)
        self.assertEqual(len(syncs(records)), 1)      # the last release, at the flush
        self.assertEqual(len(accesses(records)), LOG_LIMIT * 3 // 4)

    def test_rlock_publishes_at_the_outermost_release_only(self):
        r = self.RLock()
        with r:
            with r:
                pass
            self.assertIsNone(r._ftpy_vc)           # no other thread can take it yet
        self.assertIsNotNone(r._ftpy_vc)
        first = r._ftpy_vc
        for _ in range(10):
            with r:
                with r:
                    pass
        self.assertIs(r._ftpy_vc, first)
        self.assertEqual(self.t1.vc[1], 1)

    def test_condition_wait_on_an_rlock_merges_or_joins(self):
        r = self.RLock()
        cond = threading.Condition(r)
        with cond:
            cond.wait(0.001)                        # _release_save / _acquire_restore
            self.assertFalse(self.t1.pend)          # merged: nobody took it meanwhile
        self.assertEqual(self.t1.vc[1], 1)
        self.on(self.t2)
        with cond:
            self.assertEqual(self.t2.vc[1], 1)      # joined T1's release
        self.on(self.t1)
        with cond:
            cond.wait(0.001)
        self.assertEqual(list(self.t1.vc), [0, 2, 1])

    def test_objects_only_last_holds_are_let_go_at_a_flush(self):
        lock, freed = self.Lock(), []
        held, kept = Slotted("held", freed), Slotted("kept", freed)
        with lock:
            self.t1.hook_a(held, SITE)
            self.t1.hook_a(kept, OTHER_SITE)
        with lock:        # merged, and nothing pending: `last` outlives the flushes below
            # What the detector's shadow state keeps of the objects it checked (until its sweep).
            shadow = [held, kept]
            self.session.records(self.t1)
            del self.session.logs[:]
            self.assertEqual(len(self.t1.last), 2)  # both still the program's
            del held, shadow[0]                     # the program lets go of one, the sweep too
            self.assertEqual(freed, [])             # `last` still holds it
            self.t1.hook_a(Obj(), SITE + 7)         # something to hand over
            self.t1.flush()
            self.assertEqual(freed, ["held"])
            self.assertIn(kept, list(self.t1.last.values()))   # still the program's: known
        del shadow


if __name__ == "__main__":
    unittest.main()
