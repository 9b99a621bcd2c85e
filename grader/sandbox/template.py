"""Workers forked from a preloaded template (a zygote) instead of a new interpreter each time.

Starting ``python -I worker.py`` and importing numpy costs ~85 ms; forking a process that already
did costs a few. ``Template`` starts ``worker.py --template`` once per launcher, with the same
interpreter, flags and scrubbed environment as a spawned worker, and talks to it over a
``SOCK_SEQPACKET`` socket (descriptor number in its argv): ``fork(config, env, uid, gid, keep_fds)`` sends the worker's config and
its three pipe ends, the template forks, and the child fences itself in exactly as a spawned
worker does before any student code runs (``worker._child``: new session, only its pipes (and the
interpreter's prefix descriptor) left open, uid dropped, environment replaced, working folder,
rlimits, import blocker, fresh random seeds). Every worker is a fresh child of a template that
never ran student code; a child is never reused. ``ForkedProcess`` gives the runner what it used
from ``subprocess.Popen`` (pid, pipes, poll/wait/kill); exit statuses come from the template,
which reaps its children.

Used at the ``process`` level (with and without the per-slot uid drop: the template runs as the
grader, root when the uid is dropped, so a student's worker can neither signal nor trace it). The
``sandbox`` level keeps one bubblewrap per worker: see docs/security.md. Whenever the template
cannot start, stops answering or dies, the launcher falls back to spawning (``RNNGRADE_TEMPLATE=0``
forces that path; ``RNNGRADE_TEMPLATE=always`` forks even a launcher's first worker).
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import threading
import time

READY_SECONDS = 20.0  # the template's own start (interpreter + numpy), once per launcher
ANSWER_SECONDS = 2.0  # a fork request; past it the template is dropped and workers are spawned


class TemplateError(Exception):
    """The template could not start or answer: spawn the worker instead."""


def enabled() -> bool:
    """``RNNGRADE_TEMPLATE``: 0/off spawns every worker; always forks even a launcher's first worker (tests)."""
    return os.environ.get("RNNGRADE_TEMPLATE", "1") not in ("0", "no", "off", "false")


def from_first_worker() -> bool:
    return os.environ.get("RNNGRADE_TEMPLATE", "") == "always"


class Template:
    """One template process; not thread-safe (one WorkerSession at a time per launcher)."""

    def __init__(self, argv: list[str], env: dict, pass_fds=(), popen_extra: dict | None = None):
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [*argv, "--template", str(child.fileno())], env=env, cwd="/", stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                pass_fds=tuple(pass_fds) + (child.fileno(),), **(popen_extra or {}))
        except (OSError, subprocess.SubprocessError) as exc:
            parent.close()
            raise TemplateError(f"cannot start the worker template: {exc}") from None
        finally:
            child.close()
        self.sock = parent
        self.exits: dict[int, int] = {}
        self._lock = threading.Lock()
        msg = self._recv(time.monotonic() + READY_SECONDS)
        if msg.get("status") != "template-ready":
            self.close()
            raise TemplateError(f"unexpected first message from the worker template: {str(msg)[:100]}")
        self.start_seconds = 0.0

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _recv(self, deadline: float | None) -> dict:
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TemplateError("the worker template did not answer in time")
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                raise TemplateError("the worker template did not answer in time")
            try:
                data = self.sock.recv(65536)
            except OSError as exc:
                raise TemplateError(f"the worker template is gone: {exc}") from None
            if not data:
                raise TemplateError("the worker template exited")
            try:
                msg = json.loads(data)
            except ValueError:
                raise TemplateError("malformed message from the worker template") from None
            if "exit" in msg:
                self.exits[int(msg["exit"])] = int(msg.get("code", -1))
                continue
            return msg

    def pump(self, timeout: float = 0.0) -> None:
        """Collect the exit reports waiting on the socket, waiting up to ``timeout`` s for the first."""
        with self._lock:
            wait = timeout
            while select.select([self.sock], [], [], wait)[0]:
                wait = 0.0
                try:
                    data = self.sock.recv(65536, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                try:
                    msg = json.loads(data)
                except ValueError:
                    continue
                if "exit" in msg:
                    self.exits[int(msg["exit"])] = int(msg.get("code", -1))

    def fork(self, request: dict, fds: list[int]) -> int:
        with self._lock:
            try:
                socket.send_fds(self.sock, [json.dumps(request).encode()], fds)
            except OSError as exc:
                raise TemplateError(f"the worker template is gone: {exc}") from None
            msg = self._recv(time.monotonic() + ANSWER_SECONDS)
        if type(msg.get("pid")) is not int:
            raise TemplateError(f"the worker template refused: {str(msg.get('error', msg))[:200]}")
        return msg["pid"]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.SubprocessError):
            pass


class ForkedProcess:
    """What the runner needs of a worker process (the subset of ``subprocess.Popen`` it uses)."""

    def __init__(self, template: Template, pid: int, stdin, stdout, stderr):
        self.template, self.pid = template, pid
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.template.pump(0.0)
            self.returncode = self.template.exits.pop(self.pid, None)
            if self.returncode is None and not self.template.alive():  # nobody reports this child's end now
                try:
                    os.kill(self.pid, 0)
                except ProcessLookupError:
                    self.returncode = -9
                except PermissionError:
                    pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if left <= 0:
                raise subprocess.TimeoutExpired("worker", timeout)
            self.template.pump(left)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass


def fork_worker(template: Template, config, env: dict, uid=None, gid=None, keep_fds=()):
    """A worker forked from ``template``, with pipes like the spawned one's; raises TemplateError."""
    pipes = []
    try:
        for _ in range(3):
            pipes.append(os.pipe())
        (in_r, in_w), (out_r, out_w), (err_r, err_w) = pipes
        request = {"config": json.loads(config.to_json()), "env": env, "uid": uid, "gid": gid,
                   "keep_fds": list(keep_fds)}
        pid = template.fork(request, [in_r, out_w, err_w])
    except BaseException:
        for r, w in pipes:
            os.close(r)
            os.close(w)
        raise
    for fd in (in_r, out_w, err_w):  # the child's ends
        os.close(fd)
    return ForkedProcess(template, pid, open(in_w, "wb", buffering=0), open(out_r, "rb", buffering=0),
                         open(err_r, "rb"))
