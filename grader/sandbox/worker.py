"""The sandboxed worker: imports ONE submission and calls its functions on request.

Run as a script (``python -I worker.py CONFIG_JSON``), never imported by the grader. It uses only
the standard library, numpy and ``wire.py`` (loaded under a private name, so a submission cannot
reach it with a plain ``import``). It never sees expected values, the reference or the checks:
it receives inputs, calls the student's function, and sends back whatever came out. Everything
it says is data about the student's answers, nothing more; the parent decides the grade.

Order matters: limits and file descriptors are set up before numpy, and numpy before any
student code, so the student's code starts in a process that is already fenced in.
"""

import importlib.util
import json
import os
import sys
import time
import traceback
import warnings


def _load_wire():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wire.py")
    spec = importlib.util.spec_from_file_location("_rnngrade_wire", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _apply_limits(limits: dict) -> None:
    import resource

    def cap(name, value):
        if value is None:
            return
        res = getattr(resource, name)
        soft, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(res, (value, value))

    cap("RLIMIT_CORE", 0)
    cap("RLIMIT_CPU", limits.get("cpu_seconds"))
    mb = limits.get("memory_mb")
    cap("RLIMIT_AS", mb * 1024 * 1024 if mb else None)
    fmb = limits.get("file_size_mb")
    cap("RLIMIT_FSIZE", fmb * 1024 * 1024 if fmb else None)
    cap("RLIMIT_NOFILE", limits.get("open_files"))
    if os.geteuid() != 0:  # RLIMIT_NPROC does not bind root; per-slot uids are the sandbox's job
        cap("RLIMIT_NPROC", limits.get("processes"))


class _ImportBlocker:
    """A meta-path finder that refuses the packages this exercise forbids."""

    def __init__(self, blocked):
        self.blocked = set(blocked)

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in self.blocked:
            raise ImportError(
                f"importing {top!r} is not allowed in this exercise: "
                "implement the function with numpy only"
            )
        return None


def _frames(tb, student_dir):
    """Traceback frames as plain data, keeping only the student's own files when there are any."""
    frames = [
        {"file": f.filename, "line": f.lineno or 0, "func": f.name, "code": (f.line or "")[:300]}
        for f in traceback.extract_tb(tb)
    ]
    mine = [f for f in frames if f["file"].startswith(student_dir)]
    return (mine or frames[-1:])[-30:]


def _error_reply(exc, student_dir):
    not_impl = isinstance(exc, NotImplementedError)
    message = str(exc)[:2000] if not isinstance(exc, SystemExit) else f"sys.exit({exc.code!r})"
    return {
        "status": "not_implemented" if not_impl else "error",
        "exc_type": type(exc).__name__,
        "exc_msg": message,
        "frames": _frames(exc.__traceback__, student_dir),
    }


class Worker:
    def __init__(self, wire, module, student_dir, fd_in, fd_out):
        self.wire, self.module, self.student_dir = wire, module, student_dir
        self.fd_in, self.fd_out = fd_in, fd_out
        self.kept, self.next_id = {}, 1

    def keep(self, obj):
        hid, self.next_id = self.next_id, self.next_id + 1
        self.kept[hid] = obj
        return hid

    def send(self, header, arrays=()):
        sys.stdout.flush()
        sys.stderr.flush()
        self.wire.write_all(self.fd_out, self.wire.encode_frame(header, list(arrays)))

    def resolve(self, value):
        """Decoded request values with handles swapped for the kept objects."""
        wire = self.wire
        if isinstance(value, wire.Handle):
            if value.id not in self.kept:
                raise LookupError(f"unknown handle {value.id}")
            return self.kept[value.id]
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def shape_return(self, result, returns):
        """Check the returned structure against what the API promises; None when it fits."""
        if returns is None:
            return None, result
        if result is None or (isinstance(result, tuple) and all(r is None for r in result)):
            return "not_implemented", None
        if len(returns) > 1:
            if not isinstance(result, (tuple, list)):
                return f"returned a single {type(result).__name__}, expected a tuple of {len(returns)} values", None
            if len(result) != len(returns):
                return f"returned {len(result)} values, expected {len(returns)}", None
            items = list(result)
        else:
            items = [result]
        out = []
        for item, kind in zip(items, returns):
            if kind == "handle":
                out.append(self.wire.Handle(self.keep(item)))
            elif kind == "drop":  # e.g. a cache the parent will never use: not kept at all
                out.append(None)
            elif kind == "array":
                out.append(self.as_array(item))
            elif kind == "dict":
                if not isinstance(item, dict):
                    return f"returned a {type(item).__name__} where a dict was expected", None
                out.append({str(k): self.as_array(v) for k, v in item.items()})
            else:
                out.append(item)
        return None, out

    def as_array(self, item):
        import numpy as np

        try:
            arr = np.asarray(item)
        except Exception:  # noqa: BLE001 - anything the student returned
            return item
        if arr.dtype.str not in self.wire.ALLOWED_DTYPES:
            return item  # crosses as "other": the parent reports the type
        return np.array(arr, copy=True, subok=False)

    def call(self, request, arrays):
        wire = self.wire
        fn = getattr(self.module, str(request.get("fn")), None)
        if not callable(fn):
            return {"status": "missing"}, []
        sent = wire.decode_value(request.get("args", {"t": "list", "items": []}), arrays)
        args = self.resolve(sent)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            try:
                result = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - SystemExit included: it must not end the worker
                reply = _error_reply(exc, self.student_dir)
                reply["seconds"] = time.perf_counter() - start
                return reply, []
            seconds = time.perf_counter() - start
        problem, shaped = self.shape_return(result, request.get("returns"))
        reply = {"status": "ok", "seconds": seconds}
        reply["warnings"] = [f"{w.category.__name__}: {w.message}"[:300] for w in caught[:5]]
        if problem == "not_implemented":
            return {"status": "not_implemented", "exc_type": "None", "exc_msg": "returned None"}, []
        if problem:
            return {"status": "bad_return", "detail": problem}, []
        out_arrays = []
        reply["value"] = wire.encode_value(shaped, out_arrays, keep=self.keep)
        if request.get("echo"):
            reply["echo"] = wire.encode_value(_without_kept(sent, args, wire.Handle), out_arrays)
        return reply, out_arrays

    def serve(self):
        wire = self.wire
        while True:
            try:
                request, arrays = wire.read_frame(self.fd_in)
            except wire.PeerClosed:
                os._exit(0)
            op = request.get("op")
            if op == "call":
                reply, out = self.call(request, arrays)
                self.send(reply, out)
            elif op == "drop":
                for hid in request.get("handles", []):
                    self.kept.pop(hid, None)
                self.send({"status": "ok"})
            elif op == "exit":
                self.send({"status": "bye"})
                os._exit(0)
            else:
                self.send({"status": "bad_request"})


def _without_kept(sent, args, handle_type):
    """The arguments as the call left them, for the parent's mutation check, with None where the
    parent sent a handle: a kept cache (often every step's arrays) is the student's own object,
    which the parent never compares, and echoing it cost more than the call."""
    if isinstance(sent, handle_type):
        return None
    if isinstance(sent, list) and isinstance(args, list) and len(sent) == len(args):
        return [_without_kept(s, a, handle_type) for s, a in zip(sent, args)]
    if isinstance(sent, dict) and isinstance(args, dict):
        return {k: _without_kept(sent.get(k), v, handle_type) for k, v in args.items()}
    return args


def _describe(module):
    import inspect

    functions = {}
    for name, obj in list(vars(module).items())[:2000]:
        if name.startswith("__") or not callable(obj):
            continue
        try:
            params = [
                p.name
                for p in inspect.signature(obj).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            varargs = any(p.kind == p.VAR_POSITIONAL for p in inspect.signature(obj).parameters.values())
        except (TypeError, ValueError):
            params, varargs = None, True
        functions[name[:200]] = {"params": params, "varargs": varargs}
    return functions


def main(config=None, wire=None):
    config = json.loads(sys.argv[1]) if config is None else config
    # keep the protocol pipes on private descriptors; the student's prints go to stderr's pipe
    fd_in, fd_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    _apply_limits(config.get("limits", {}))
    wire = wire or _load_wire()
    import numpy  # noqa: F401 - loaded before the student's code, which expects it

    # Up and fenced in, no student code run yet: from here on, a failure is the submission's (see
    # WorkerSession.start). Everything before this point failing is an infrastructure error.
    Worker(wire, None, "", fd_in, fd_out).send({"status": "started"})
    student_dir = config["student_dir"]
    sys.path.insert(0, student_dir)
    sys.meta_path.insert(0, _ImportBlocker(config.get("blocked_imports", [])))
    sys.dont_write_bytecode = True
    os.chdir(config["workdir"])
    path = os.path.join(student_dir, config["module_file"])
    try:
        spec = importlib.util.spec_from_file_location(config["module_name"], path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[config["module_name"]] = module
        sys.stdout.flush()
        spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001 - report anything, SystemExit included
        reply = _error_reply(exc, student_dir)
        reply["status"] = "import_error"
        Worker(wire, None, student_dir, fd_in, fd_out).send(reply)
        os._exit(0)
    worker = Worker(wire, module, student_dir, fd_in, fd_out)
    worker.send({"status": "ready", "functions": _describe(module), "numpy": numpy.__version__})
    worker.serve()


# ---------------------------------------------------------------- the template (zygote)
#
# ``python -I worker.py --template``: a process that has imported numpy and this file's code and
# waits on a control socket from the grader. For each worker it receives a request (the worker's
# config, environment, uid to drop to, descriptors to keep) and three descriptors (the worker's
# stdin, stdout and stderr pipes), forks, and answers with the child's pid; it reports every
# child's exit status. It never runs student code itself and never reuses a child: each worker is
# a fresh fork of a template that only ever held the grader's own code. The child fences itself in
# exactly as a spawned worker does (new session, descriptors, uid, environment, working folder,
# rlimits, import blocker) before it imports the student's module (see ``main``).


def _child(request, fds, control, wakeup):
    """In the forked child: become a fresh worker, then run ``main``. Never returns."""
    code = 70
    try:
        os.setsid()  # its own session and process group, as start_new_session=True gives a spawned one
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        keep = {0, 1, 2} | {int(k) for k in request.get("keep_fds", [])}
        for fd in _open_fds():
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        import ctypes
        import signal

        # the signal dispositions of a freshly started interpreter (SIGPIPE stays ignored, as Python sets it)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.set_wakeup_fd(-1)
        uid, gid = request.get("uid"), request.get("gid")
        if uid is not None:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        # dumpable, as a spawned worker is after its exec (a change of uid, and the template's own setting,
        # make it non-dumpable, which hides /proc/self/fd: the interpreter's prefix may be reached through it)
        ctypes.CDLL(None, use_errno=True).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE
        os.environ.clear()
        os.environ.update(request.get("env", {}))
        os.chdir(request["config"]["workdir"])
        sys.argv[1:] = [json.dumps(request["config"])]  # what a spawned worker's argv holds
        _fresh_random()
        main(request["config"], _TEMPLATE_WIRE)
        code = 0
    except BaseException:  # noqa: BLE001 - whatever happens, the child never returns into the template's loop
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
    os._exit(code)


def _fresh_random():
    """A fork copies the template's random states: draw fresh seeds, as a new interpreter would."""
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()
    if "random" in sys.modules:
        sys.modules["random"].seed()


def _open_fds():
    try:
        return [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        return list(range(3, 1024))


_TEMPLATE_WIRE = None


def template_main(control_fd: int):
    """Serve fork requests on ``control_fd`` (a SOCK_SEQPACKET socket) until it closes."""
    global _TEMPLATE_WIRE
    import select
    import signal
    import socket

    _TEMPLATE_WIRE = _load_wire()
    import ctypes
    import inspect  # noqa: F401 - used by every child (_describe)
    import resource  # noqa: F401 - used by every child (_apply_limits)

    import numpy  # noqa: F401 - the point of the template: every child starts with numpy imported

    try:

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: end with the grader
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no ptrace or /proc/<pid>/mem by a same-uid process
    except (OSError, AttributeError):
        pass
    control = socket.socket(fileno=control_fd)
    control.setblocking(True)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the grader, which ends the template
    control.sendmsg([json.dumps({"status": "template-ready", "pid": os.getpid()}).encode()])
    while True:
        ready, _, _ = select.select([control, wake_r], [], [])
        if wake_r in ready:
            try:
                os.read(wake_r, 4096)
            except BlockingIOError:
                pass
        while True:  # reap and report every child that ended
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            control.sendmsg([json.dumps({"exit": pid, "code": os.waitstatus_to_exitcode(status)}).encode()])
        if control not in ready:
            continue
        try:
            msg, fds, _flags, _addr = socket.recv_fds(control, 65536, 3)
        except OSError:
            os._exit(0)
        if not msg:
            os._exit(0)  # the grader closed the control socket
        try:
            request = json.loads(msg)
        except ValueError:
            for fd in fds:
                os.close(fd)
            continue
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            control.sendmsg([json.dumps({"error": "expected three descriptors"}).encode()])
            continue
        pid = os.fork()
        if pid == 0:
            _child(request, fds, control, wake_r)
        for fd in fds:
            os.close(fd)
        control.sendmsg([json.dumps({"pid": pid}).encode()])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--template":
        template_main(int(sys.argv[2]))
    else:
        main()
