"""Grade one submission's exercises in several processes at once (``rnngrade check --jobs``).

A student's ``check`` grades one submission, and one grading pipeline (this process computing,
its worker running the student's function, strictly in turn) keeps one core busy. With two cores,
the exercises are split into groups of about equal cost and each extra group is graded by a
forked copy of this process, with its own worker and its own launcher (so its own slot uid when
the grader is root). A forked copy is trusted code like its parent: it never imports the
submission either, and it sends back only plain JSON (the same data as ``results.json``).

The fork happens before the parent starts any worker, so the copy inherits no worker, no pipe and
no output thread. When a copy fails for any reason (killed, crashed, a broken pipe), the parent
grades that group itself: splitting can cost time, never a result.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time

# Seconds one exercise costs on the reference machine while another group runs beside it (the
# exercise durations in results.json of `rnngrade check` on the correct example), by kind. Only the
# ratios matter: they balance the groups. Exercises of other kinds cost about this much per check.
KIND_SECONDS = {"dynamics": 0.47, "training": 0.4}
SECONDS_PER_CHECK = 0.0075

# How long the first process waits for a copy once its own group is done: this factor times its own
# grading, at least MIN_PATIENCE seconds (a slow submission's group can take minutes and still be fine)
PATIENCE_FACTOR, MIN_PATIENCE = 4.0, 300.0

fallbacks = 0  # groups a forked copy did not deliver, so the first process graded them (tests, benchmarks)


def plan(costs: list[float], jobs: int) -> list[list[int]]:
    """Indices of ``costs`` in at most ``jobs`` groups of about equal total (longest first, to the
    lightest group); each group keeps the original order; no group is empty."""
    jobs = max(1, min(jobs, len(costs)))
    groups: list[list[int]] = [[] for _ in range(jobs)]
    totals = [0.0] * jobs
    for i in sorted(range(len(costs)), key=lambda i: (-costs[i], i)):
        g = min(range(jobs), key=lambda g: (totals[g], g))
        groups[g].append(i)
        totals[g] += costs[i]
    return [sorted(g) for g in groups if g]


def cost(exercise) -> float:
    from .checks.registry import checks_for

    return KIND_SECONDS.get(exercise.kind, SECONDS_PER_CHECK * len(checks_for(exercise)))


def plan_groups(exercises: list, jobs: int) -> list[list]:
    """``exercises`` in at most ``jobs`` groups of about equal cost; the same input gives the same groups."""
    if jobs < 2 or len(exercises) < 2:
        return [list(exercises)]
    return [[exercises[i] for i in group] for group in plan([cost(ex) for ex in exercises], jobs)]


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "darwin"  # macOS: fork after numpy/Accelerate is unsafe


class Forked:
    """``fn()`` run in a forked child; ``result()`` is its JSON-able return value, or None if it failed.

    The child ends with ``os._exit``: it never returns into the caller's code, never runs atexit
    handlers and never flushes buffers it inherited. SIGTERM ends it through ``SystemExit``, so its
    ``finally`` blocks (closing its worker) run.
    """

    def __init__(self, fn):
        read_end, write_end = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_end)
            code = 1
            try:
                signal.signal(signal.SIGTERM, _exit_on_sigterm)
                data = json.dumps(fn(), allow_nan=False).encode()
                with os.fdopen(write_end, "wb") as out:
                    out.write(data)
                code = 0
            except BaseException:  # noqa: BLE001 - reported to the parent as "no result": it grades the group itself
                pass
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid, self._read_end = pid, read_end
        self._done = False

    def result(self, timeout: float | None = None):
        """Wait for the child (at most ``timeout`` seconds, then it is stopped); its value, or None when it
        failed or ran out of time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        chunks = []
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and (left <= 0 or not select.select([self._read_end], [], [], left)[0]):
                self.cancel()  # a copy that hangs (it never should): its group is graded by the caller
                return None
            chunk = os.read(self._read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        os.close(self._read_end)
        _, status = os.waitpid(self.pid, 0)
        self._done = True
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        try:
            return json.loads(b"".join(chunks))
        except ValueError:
            return None

    def cancel(self) -> None:
        """Stop the child (it closes its worker) and reap it; a no-op once ``result()`` returned."""
        if self._done:
            return
        self._done = True
        try:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        try:
            os.close(self._read_end)
        except OSError:
            pass


def _exit_on_sigterm(signum, frame):
    raise SystemExit(1)
