"""Parent side of the sandbox: start a worker, call student functions, survive whatever happens.

Every call has a wall-clock deadline; past it the worker's whole process group gets SIGKILL and
the call's outcome is ``timeout``. A worker that exits, crashes or breaks the protocol is thrown
away and the next call starts a fresh one (re-importing the submission), so one bad function
never costs the checks of the others. The student's printed output is drained by a thread and
kept up to a cap; a flood past a larger cap kills the worker.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import wire
from .launcher import DEFAULT_BLOCKED_IMPORTS, Limits, ProcessLauncher, WorkerConfig


@dataclass
class CallOutcome:
    """What one call into the worker produced. ``status`` is one of:

    ok, error (student code raised), not_implemented (raised NotImplementedError or returned
    None), missing (no such function), bad_return (wrong structure), timeout, crashed (the
    process died), protocol_error (a malformed frame), infra_error (no worker could start).
    """

    status: str
    value: list | None = None
    exc_type: str = ""
    exc_msg: str = ""
    frames: list = field(default_factory=list)
    detail: str = ""
    seconds: float = 0.0
    warnings: list = field(default_factory=list)
    echo: list | None = None


@dataclass
class ImportOutcome:
    status: str  # ready | import_error | timeout | crashed | protocol_error | infra_error
    functions: dict = field(default_factory=dict)
    exc_type: str = ""
    exc_msg: str = ""
    frames: list = field(default_factory=list)
    detail: str = ""
    seconds: float = 0.0


class _OutputDrain(threading.Thread):
    """Reads the worker's merged stdout/stderr, keeping the first bytes, killing on a flood.

    Reads happen only under the session's output lock, so ``collect()`` from the caller's thread,
    right after a frame arrived, finds everything the worker printed before sending it (the worker
    flushes first) either already kept or still in the pipe: ``session.output`` is then exact, which
    a forked copy relies on to drop the import output its parent has already kept (grader/engine.py).
    """

    def __init__(self, stream, session: "WorkerSession"):
        super().__init__(daemon=True)
        self.stream, self.session = stream, session  # the stream (and so its descriptor) lives as long as this
        os.set_blocking(stream.fileno(), False)

    def run(self):
        poller = select.poll()
        poller.register(self.stream.fileno(), select.POLLIN)
        while True:
            try:
                poller.poll()
            except OSError:
                return
            if not self.collect():
                return

    def collect(self) -> bool:
        """Keep what is in the pipe now; False once the worker closed it or flooded it."""
        s = self.session
        with s._output_lock:
            while True:
                try:
                    chunk = os.read(self.stream.fileno(), 65536)
                except BlockingIOError:
                    return True
                except (OSError, ValueError):
                    return False
                if not chunk:
                    return False
                room = s.limits.output_kept_bytes - len(s._output)
                if room > 0:
                    s._output += chunk[:room]
                s.output_total += len(chunk)
                if s.output_total > s.limits.output_kill_bytes:
                    break
        s.flooded = True
        s._kill()
        return False


class WorkerSession:
    """One submission's worker, restarted as needed. Not thread-safe: one caller at a time."""

    def __init__(
        self,
        files: dict[str, bytes],
        module_file: str,
        limits: Limits | None = None,
        blocked_imports=DEFAULT_BLOCKED_IMPORTS,
        launcher=None,
        frame_map=None,
    ):
        self.files, self.module_file = files, module_file
        self.limits = limits or Limits()
        self.blocked_imports = tuple(blocked_imports)
        self.launcher = launcher or ProcessLauncher()
        # frames (relative path, line) -> frames the student recognises; a notebook maps its extracted
        # module back to "cell N, line M" here, in the parent, before any message is built
        self.frame_map = frame_map or (lambda frames: frames)
        self.proc: subprocess.Popen | None = None
        self.generation = 0
        self.restarts = 0
        self.flooded = False
        self.output_total = 0
        self._output = b""
        self._output_lock = threading.Lock()
        self._tmp: str | None = None
        self.hello: ImportOutcome | None = None
        self._student_dir = ""
        self._drain: _OutputDrain | None = None
        self.deadline: float | None = None  # time.monotonic() past which no call or import may run
        self.start_seconds: float | None = None  # the last start(), fork or spawn to "ready"
        self.forked = False  # whether the current worker was forked from a template (else spawned)

    @property
    def isolation(self) -> str:
        return self.launcher.level

    @property
    def output(self) -> str:
        with self._output_lock:
            text = self._output.decode("utf-8", errors="replace")
        if self.output_total > len(self._output):
            text += f"\n[... {self.output_total - len(self._output)} more bytes of output not kept]"
        return text

    # ------------------------------------------------------------ lifecycle

    def _prepare_dirs(self) -> WorkerConfig:
        self._tmp = tempfile.mkdtemp(prefix="rnngrade-")
        student_dir = Path(self._tmp, "submission")
        workdir = Path(self._tmp, "work")
        workdir.mkdir()
        for rel, data in self.files.items():
            target = student_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        name = Path(self.module_file).stem
        return WorkerConfig(
            student_dir=str(student_dir) + os.sep,
            module_file=self.module_file,
            module_name=name if name.isidentifier() else "submission",
            workdir=str(workdir),
            limits=self.limits,
            blocked_imports=self.blocked_imports,
        )

    def start(self) -> ImportOutcome:
        """Start a fresh worker and wait for it to import the submission."""
        self._cleanup()
        self.generation += 1
        config = self._prepare_dirs()
        self._student_dir = config.student_dir
        started = time.monotonic()
        self.forked = False
        fork = getattr(self.launcher, "fork_worker", None)
        if fork is not None:  # a fresh fork of the launcher's preloaded template (grader/sandbox/template.py)
            try:
                self.proc = fork(config)
            except Exception:  # noqa: BLE001 - any trouble with the template: spawn the worker as before
                self.proc = None
            self.forked = self.proc is not None
        if not self.forked:
            try:
                argv, env, cwd = self.launcher.command(config)
                # isolation layers may need more than an argv: a uid to drop to, a descriptor to pass
                extra = self.launcher.popen_kwargs(config) if hasattr(self.launcher, "popen_kwargs") else {}
            except Exception as exc:  # noqa: BLE001 - a launcher that cannot prepare is the grader's problem
                self.hello = ImportOutcome("infra_error", detail=f"could not prepare a worker: {exc}")
                return self.hello
            started = time.monotonic()
        for attempt in range(0 if self.forked else 2):
            try:
                self.proc = subprocess.Popen(
                    argv,
                    env=env,
                    cwd=cwd,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                    **extra,
                )
                break
            except (OSError, subprocess.SubprocessError) as exc:
                if attempt:
                    self.hello = ImportOutcome("infra_error", detail=f"could not start a worker: {exc}")
                    return self.hello
        os.set_blocking(self.proc.stdin.fileno(), False)
        os.set_blocking(self.proc.stdout.fileno(), False)
        for stream in (self.proc.stdin, self.proc.stdout):
            _widen_pipe(stream.fileno())
        with self._output_lock:
            self._output_mark = len(self._output)  # what this worker printed starts here
        self._drain = _OutputDrain(self.proc.stderr, self)
        self._drain.start()
        deadline = time.monotonic() + self.limits.import_seconds
        if self.deadline is not None:
            deadline = min(deadline, self.deadline)
        # The worker says "started" once its limits are set and numpy is imported, BEFORE any student
        # code runs. Whatever goes wrong before that (bubblewrap refused, the interpreter or numpy
        # missing in the sandbox) is an infrastructure error, retried and never scored; the student
        # cannot forge it, because their code only runs after that frame was sent.
        up = False
        try:
            header, arrays = wire.read_frame(self.proc.stdout.fileno(), deadline)
            if header.get("status") == "started":
                up = True
                header, arrays = wire.read_frame(self.proc.stdout.fileno(), deadline)
        except wire.Deadline:
            self._kill()
            if self.deadline is not None and time.monotonic() >= self.deadline:
                # the submission's overall budget ran out (its own slow calls used it up): not the grader's fault
                self.hello = ImportOutcome("timeout", detail="the submission's overall time budget was used up")
            elif up:
                self.hello = ImportOutcome("timeout", detail=f"import took longer than {self.limits.import_seconds:g} s")
            else:
                self.hello = ImportOutcome("infra_error", detail=f"the worker did not start within "
                                           f"{self.limits.import_seconds:g} s{self._startup_output()}")
        except wire.PeerClosed:
            detail = self._exit_detail()
            self.hello = ImportOutcome("crashed", detail=detail) if up else ImportOutcome(
                "infra_error", detail=f"the worker could not start ({detail}){self._startup_output()}")
        except wire.ProtocolError as exc:
            self._kill()
            self.hello = ImportOutcome("protocol_error" if up else "infra_error", detail=str(exc))
        else:
            self._drain.collect()  # the import's output, all of it (see _OutputDrain)
            self.hello = self._hello_from(header)
        if self.hello.status == "infra_error":
            failed = getattr(self.launcher, "worker_failed_to_start", None)
            if failed is not None:
                failed()  # e.g. the sandbox stopped working here: forget that it did (probe_cache.py)
        self.hello.seconds = time.monotonic() - started
        self.start_seconds = self.hello.seconds  # fork/spawn to "ready" (or to the failure), for benchmarks
        return self.hello

    def _hello_from(self, header: dict) -> ImportOutcome:
        status = header.get("status")
        if status == "ready" and isinstance(header.get("functions"), dict):
            functions = {}
            for name, info in header["functions"].items():
                params = info.get("params") if isinstance(info, dict) else None
                ok = isinstance(params, list) and all(isinstance(p, str) for p in params)
                functions[str(name)] = {
                    "params": params if ok else None,
                    "varargs": bool(info.get("varargs")) if isinstance(info, dict) else True,
                }
            return ImportOutcome("ready", functions=functions)
        if status == "import_error":
            self._kill()
            return ImportOutcome(
                "import_error",
                exc_type=str(header.get("exc_type", ""))[:200],
                exc_msg=str(header.get("exc_msg", ""))[:2000],
                frames=self.frame_map(_clean_frames(header.get("frames"), self._student_dir)),
            )
        self._kill()
        return ImportOutcome("protocol_error", detail="unexpected first message from the worker")

    def _exit_detail(self) -> str:
        code = None
        if self.proc is not None:
            try:
                code = self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._kill()
        if self.flooded:
            return f"the worker was stopped after printing more than {self.limits.output_kill_bytes} bytes"
        if code is None:
            return "the worker process stopped responding"
        if code > 128 and getattr(self.launcher, "signal_exit_codes", False):
            code = 128 - code  # bubblewrap reports a child killed by signal N as exit code 128 + N
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            hint = {"SIGSEGV": " (a crash in native code)", "SIGXCPU": " (CPU time limit)", "SIGKILL": ""}
            return f"the worker process was killed by {name}{hint.get(name, '')}"
        return f"the worker process exited with code {code} (sys.exit / os._exit or a crash)"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _kill(self) -> None:
        proc = self.proc
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.kill()
        except OSError:
            pass

    def _startup_output(self) -> str:
        if self._drain is not None:
            self._drain.join(timeout=1.0)
        with self._output_lock:
            mark = getattr(self, "_output_mark", 0)
            text = self._output[mark:mark + 400].decode("utf-8", errors="replace").strip()
        return f": {text}" if text else ""

    def _cleanup(self) -> None:
        if self.proc is not None:
            self._kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.proc = None
            # e.g. kill whatever the slot's uid still runs (setsid daemons) and remove its files
            after = getattr(self.launcher, "after_worker", None)
            if after is not None:
                after()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def close(self) -> None:
        if self.alive():
            try:
                frame = wire.encode_frame({"op": "exit"}, [])
                wire.write_all(self.proc.stdin.fileno(), frame, time.monotonic() + 0.5)
            except (wire.Deadline, wire.PeerClosed, OSError):
                pass
        self._cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ calls

    def call(
        self,
        fn: str,
        args: list,
        returns: list[str] | None = None,
        echo: bool = False,
        seconds: float | None = None,
    ) -> CallOutcome:
        """Call ``fn(*args)`` in the worker. Arrays in ``args`` are sent as fresh copies."""
        if not self.alive() or self.hello is None or self.hello.status != "ready":
            self.restarts += self.hello is not None
            hello = self.start()
            if hello.status != "ready":
                return CallOutcome("crashed" if hello.status != "infra_error" else "infra_error",
                                   detail=f"the submission could not be re-imported: {hello.status}"
                                          + (f" ({hello.detail})" if hello.detail else ""))
        if any(isinstance(h, wire.Handle) and h.generation != self.generation for h in _walk(args)):
            return CallOutcome("crashed", detail="the cache was lost because the worker restarted")
        arrays: list = []
        tagged = wire.encode_value([_copy(a) for a in args], arrays)
        request = {"op": "call", "fn": fn, "args": tagged, "returns": returns, "echo": echo}
        limit = seconds if seconds is not None else self.limits.call_seconds
        if self.deadline is not None and self.deadline - time.monotonic() < limit:
            limit = max(0.0, self.deadline - time.monotonic())
            if limit == 0.0:
                return CallOutcome("timeout", detail="the submission's overall time budget was used up")
        started = time.monotonic()
        deadline = started + limit
        try:
            wire.write_all(self.proc.stdin.fileno(), wire.encode_frame(request, arrays), deadline)
            header, out = wire.read_frame(self.proc.stdout.fileno(), deadline)
            self._drain.collect()  # what this call printed is kept before the caller looks
            outcome = self._outcome_from(header, out)
        except wire.Deadline:
            self._kill()
            outcome = CallOutcome("timeout", detail=f"no answer within {limit:g} s")
        except wire.PeerClosed:
            outcome = CallOutcome("crashed", detail=self._exit_detail())
        except wire.ProtocolError as exc:
            self._kill()
            outcome = CallOutcome("protocol_error", detail=str(exc))
        outcome.seconds = time.monotonic() - started
        if outcome.status in ("timeout", "crashed", "protocol_error"):
            self._cleanup()
        return outcome

    def _outcome_from(self, header: dict, arrays: list) -> CallOutcome:
        status = header.get("status")
        if status == "ok":
            value = wire.decode_value(header.get("value", {"t": "none"}), arrays)
            for h in _walk(value):
                if isinstance(h, wire.Handle):
                    h.generation = self.generation
            echo = header.get("echo")
            warnings = header.get("warnings") if isinstance(header.get("warnings"), list) else []
            return CallOutcome(
                "ok",
                value=value if isinstance(value, list) else [value],
                warnings=[str(w)[:300] for w in warnings[:5]],
                echo=wire.decode_value(echo, arrays) if echo is not None else None,
            )
        if status in ("error", "not_implemented"):
            return CallOutcome(
                status,
                exc_type=str(header.get("exc_type", ""))[:200],
                exc_msg=str(header.get("exc_msg", ""))[:2000],
                frames=self.frame_map(_clean_frames(header.get("frames"), self._student_dir)),
            )
        if status == "missing":
            return CallOutcome("missing")
        if status == "bad_return":
            return CallOutcome("bad_return", detail=str(header.get("detail", ""))[:500])
        raise wire.ProtocolError(f"unexpected reply status {str(status)[:30]!r}")

    def drop(self, handles: list) -> None:
        """Free kept caches; best effort, a dead worker has freed them already."""
        live = [h.id for h in handles if isinstance(h, wire.Handle) and h.generation == self.generation]
        if not live or not self.alive():
            return
        deadline = time.monotonic() + self.limits.call_seconds
        try:
            wire.write_all(self.proc.stdin.fileno(), wire.encode_frame({"op": "drop", "handles": live}, []), deadline)
            wire.read_frame(self.proc.stdout.fileno(), deadline)
        except (wire.Deadline, wire.PeerClosed, wire.ProtocolError):
            self._cleanup()


_F_SETPIPE_SZ = 1031
PIPE_BYTES = 1 << 20  # the default unprivileged maximum (/proc/sys/fs/pipe-max-size)


def _widen_pipe(fd: int) -> None:
    """A 1 MiB pipe instead of 64 KiB: a training step's arrays (~0.4 MB each way) cross in one write
    instead of seven, each of which waited for the other side to read."""
    try:
        import fcntl

        fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_BYTES)
    except (OSError, ImportError):
        pass  # a smaller pipe only costs time


def _copy(value):
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _walk(value):
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _walk(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    else:
        yield value


def _clean_frames(frames, student_dir: str) -> list[dict]:
    """Traceback frames from the worker, reduced to plain, bounded fields, paths made relative."""
    out = []
    for f in frames if isinstance(frames, list) else []:
        if isinstance(f, dict):
            line = f.get("line")
            path = str(f.get("file", ""))
            if student_dir and path.startswith(student_dir):
                path = path[len(student_dir):]
            out.append(
                {
                    "file": path[:500],
                    "line": line if type(line) is int else 0,
                    "func": str(f.get("func", ""))[:200],
                    "code": str(f.get("code", ""))[:300],
                }
            )
    return out[-30:]
