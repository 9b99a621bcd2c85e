"""A grading slot process: read tasks, grade each (retrying infrastructure failures), render,
answer. Started by ``scheduler`` as a trusted grader process; student code runs one level further
down, in the fresh sandboxed worker ``engine.grade`` starts for every submission.

Protocol: JSON lines. The first line on stdin holds the settings; then one task per line in, one
outcome per line out (on the original stdout; anything else that prints goes to stderr). No
pickle in either direction. ``Slot.grade`` never raises: whatever goes wrong in the grader becomes
an ``infra_error`` outcome with the traceback, never a score.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .. import engine
from ..render.html import render_html
from .plan import Config, classify, load_unit


class Slot:
    """Per-process state, built once from the run's settings."""

    def __init__(self, settings: dict):
        self.config = Config.from_dict(settings["config"])
        self.limits = self.config.limits()
        tomls = settings.get("exercise_tomls")
        if tomls:  # the client's exercise TOMLs (a Dask worker may not have the course's files)
            # parsed at once and the folder removed: a slot killed later (the hard time limit) leaves nothing
            with tempfile.TemporaryDirectory(prefix="rnngrade-exercises-") as folder:
                for name, text in tomls.items():
                    if "/" in name or "\\" in name or not name.endswith(".toml") or name.startswith("."):
                        raise ValueError(f"not an exercise TOML file name: {name!r}")
                    Path(folder, name).write_bytes(text.encode("utf-8"))
                self.exercises = self.config.exercises(Path(folder))
        else:
            self.exercises = self.config.exercises()
        self.attempts = int(settings.get("attempts", 3))
        self.retry_delay = float(settings.get("retry_delay", 0.5))
        spec = settings.get("launcher")
        self.launcher = _import(spec)() if spec else None

    def grade(self, task: dict) -> dict:
        cfg = self.config
        error, result, attempt = "", None, 0
        for attempt in range(1, self.attempts + 1):
            try:
                sub, _ = load_unit(Path(task["path"]), task["rel"], cfg.blocked_imports, lambda: task["sha256"])
                result = engine.grade(sub, list(cfg.exercise_ids) or None, seed=cfg.seed, limits=self.limits,
                                      launcher=self.launcher, exercises=self.exercises,
                                      blocked_imports=cfg.blocked_imports, thorough=cfg.thorough,
                                      budget_seconds=cfg.budget_seconds, api=cfg.api)
            except Exception as exc:  # noqa: BLE001 - a grader bug is an infrastructure error, never a 0
                result, error = None, "".join(traceback.format_exception(exc))
            else:
                status, reason = classify(result)
                if status != "infra_error":
                    break
                error = reason
            if attempt < self.attempts:
                time.sleep(self.retry_delay * attempt)
        out = {"id": task["id"], "attempts": attempt, "sha256": task["sha256"], "error": "",
               "result_json": None, "html": None}
        if result is None:
            last = error.strip().splitlines()[-1] if error.strip() else "unknown error"
            return dict(out, status="infra_error", reason=f"grader error: {last}", error=error)
        out["sha256"] = result.submission.sha256
        status, reason = classify(result)
        if status == "infra_error":
            return dict(out, status=status, reason=reason, error=error)
        try:
            return dict(out, status=status, reason=reason, result_json=result.to_json(), html=render_html(result))
        except Exception as exc:  # noqa: BLE001
            return dict(out, status="infra_error", reason=f"the report could not be written: {exc}",
                        error="".join(traceback.format_exception(exc)))


def _import(spec: str):
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def main(settings: dict) -> None:  # pragma: no cover - runs in the slot process (exercised by the bulk tests)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    from ..memtune import tune_this_process

    tune_this_process()  # the arrays every call sends and receives: from the heap (grader/memtune.py)
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints must not corrupt the protocol
    try:
        slot, setup_error = Slot(settings), ""
    except Exception as exc:  # noqa: BLE001 - report it as the answer to every task
        slot, setup_error = None, "".join(traceback.format_exception(exc))
    for line in sys.stdin:
        task = json.loads(line)
        reply = slot.grade(task) if slot is not None else {"id": task.get("id"), "setup_error": setup_error}
        try:
            replies.write(json.dumps(reply) + "\n")
            replies.flush()
        except OSError:
            return


def _die_with_parent() -> None:  # pragma: no cover - runs in the slot process
    """Linux: get SIGKILL when the bulk command dies (even by SIGKILL), so no grader is left behind."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        os._exit(0)
