"""Run grading tasks in N slot processes; hand every outcome to the caller's thread, one at a time.

A *slot* is a trusted grader process (``python -c ... grader.bulk.work.main``: a clean
interpreter that inherits no open gradebook and no threads). It grades one task at a time --
``engine.grade`` runs the student's code in a fresh sandboxed worker process per submission,
never reused after a timeout or crash. Tasks and outcomes are JSON lines on the slot's stdin and
stdout (no pickle). Processes rather than threads: the parent-side checks are CPU-bound Python (a
thread pool serialises them on the GIL), and CPython 3.11's ``ast.parse`` is not safe in
concurrent threads; measured figures are in docs/bulk.md.

``run`` calls ``on_done(task, outcome, error, seconds)`` in the calling thread for every task, so
the caller writes files and commits without locks. What can go wrong with a slot, and what
happens:

- it dies (crash, OOM kill): its task is retried in a fresh slot, up to ``attempts`` times, then
  reported with ``error`` set (an infrastructure error, never a score); a new slot replaces it;
- it cannot be started, or cannot set itself up: the same; after many failures in a row with no
  success in between, every remaining task is reported as an infrastructure error (no looping);
- it is still busy ``hard_seconds`` after its task started (the per-submission budget is enforced
  inside; this is the safety net): it is killed and replaced, the task reported.

A first Ctrl-C stops handing out tasks and waits for the running ones (their results are kept);
a second one stops at once. Slots ignore SIGINT and die with the parent (Linux
``PR_SET_PDEATHSIG``), so a killed run leaves no grader processes behind.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from typing import Callable

_BOOT = ("import json, sys; s = json.loads(sys.stdin.readline()); sys.path[:0] = s['path']; "
         "from grader.bulk.work import main; main(s)")


class _Slot:
    def __init__(self, settings_line: bytes):
        self.errors = tempfile.TemporaryFile()  # the slot's stderr: its last line explains a death
        self.proc = subprocess.Popen([sys.executable, "-c", _BOOT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errors, close_fds=True)
        self.buffer = b""
        self.task: dict | None = None
        self.started = 0.0
        self.fd = self.proc.stdout.fileno()
        os.set_blocking(self.fd, False)
        try:
            self.write(settings_line)
        except OSError:
            self.kill()
            raise

    def write(self, line: bytes) -> None:
        self.proc.stdin.write(line)
        self.proc.stdin.flush()

    def send(self, task: dict) -> None:
        self.task, self.started = task, time.monotonic()
        self.write(json.dumps(task).encode() + b"\n")

    def read(self) -> tuple[list[dict], bool]:
        """(complete replies, still alive)."""
        alive = True
        while True:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                alive = False
                break
            if not chunk:
                alive = False
                break
            self.buffer += chunk
        replies = []
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            try:
                replies.append(json.loads(line))
            except ValueError:
                alive = False  # a corrupt line: treat the slot as broken
        return replies, alive

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        self._reap()

    def stop(self) -> None:
        try:
            self.proc.stdin.close()  # EOF: the slot's loop ends
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def _reap(self) -> None:
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout, self.errors):
            try:
                stream.close()
            except OSError:
                pass

    def describe_death(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        if code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with code {code}"
        try:
            self.errors.seek(0, os.SEEK_END)
            self.errors.seek(max(0, self.errors.tell() - 2000))
            tail = self.errors.read().decode("utf-8", "replace").strip().splitlines()
        except (OSError, ValueError):
            tail = []
        return f"{how} ({tail[-1][:300]})" if tail else how


class Pool:
    """Up to ``jobs`` slots. ``warm()`` starts them early (their imports overlap the caller's own
    work, e.g. discovering the class); ``run`` grades; ``close`` stops them."""

    def __init__(self, jobs: int, settings: dict):
        self.jobs = max(1, jobs)
        self.settings_line = json.dumps(dict(settings, path=[p for p in sys.path if p])).encode() + b"\n"
        self.slots: list[_Slot] = []
        self.selector = selectors.DefaultSelector()

    def warm(self, n: int | None = None) -> None:
        for _ in range(min(self.jobs, n if n is not None else self.jobs) - len(self.slots)):
            try:
                self._add()
            except OSError:
                return  # run() will try again, and report what fails

    def _add(self) -> "_Slot":
        slot = _Slot(self.settings_line)
        self.slots.append(slot)
        self.selector.register(slot.fd, selectors.EVENT_READ, slot)
        return slot

    def _drop(self, slot: "_Slot") -> None:
        self.slots.remove(slot)
        try:
            self.selector.unregister(slot.fd)
        except (KeyError, ValueError):
            pass

    def close(self) -> None:
        for slot in list(self.slots):
            self._drop(slot)
            if slot.task is None:
                slot.stop()
            else:
                slot.kill()
        self.selector.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def run(
        self,
        tasks: list[dict],
        on_done: Callable[[dict, dict | None, str | None, float], None],
        hard_seconds: float,
        attempts: int = 3,
        on_tick: Callable[[], None] | None = None,
        tick_seconds: float = 0.5,
        on_interrupt: Callable[[int], None] | None = None,
    ) -> bool:
        """Grade every task (dicts with an ``id``); return False when stopped early by Ctrl-C."""
        queue = deque(tasks)
        tries: Counter = Counter()
        stopping = False
        failures, give_up_after, last_failure = 0, max(3, 3 * self.jobs), ""

        def failed(task: dict, why: str, seconds: float = 0.0) -> None:
            nonlocal failures, last_failure
            failures, last_failure = failures + 1, why
            tries[task["id"]] += 1
            if tries[task["id"]] < attempts and failures < give_up_after:
                queue.appendleft(task)
            else:
                on_done(task, None, why, seconds)

        while queue or any(s.task is not None for s in self.slots):
            try:
                if failures >= give_up_after:  # the infrastructure is broken: record, do not loop
                    while queue:
                        on_done(queue.popleft(), None, f"grading processes keep failing: {last_failure}", 0.0)
                while queue and not stopping:
                    slot = next((s for s in self.slots if s.task is None), None)
                    if slot is None and len(self.slots) < self.jobs:
                        try:
                            slot = self._add()
                        except OSError as exc:
                            failed(queue.popleft(), f"could not start a grading process: {exc}")
                            continue
                    if slot is None:
                        break
                    task = queue.popleft()
                    try:
                        slot.send(task)
                    except OSError:
                        self._drop(slot)
                        failed(task, f"the grading process {slot.describe_death()}")
                        slot.kill()
                if not any(s.task is not None for s in self.slots):
                    continue
                for key, _ in self.selector.select(timeout=tick_seconds):
                    if self._receive(key.data, on_done, failed):
                        failures = 0
                now = time.monotonic()
                for slot in [s for s in self.slots if s.task is not None and now - s.started > hard_seconds]:
                    self._drop(slot)
                    slot.kill()
                    on_done(slot.task, None, f"grading did not finish within {hard_seconds:g} s (the grading "
                            "process was stopped)", now - slot.started)
                if on_tick:
                    on_tick()
            except KeyboardInterrupt:
                # an interrupted on_done rolls its transaction back: that task is simply graded next run
                if stopping:
                    raise
                stopping = True
                queue.clear()
                if on_interrupt:
                    on_interrupt(sum(s.task is not None for s in self.slots))
        return not stopping

    def _receive(self, slot: "_Slot", on_done, failed) -> bool:
        """Handle what ``slot`` said or that it died; True when a task was answered."""
        answered = False
        replies, alive = slot.read()
        task, seconds = slot.task, time.monotonic() - slot.started
        for reply in replies:
            if task is None or reply.get("id") != task["id"]:
                continue  # not an answer to the task it holds: ignore
            if "setup_error" in reply:
                alive = False
                last = reply["setup_error"].strip().splitlines()[-1]
                self._drop(slot)
                slot.kill()
                failed(task, f"a grading process could not set itself up: {last}", seconds)
            else:
                slot.task, answered = None, True
                on_done(task, reply, None, seconds)
            task = None
            break
        if not alive and slot in self.slots:
            self._drop(slot)
            if task is not None:
                failed(task, f"the grading process {slot.describe_death()}", seconds)
            slot.kill()
        return answered


def run(tasks: list[dict], settings: dict, jobs: int, on_done, hard_seconds: float, **options) -> bool:
    """``Pool(jobs, settings).run(...)`` and close: for callers that need nothing else."""
    with Pool(jobs, settings) as pool:
        return pool.run(tasks, on_done, hard_seconds, **options)
