"""Isolation level ``sandbox``: the same worker, inside a bubblewrap sandbox.

What the worker sees (everything else of the host does not exist for it):

==========================  ==========================================================================
``/usr``, ``/bin``, ``/lib*``  read-only (libc, the dynamic loader, numpy's BLAS on Debian); every
                            third-party package folder under them is masked by an empty read-only
                            tmpfs
the Python prefix(es)       read-only; its ``site-packages`` masked the same way, then only numpy (and
                            packages the instructor allowed with ``--allow-import``) bound back into it
``/etc``                    only ``alternatives`` and ``ld.so.cache`` (what Debian's numpy needs)
``/rnngrade``               read-only copy of ``worker.py`` and ``wire.py`` (not the grader package)
the submission folder       read-only, at the same path as on the host
``/tmp``                    a fresh tmpfs, size-limited (64 MiB); the working folder is inside it
``/dev``                    bubblewrap's minimal ``/dev`` (null, zero, random, ...), read-only, with a
                            1 MiB tmpfs on ``/dev/shm`` (``--dev`` alone would give an unlimited one)
``/proc``                   a new procfs of the sandbox's own pid namespace
``/``                       read-only at the end, so nothing unlimited is writable
==========================  ==========================================================================

Namespaces: user, pid, network (loopback only, nothing listening), ipc, uts and cgroup (when the
kernel allows it); ``--die-with-parent`` and ``--new-session``; ``--cap-drop ALL``;
``--clearenv`` then only the worker's variables; ``--disable-userns`` so the worker cannot
create nested user namespaces (mounting an unlimited tmpfs in one would bypass every size limit).

Not the grader, the reference, the exercises' hidden data, the instructor's files, the gradebook,
the home folders, or any other process is visible.

Running as root: bubblewrap is never run as root (a user namespace created by root still reads
root's files). The worker's slot uid (see ``uids.py``) runs it, unprivileged, through
``nsenter --setuid``. Because that uid may not reach the interpreter (a pyenv Python under
``/root``, mode 0700), ``nsenter`` first enters a *prepared mount namespace*, made once per
process by root with ``unshare --mount``: there, each folder that blocks the way (``/root``) is
covered by an empty tmpfs that re-exposes only the paths the sandbox binds (the Python prefix).
The host's mounts are untouched.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading

from . import runtime
from .launcher import DEFAULT_BLOCKED_IMPORTS, GRADER_PACKAGES, Limits, ProcessLauncher, WorkerConfig
from .uids import UidClaim, UidUnavailable, claim_uid

TMP_MB = 64
SHM_MB = 1
WORKER_IN_SANDBOX = f"{runtime.SANDBOX_WORKER_DIR}/worker.py"


class SandboxUnavailable(Exception):
    """bubblewrap is missing or cannot create its namespaces here."""


@functools.lru_cache(maxsize=None)
def bwrap_features(path: str) -> frozenset:
    """Which optional bubblewrap flags this version knows (``--size`` needs 0.8+)."""
    try:
        out = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(f for f in ("--size", "--perms", "--disable-userns", "--unshare-cgroup-try", "--remount-ro")
                     if f in out)


def _under(path: str, roots) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


class _PreparedMounts:
    """A private mount namespace in which the slot uids can reach every path the sandbox binds.

    Kept alive by a helper process blocked on a pipe from us: it exits with this process, whatever
    way this process ends.
    """

    def __init__(self, needed: list[str]):
        by_block: dict[str, list[str]] = {}
        for p in needed:
            b = runtime.first_blocked_ancestor(p)
            if b is None:
                continue
            if b == os.path.realpath(p):
                raise SandboxUnavailable(f"{p} itself is not readable by other uids")
            by_block.setdefault(b, []).append(os.path.realpath(p))
        self.masked = sorted(by_block)
        stage = tempfile.mkdtemp(prefix="rnngrade-stage-")
        lines = ["set -e"]
        moves = []
        for i, (block, paths) in enumerate(sorted(by_block.items())):
            for j, p in enumerate(sorted(set(paths))):
                s = f"{stage}/{i}-{j}"
                lines += [f"mkdir {shlex.quote(s)}", f"mount --bind {shlex.quote(p)} {shlex.quote(s)}"]
                moves.append((s, p))
            lines.append(f"mount -t tmpfs -o mode=0755,size=1m rnngrade-mask {shlex.quote(block)}")
        for s, p in moves:
            lines += [f"mkdir -p {shlex.quote(p)}", f"mount --move {shlex.quote(s)} {shlex.quote(p)}",
                      f"mount -o remount,bind,ro {shlex.quote(p)} 2>/dev/null || true"]
        lines += ["echo rnngrade-ready", "read _ || true"]
        try:
            self.helper = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", "\n".join(lines)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"},
                cwd="/")
        except OSError as exc:
            shutil.rmtree(stage, ignore_errors=True)
            raise SandboxUnavailable(f"cannot run unshare: {exc}") from None
        line = self.helper.stdout.readline().decode(errors="replace").strip()
        if line != "rnngrade-ready":
            err = self.helper.stderr.read().decode(errors="replace").strip() if self.helper.poll() is not None else ""
            self.helper.kill()
            shutil.rmtree(stage, ignore_errors=True)
            raise SandboxUnavailable(f"cannot prepare a mount namespace for the slot uids: {err or line or 'no answer'}")
        shutil.rmtree(stage, ignore_errors=True)  # empty again: the bind mounts were moved away

    @property
    def path(self) -> str:
        if self.helper.poll() is not None:
            raise SandboxUnavailable("the mount-namespace helper has exited")
        return f"/proc/{self.helper.pid}/ns/mnt"


_prepared_lock = threading.Lock()
_prepared: _PreparedMounts | None = None


def prepared_mounts() -> _PreparedMounts:
    global _prepared
    with _prepared_lock:
        if _prepared is None or _prepared.helper.poll() is not None:
            needed = (runtime.runtime_paths() + runtime.package_dirs("numpy")
                      + [runtime.worker_dir(), tempfile.gettempdir()])
            _prepared = _PreparedMounts(needed)
        return _prepared


class SandboxLauncher:
    """Isolation level ``sandbox``: ``ProcessLauncher``'s worker command, wrapped in bubblewrap."""

    level = "sandbox"
    signal_exit_codes = True  # bwrap exits with 128 + N when the worker is killed by signal N

    def __init__(self, slot: int | None = None, tmp_mb: int = TMP_MB, shm_mb: int = SHM_MB, bwrap: str | None = None):
        self.slot, self.tmp_mb, self.shm_mb = slot, tmp_mb, shm_mb
        # RNNGRADE_BWRAP: another bubblewrap binary (tests use a missing one to exercise the fallback)
        self.bwrap = bwrap or os.environ.get("RNNGRADE_BWRAP") or shutil.which("bwrap") or ""
        self._claim: UidClaim | None = None
        self._ready = False
        self._error = ""
        self.note = ""
        self._base = ProcessLauncher()

    def for_slot(self, slot: int) -> "SandboxLauncher":
        return type(self)(slot=slot, tmp_mb=self.tmp_mb, shm_mb=self.shm_mb, bwrap=self.bwrap)

    @property
    def uid(self) -> int | None:
        return self._claim.uid if self._claim else None

    def _ensure(self) -> None:
        if self._ready:
            if self._error:
                raise SandboxUnavailable(self._error)
            return
        self._ready = True
        try:
            if not self.bwrap or not os.access(self.bwrap, os.X_OK):
                raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
            missing = {"--size", "--perms", "--remount-ro"} - bwrap_features(self.bwrap)
            if missing:
                raise SandboxUnavailable(f"bubblewrap {self.bwrap} is too old (no {', '.join(sorted(missing))}); "
                                         "0.8 or newer is needed")
            if os.geteuid() == 0:
                for tool in ("nsenter", "unshare"):
                    if not shutil.which(tool):
                        raise SandboxUnavailable(f"{tool} (util-linux) is needed when the grader runs as root")
                try:
                    self._claim = claim_uid(self.slot)
                except UidUnavailable as exc:
                    raise SandboxUnavailable(str(exc)) from None
                prepared_mounts()
                self.note = f"uid {self._claim.uid}"
            else:
                self.note = f"uid {os.getuid()} (the grader's own)"
        except SandboxUnavailable as exc:
            self._error = str(exc)
            raise

    # ------------------------------------------------------------ the command

    def _env(self, config: WorkerConfig) -> dict[str, str]:
        _, env, _ = self._base.command(config)
        return env

    def _allowed_packages(self, config: WorkerConfig) -> list[str]:
        allowed = [m for m in DEFAULT_BLOCKED_IMPORTS
                   if m not in config.blocked_imports and m not in GRADER_PACKAGES]
        return ["numpy", *allowed]

    def bwrap_args(self, config: WorkerConfig) -> list[str]:
        features = bwrap_features(self.bwrap)
        a = [self.bwrap, "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
        if "--unshare-cgroup-try" in features:
            a.append("--unshare-cgroup-try")
        if "--disable-userns" in features:
            a.append("--disable-userns")
        a += ["--hostname", "rnngrade", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
        for k, v in self._env(config).items():
            a += ["--setenv", k, v]
        # the system: libc, the loader, shared libraries; /bin etc. as on the host (symlinks on merged-/usr)
        bound = ["/usr"]
        a += ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            host = "/" + name
            if os.path.islink(host):
                a += ["--symlink", os.readlink(host), host]
            elif os.path.isdir(host):
                a += ["--ro-bind", host, host]
                bound.append(host)
        for etc in ("/etc/alternatives", "/etc/ld.so.cache"):
            a += ["--ro-bind-try", etc, etc]
        # writable: a size-limited /tmp holding the working folder. Mounted before the interpreter is
        # bound: bwrap mounts in order, so a tmpfs mounted after would hide a Python installed under
        # /tmp (a virtualenv there: "bwrap: execvp /tmp/venv/bin/python: No such file or directory").
        tmp_bytes = str(self.tmp_mb << 20)
        a += ["--perms", "1777", "--size", tmp_bytes, "--tmpfs", "/tmp"]
        # the interpreter
        for p in runtime.runtime_paths():
            if not _under(p, bound):
                a += ["--ro-bind", p, p]
                bound.append(p)
        # third-party packages: every site folder masked, then only numpy (and allowed ones) bound back
        masked = [d for d in runtime.site_dirs() if _under(d, bound)]
        for d in masked:
            a += ["--size", "65536", "--tmpfs", d]
        for pkg in self._allowed_packages(config):
            for d in runtime.package_dirs(pkg):
                if _under(d, masked) or not _under(d, bound):
                    a += ["--ro-bind", d, d]
        for d in masked:
            a += ["--remount-ro", d]
        # the submission read-only
        student = config.student_dir.rstrip("/")
        a += ["--ro-bind", student, student]
        if _under(config.workdir, ["/tmp"]):
            a += ["--dir", config.workdir]
        else:
            a += ["--perms", "0700", "--size", tmp_bytes, "--tmpfs", config.workdir]
        a += ["--ro-bind", runtime.worker_dir(), runtime.SANDBOX_WORKER_DIR]
        a += ["--proc", "/proc", "--dev", "/dev"]
        a += ["--perms", "1777", "--size", str(self.shm_mb << 20), "--tmpfs", "/dev/shm"]
        a += ["--remount-ro", "/dev", "--remount-ro", "/"]
        a += ["--chdir", config.workdir]
        return a

    def _wrap(self, config: WorkerConfig, tail: list[str]) -> list[str]:
        self._ensure()
        argv = self.bwrap_args(config) + ["--", *tail]
        if self._claim is not None:
            uid, gid = self._claim.uid, self._claim.gid
            argv = ["nsenter", f"--mount={prepared_mounts().path}", f"--setuid={uid}", f"--setgid={gid}", "--"] + argv
        return argv

    def command(self, config: WorkerConfig) -> tuple[list[str], dict[str, str], str]:
        self._ensure()
        # the submission must be readable by the slot uid to be bound (the workdir lives in the sandbox's tmpfs)
        root = os.path.dirname(os.path.normpath(config.workdir))
        if self._claim is not None:
            os.chmod(root, 0o711)
            for dirpath, _dirs, files in os.walk(config.student_dir):
                os.chmod(dirpath, 0o755)
                for f in files:
                    os.chmod(os.path.join(dirpath, f), 0o644)
        tail = [sys.executable, "-I", "-B", WORKER_IN_SANDBOX, config.to_json()]
        return self._wrap(config, tail), {"PATH": "/usr/bin:/bin"}, "/"

    def popen_kwargs(self, config: WorkerConfig) -> dict:
        return {"extra_groups": []} if self._claim is not None else {}

    def describe(self) -> str:
        try:
            self._ensure()
        except SandboxUnavailable as exc:
            return f"sandbox (unavailable: {exc})"
        return f"sandbox (bubblewrap, {self.note})"

    def close(self) -> None:
        """Give the uid back (a later worker claims one again)."""
        if self._claim:
            self._claim.release()
            self._claim = None
        self._ready, self._error = False, ""

    # ------------------------------------------------------------ probe

    def worker_failed_to_start(self) -> None:
        """A worker did not reach "started": the next ``auto`` run probes the sandbox again."""
        from . import probe_cache

        probe_cache.forget()

    def probe(self, timeout: float = 30.0) -> str:
        """Start a trivial sandboxed Python that imports numpy; '' when it works, else the reason."""
        try:
            self._ensure()
        except SandboxUnavailable as exc:
            return str(exc)
        tmp = tempfile.mkdtemp(prefix="rnngrade-probe-")
        try:
            student, work = os.path.join(tmp, "submission"), os.path.join(tmp, "work")
            os.mkdir(student)
            os.mkdir(work)
            config = WorkerConfig(student_dir=student + "/", module_file="x.py", module_name="x", workdir=work,
                                  limits=Limits())
            self.command(config)  # same preparation as a real worker
            code = ("import os, sys, numpy\n"
                    f"hidden = [p for p in {_grader_paths()!r} if os.path.exists(p)]\n"
                    "assert not hidden, f'visible in the sandbox: {hidden}'\n"
                    f"assert os.getuid() != 0 or {self._claim is None!r}, 'runs as root'\n"
                    "open(os.path.join(os.getcwd(), 'w'), 'w').write('x')\n"
                    "print('rnngrade-ok', numpy.__version__)\n")
            argv = self._wrap(config, [sys.executable, "-I", "-B", "-c", code])
            try:
                r = subprocess.run(argv, env={"PATH": "/usr/bin:/bin"}, cwd="/", capture_output=True, timeout=timeout,
                                   stdin=subprocess.DEVNULL, **self.popen_kwargs(config))
            except (OSError, subprocess.SubprocessError) as exc:
                return f"bubblewrap did not run: {exc}"
            out = (r.stdout + r.stderr).decode("utf-8", "replace").strip()
            if r.returncode != 0 or "rnngrade-ok" not in out:
                return f"a sandboxed Python did not start (exit {r.returncode}): {out[-400:] or 'no output'}"
            return ""
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _grader_paths() -> list[str]:
    """Where the grader, the reference and the exercises live on this host (must be invisible)."""
    import importlib.util

    out = []
    for name in GRADER_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            out.extend(os.path.realpath(p) for p in spec.submodule_search_locations)
    return out
