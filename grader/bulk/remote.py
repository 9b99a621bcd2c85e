"""What a Dask worker runs for ``rnngrade grade --dask``: one submission, from plain data to JSON text.

The client (``cluster.DaskPool``) sends ``grade_remote`` a payload of plain data only: the
submission's files as bytes (workers on other machines do not share the client's disk), the run's
settings (the same dict a local slot gets, plus the *contents* of the client's exercise TOMLs, since
a worker may not have the course's files), the isolation level, the per-submission hard limit and
the client's rnngrade identity (version and a hash of the grader's code). The worker

1. refuses, as an infrastructure error (never a score), when its rnngrade differs from the client's
   or the isolation level asked for cannot run on this machine;
2. writes the files into a private temporary folder;
3. grades them in a local slot process (``grader.bulk.work``, the same trusted process a local
   ``--jobs`` run uses, reused from task to task, replaced after a crash, killed past the hard
   limit), which runs the student's code in a fresh sandboxed worker as always;
4. returns the slot's JSON reply as *text*: the client only ``json.loads`` it and validates it as a
   result. Nothing that student code could have produced is ever pickled back.

This module does not import dask: it is imported on the worker by reference from the task.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import socket
import tempfile
import threading
import traceback
from pathlib import Path, PurePosixPath

from .. import __version__

PROTOCOL = 1
SKIP_DIRS = {"__pycache__"}


_hashed: dict = {}  # the files' (name, size, mtime) -> their hash


def code_hash() -> str:
    """A hash of the installed grader's own files (``grader`` and ``reference`` packages): two
    machines that would grade differently disagree on it even when the version string is the same.
    Re-read only when a file's size or time changed (a stat of each file: ~10 ms per task)."""
    files = []
    for package in ("grader", "reference"):  # found, not imported (a student handout has no reference)
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        root = Path(list(spec.submodule_search_locations)[0])
        for f in sorted(root.rglob("*")):
            if f.suffix in (".pyc", ".pyo") or SKIP_DIRS & set(f.relative_to(root).parts) or not f.is_file():
                continue
            st = f.stat()
            files.append((f"{package}/{f.relative_to(root).as_posix()}", f, st.st_size, st.st_mtime_ns))
    signature = tuple((name, size, mtime) for name, _, size, mtime in files)
    if signature not in _hashed:
        digest = hashlib.sha256()
        for name, f, _, _ in files:
            digest.update(name.encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
        _hashed.clear()
        _hashed[signature] = digest.hexdigest()[:16]
    return _hashed[signature]


def identity() -> dict:
    """What must be equal on the client and every worker (the grader's files as they are now)."""
    return {"version": __version__, "code_hash": code_hash()}


# ---------------------------------------------------------------- the task


def grade_remote(payload: dict) -> str:
    """Grade one submission described by plain data; return the slot's reply as JSON text. Never
    raises for anything that goes wrong in grading: that is an ``infra_error`` reply."""
    task = payload.get("task") or {}
    try:
        reply = _grade(payload, task)
    except Exception as exc:  # noqa: BLE001 - a grader bug on the worker is an infrastructure error
        error = "".join(traceback.format_exception(exc))
        reply = _infra(task, f"the Dask worker on {_host()} failed: {error.strip().splitlines()[-1]}", error)
    reply["host"] = _host()
    return _encode(reply)


def _encode(reply: dict) -> str:
    return json.dumps(reply)


def _grade(payload: dict, task: dict) -> dict:
    mine, theirs = identity(), payload.get("identity") or {}
    if payload.get("protocol") != PROTOCOL or theirs != mine:
        why = (f"the Dask worker on {_host()} runs rnngrade {mine['version']} (code {mine['code_hash']}), the client "
               f"rnngrade {theirs.get('version', '?')} (code {theirs.get('code_hash', '?')})")
        return _infra(task, why + ": install the same rnngrade on the client and every worker "
                      f"(pip install 'rnngrade[dask]=={theirs.get('version', __version__)}') and restart the workers", why)
    level = payload.get("level")
    if level == "sandbox":
        from ..sandbox.isolation import INSTALL_HINT, sandbox_probe

        reason = sandbox_probe()
        if reason:
            why = f"the sandbox isolation level cannot run on the Dask worker on {_host()}: {reason}"
            return _infra(task, f"{why}; on that machine, {INSTALL_HINT}", why)
    elif level != "process":
        return _infra(task, f"unknown isolation level {level!r} asked of the Dask worker", "")
    with tempfile.TemporaryDirectory(prefix="rnngrade-dask-") as tmp:
        path = write_submission(Path(tmp), payload["name"], payload["kind"], payload["files"])
        return _run_in_slot(payload["settings"], dict(task, path=str(path)), float(payload["hard_seconds"]),
                            int(payload.get("attempts", 3)))


def write_submission(root: Path, name: str, kind: str, files: dict) -> Path:
    """Write a submission sent as ``{relative path: bytes}`` under ``root``; return what to load."""
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise ValueError(f"not a file or folder name: {name!r}")
    target = root / name
    if kind == "file":
        (data,) = files.values()
        target.write_bytes(data)
        return target
    if kind != "folder":
        raise ValueError(f"unknown submission kind {kind!r}")
    target.mkdir()
    for rel, data in files.items():
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts or "\\" in rel:
            raise ValueError(f"not a relative path inside the submission: {rel!r}")
        p = target.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return target


# ---------------------------------------------------------------- local slots on this worker

_idle: dict[str, list] = {}  # settings -> idle scheduler.Pool(1) (each holds one slot process)
_lock = threading.Lock()


def _run_in_slot(settings: dict, task: dict, hard_seconds: float, attempts: int) -> dict:
    from .scheduler import Pool

    key = json.dumps(settings, sort_keys=True)
    with _lock:
        if key not in _idle:  # a new run's settings: the slots of earlier runs are not needed any more
            for pool in [p for pools in _idle.values() for p in pools]:
                pool.close()
            _idle.clear()
        pools = _idle.setdefault(key, [])
        pool = pools.pop() if pools else Pool(1, settings)
    answers: list = []
    try:
        pool.run([task], lambda t, reply, error, seconds: answers.append((reply, error)), hard_seconds,
                 attempts=attempts)
    except BaseException:
        pool.close()
        raise
    with _lock:
        _idle.setdefault(key, []).append(pool)
    reply, error = answers[0] if answers else (None, "the grading process gave no answer")
    if reply is None:
        return _infra(task, f"on the Dask worker on {_host()}: {error}", error or "")
    return reply


def _infra(task: dict, reason: str, error: str) -> dict:
    return {"id": task.get("id"), "status": "infra_error", "reason": reason, "error": error,
            "attempts": 1, "sha256": task.get("sha256"), "result_json": None, "html": None}


def _host() -> str:
    return socket.gethostname()
