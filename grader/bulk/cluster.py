"""``rnngrade grade --dask ADDRESS``: the client side of grading on a Dask distributed cluster.

``DaskPool`` has the interface of ``scheduler.Pool`` (``warm``, ``run``, ``close``), so ``batch``
commits every result exactly as for local slots: ``on_done`` in the calling thread, files first,
then one transaction, as each result arrives (``distributed.as_completed``). The gradebook stays a
single writer in this process; resume and ``--force`` work unchanged.

Each task is ``remote.grade_remote(payload)`` with a payload of plain data (the submission's files
as bytes, the settings, the exercise TOML contents, the isolation level and the client's rnngrade
identity); it returns JSON text, which is parsed and validated here as a result, never unpickled
into anything student code could have shaped. Dask's own messages are pickled: the cluster must be
on a trusted network (docs/bulk.md).

What can go wrong, and what happens:

- ``distributed`` not installed, or the scheduler unreachable or without workers at start:
  ``BulkInputError`` naming the fix (before anything in OUT is touched; exit status 2);
- a worker dies mid-task: the scheduler gives the task to another worker (up to its
  ``allowed-failures``), then the future fails with ``KilledWorker``: an ``infra_error``;
- a task raises (it should not: ``grade_remote`` turns grader errors into ``infra_error``
  replies): retried ``attempts - 1`` times by Dask, then an ``infra_error`` for that submission only;
- a worker with another rnngrade, or without the isolation level asked for: ``infra_error``
  replies naming the machine and the fix (never a score);
- Ctrl-C: what has arrived is committed, the other futures are cancelled (run again to finish).

Only ``MAX_IN_FLIGHT`` tasks (at least 4 per worker thread) are submitted at once: a large class
is read and sent as the cluster takes it, not held in memory all at once.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Callable

from . import BulkInputError
from .remote import PROTOCOL, grade_remote, identity
from .plan import STATUSES, Config

CONNECT_SECONDS = 20.0  # reaching the scheduler
WORKERS_SECONDS = 60.0  # waiting for a first worker to join
MAX_IN_FLIGHT = 64
INSTALL_HINT = "pip install 'rnngrade[dask]' (on this machine and on every worker)"
STUCK_GRACE = 30.0  # seconds beyond the longest a task can legitimately take once a worker has started it
CHECK_STUCK_EVERY = 2.0  # how often the client asks the scheduler which tasks are being processed


def stuck_after(hard_seconds: float, attempts: int) -> float:
    """Seconds after a worker started a task past which the client gives up on it: the worker grades with
    up to ``attempts`` tries of ``hard_seconds`` each, and Dask re-runs a task that raised up to
    ``attempts - 1`` times. Only a worker that stopped answering (a partition, a wedged process) gets here."""
    return max(1, attempts) * (max(1, attempts) * hard_seconds + STUCK_GRACE)


def require_distributed() -> None:
    """Raise ``BulkInputError`` when the optional ``dask`` extra is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise BulkInputError(f"--dask needs the Dask distributed package, which is not installed ({exc})",
                             INSTALL_HINT) from None


def files_of(path: Path) -> tuple[str, dict[str, bytes]]:
    """(kind, {relative path: bytes}) of a submission to send: a file's bytes, or the files a
    folder holds that the loader reads (``.py`` and ``.ipynb``, no symlinks)."""
    if not path.is_dir():
        return "file", {path.name: path.read_bytes()}
    files = {}
    for p in sorted([*path.rglob("*.py"), *path.rglob("*.ipynb")]):
        if p.is_symlink() or not p.is_file():
            continue
        files[p.relative_to(path).as_posix()] = p.read_bytes()
    return "folder", files


class DaskPool:
    def __init__(self, address: str, settings: dict, level: str, connect_seconds: float | None = None,
                 workers_seconds: float | None = None):
        require_distributed()
        connect_seconds = CONNECT_SECONDS if connect_seconds is None else connect_seconds
        workers_seconds = WORKERS_SECONDS if workers_seconds is None else workers_seconds
        from distributed import Client

        self.address, self.level = address, level
        self.settings = dict(settings, exercise_tomls=Config.exercise_tomls())
        self.identity = identity()
        fix = (f"Start a scheduler (`dask scheduler`) and workers on each machine (`dask worker {address} "
               "--nworkers N --nthreads 1`), check the address and port and that this machine can reach it; "
               f"{INSTALL_HINT}.")
        try:
            self.client = Client(address, timeout=connect_seconds, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise BulkInputError(f"cannot reach the Dask scheduler at {address}: {type(exc).__name__}: {exc}",
                                 fix) from None
        try:
            self.client.wait_for_workers(1, timeout=workers_seconds)
        except (OSError, TimeoutError) as exc:
            self.client.close()
            raise BulkInputError(f"the Dask scheduler at {address} has no workers (waited {workers_seconds:g} s: "
                                 f"{type(exc).__name__})", fix) from None
        self.threads = sum(self.client.nthreads().values()) or 1
        self.workers = len(self.client.nthreads())
        self.jobs = self.threads
        self.run_tag = uuid.uuid4().hex[:8]

    def describe(self) -> str:
        return (f"Dask {self.address}: {self.workers} worker{'s' if self.workers != 1 else ''}, "
                f"{self.threads} thread{'s' if self.threads != 1 else ''}")

    def warm(self, n: int | None = None) -> None:
        """Nothing to start: the workers are already running."""

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # noqa: BLE001 - closing a client whose scheduler is gone
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def payload(self, task: dict, hard_seconds: float, attempts: int) -> dict:
        """Plain data only: everything the worker needs, nothing of this machine's disk."""
        path = Path(task["path"])
        kind, files = files_of(path)
        return {"protocol": PROTOCOL, "identity": self.identity, "level": self.level, "settings": self.settings,
                "hard_seconds": hard_seconds, "attempts": attempts, "name": path.name, "kind": kind, "files": files,
                "task": {k: v for k, v in task.items() if k != "path"}}

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
        """Grade every task on the cluster; return False when stopped early by Ctrl-C."""
        from distributed import as_completed

        queue = list(reversed(tasks))  # pop() takes them in the planned order (slowest first)
        limit = max(MAX_IN_FLIGHT, 4 * self.threads)
        running: dict = {}  # future -> (task, submitted at)
        # with_results: results are fetched as soon as each task finishes, by Dask's own gather, which
        # waits for a recomputation when the worker holding a finished result died before the fetch
        done = as_completed(loop=self.client.loop, with_results=True, raise_errors=False)
        last_tick = last_stuck_check = time.monotonic()
        began: dict = {}  # future key -> when the client first saw a worker processing it
        stuck_seconds = stuck_after(hard_seconds, attempts)

        def submit() -> None:
            while queue and len(running) < limit:
                task = queue.pop()
                try:
                    payload = self.payload(task, hard_seconds, attempts)
                except OSError as exc:
                    on_done(task, None, f"could not read the submission to send it: {exc}", 0.0)
                    continue
                future = self.client.submit(grade_remote, payload, key=f"rnngrade-{self.run_tag}-{task['id']}",
                                            pure=False, retries=max(0, attempts - 1))
                running[future] = (task, time.monotonic())
                done.add(future)

        def collect(ready) -> None:
            for future, value in ready:
                if future not in running:
                    continue  # given up as stuck (below) and already reported
                task, started = running.pop(future)
                began.pop(future.key, None)
                reply, error = self._outcome(future, value, task)
                on_done(task, reply, error, time.monotonic() - started)

        def give_up_on_stuck() -> None:
            """A task a worker has been processing for longer than it possibly can: cancelled and reported
            as an infrastructure error (a later run grades it again), so one wedged worker cannot hang the run."""
            now = time.monotonic()
            try:
                processing = {k for keys in self.client.processing().values() for k in keys}
            except Exception:  # noqa: BLE001 - the scheduler did not answer this time: ask again later
                return
            for future in list(running):
                if future.key in processing:
                    began.setdefault(future.key, now)
                if future.key in began and now - began[future.key] > stuck_seconds:
                    task, started = running.pop(future)
                    began.pop(future.key, None)
                    self._cancel([future])
                    on_done(task, None, f"the Dask task did not finish within {stuck_seconds:.0f} s of starting on "
                            f"the cluster at {self.address} (a worker stopped answering?); it was cancelled and is "
                            "graded again by the next run", now - started)

        try:
            submit()
            while running:
                ready = done.next_batch(block=False) if done.has_ready() else []
                if not ready:
                    time.sleep(0.02)
                collect(ready)
                if time.monotonic() - last_stuck_check >= CHECK_STUCK_EVERY:
                    last_stuck_check = time.monotonic()
                    give_up_on_stuck()
                submit()
                if on_tick and time.monotonic() - last_tick >= tick_seconds:
                    last_tick = time.monotonic()
                    on_tick()
        except KeyboardInterrupt:
            # keep what has arrived (a second Ctrl-C during these commits stops at once), drop the rest
            try:
                if on_interrupt:
                    on_interrupt(len(running))
                collect(done.next_batch(block=False) if done.has_ready() else [])
            finally:
                self._cancel(list(running))
            return False
        return True

    def _cancel(self, futures: list) -> None:
        try:
            if futures:
                self.client.cancel(futures)
        except Exception:  # noqa: BLE001 - the scheduler may be gone already
            pass

    def _outcome(self, future, value, task: dict) -> tuple[dict | None, str | None]:
        """(reply, None) for a valid reply, else (None, why): the reply is JSON text, parsed and
        checked here, never an object built elsewhere."""
        where = f"on the Dask cluster at {self.address}"
        if future.status == "cancelled" or type(value).__name__ == "CancelledError":
            return None, f"the Dask task was cancelled {where} (scheduler lost?)"
        if future.status == "error" or isinstance(value, BaseException):
            try:
                text = str(value)[:500]
            except Exception:  # noqa: BLE001 - an exception whose message cannot be built
                text = "(no message)"
            what = f"{type(value).__name__}: {text}"
            if "KilledWorker" in what:
                return None, f"the Dask workers grading it kept dying {where} ({what})"
            return None, f"the Dask task failed {where}: {what}"
        try:
            return validate_reply(value, task), None
        except ValueError as exc:
            return None, f"the Dask worker sent an invalid reply: {exc}"


def validate_reply(text, task: dict) -> dict:
    """The reply dict from a worker's JSON text; ValueError when it is not a well-formed result."""
    from ..results import GradeResult

    if not isinstance(text, str):
        raise ValueError(f"expected JSON text, got {type(text).__name__}")
    reply = json.loads(text)
    if not isinstance(reply, dict) or reply.get("id") != task["id"]:
        raise ValueError("not the answer to this submission")
    status = reply.get("status")
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    for name in ("reason", "error"):
        if not isinstance(reply.get(name) or "", str):
            raise ValueError(f"{name} is not text")
    if not isinstance(reply.get("attempts", 1), int):
        raise ValueError("attempts is not a number")
    if status == "infra_error":
        return {k: reply.get(k) for k in ("id", "status", "reason", "error", "attempts", "sha256")}
    if not isinstance(reply.get("result_json"), str) or not isinstance(reply.get("html"), str):
        raise ValueError("no result or no report")
    try:
        result = GradeResult.from_dict(json.loads(reply["result_json"]))
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with it, it is not a result
        raise ValueError(f"the result does not parse ({type(exc).__name__}: {exc})") from None
    if not (reply.get("sha256") == result.submission.sha256 == task["sha256"]):
        raise ValueError("the result is for other content than the submission that was sent (content hash differs)")
    return reply


__all__ = ["DaskPool", "require_distributed", "validate_reply", "files_of"]
