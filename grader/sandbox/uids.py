"""One unprivileged uid per parallel slot, for graders that run as root.

When the grader runs as root, every worker runs as a uid of its own slot, taken from a range that
must belong to nobody else on the machine (default 61000-61127; ``RNNGRADE_UID_BASE`` and
``RNNGRADE_UID_COUNT`` move it; no /etc/passwd entries are needed, and a uid that has one is never
used). A uid is *claimed* with an exclusive ``flock`` on ``/run/rnngrade-uids/<uid>.lock`` for as
long as the launcher lives, so two graders (or two bulk slots) never share one, and whatever runs
under a claimed uid is ours to kill. Why it matters:

- ``RLIMIT_NPROC`` counts processes per uid (zombies included) and does not bind root: a fork bomb
  in one slot stops at its own limit and cannot starve the other slots;
- the worker cannot read root-only files, write the instructor's folders or signal the grader;
- after every worker, *all* processes of the slot's uid are killed (``kill(-1)`` as that uid), so
  a ``setsid`` daemon cannot outlive its submission even without a pid namespace, and files the
  uid left in the world-writable folders (``/tmp``, ``/var/tmp``, ``/dev/shm``, ...) are removed.

``SlotProcessLauncher`` is the ``process`` level with this uid drop. The interpreter must be
reachable by the uid: when it is not (a pyenv Python under ``/root``, mode 0700), the worker is
started through an ``O_PATH`` descriptor of the Python prefix opened by root
(``/proc/self/fd/N/bin/python`` with ``PYTHONHOME``), which needs no permission on the folders
above it. When neither works, the uid drop is skipped and ``note`` says why.
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from . import runtime
from .launcher import WORKER_SCRIPT, ProcessLauncher, WorkerConfig

DEFAULT_UID_BASE = 61000
DEFAULT_UID_COUNT = 128
_PR_SET_CHILD_SUBREAPER = 36


class UidUnavailable(Exception):
    """No uid of the range could be claimed (all busy, or the lock folder is unsafe)."""


def uid_range() -> range:
    base = int(os.environ.get("RNNGRADE_UID_BASE", DEFAULT_UID_BASE))
    count = int(os.environ.get("RNNGRADE_UID_COUNT", DEFAULT_UID_COUNT))
    if base < 1000 or count < 1:
        raise UidUnavailable(f"RNNGRADE_UID_BASE={base}/RNNGRADE_UID_COUNT={count} is not a usable range")
    return range(base, base + count)


def _lock_dir() -> str:
    candidates = ["/run/rnngrade-uids"] if os.access("/run", os.W_OK) else []
    candidates.append(os.path.join(tempfile.gettempdir(), f"rnngrade-uids-{os.geteuid()}"))
    for path in candidates:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError:
            continue
        st = os.lstat(path)
        # someone else's folder or a symlink planted in /tmp would let them steal or block uids
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o077:
            return path
    raise UidUnavailable("no safe folder for the uid locks (/run/rnngrade-uids or $TMPDIR/rnngrade-uids-0)")


@dataclass
class UidClaim:
    uid: int
    gid: int
    fd: int

    def release(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def claim_uid(slot: int | None = None) -> UidClaim:
    """Claim a free uid of the range (``slot`` picks where to start looking)."""
    rng = uid_range()
    start = (slot or 0) % len(rng)
    folder = _lock_dir()
    for uid in list(rng)[start:] + list(rng)[:start]:
        try:
            pwd.getpwuid(uid)
            continue  # a real account: never ours
        except KeyError:
            pass
        fd = os.open(os.path.join(folder, f"{uid}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        kill_uid(uid)  # leftovers of a grader that was killed before it could clean up
        return UidClaim(uid, uid, fd)
    raise UidUnavailable(f"all {len(rng)} uids {rng.start}-{rng.stop - 1} are in use by other graders")


# ---------------------------------------------------------------- processes and files of a uid


def _procs_of(uid: int) -> list[tuple[int, int, str]]:
    """(pid, ppid, state) of the processes whose real, effective or saved uid is ``uid``."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as fh:
                text = fh.read(4096).decode("ascii", "replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        try:
            uids = [int(x) for x in fields["Uid"].split()[:3]]
            ppid = int(fields["PPid"])
            state = fields["State"].split()[0]
        except (KeyError, ValueError, IndexError):
            continue
        if uid in uids:
            out.append((int(name), ppid, state))
    return out


def kill_uid(uid: int, rounds: int = 50) -> int:
    """SIGKILL every process of ``uid`` (repeatedly: a fork bomb forks while it is being killed).

    Returns how many live processes were still there at the end (0 unless something is wrong).
    """
    for i in range(rounds):
        try:
            subprocess.run(["/bin/sh", "-c", "kill -9 -1 2>/dev/null"], user=uid, group=uid, extra_groups=[],
                           env={}, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)
        except (OSError, subprocess.SubprocessError):
            pass
        _reap_adopted(uid)
        live = [p for p in _procs_of(uid) if p[2] not in ("Z", "X")]
        if not live:
            return 0
        time.sleep(min(0.001 * (i + 1), 0.02))
    return len(live)


@functools.lru_cache(maxsize=None)
def become_subreaper() -> bool:
    """Orphans of our workers (double-forked daemons) get reparented to this process instead of
    pid 1, so they can be reaped: a zombie still counts against its uid's process limit, and pid 1
    does not always reap (it does not in some containers and VMs)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap_adopted(uid: int) -> None:
    me = os.getpid()
    for pid, ppid, state in _procs_of(uid):
        if ppid == me and state == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def _sweep_dirs() -> list[str]:
    tops = {"/tmp", "/var/tmp", "/dev/shm", "/run/lock", tempfile.gettempdir()}
    found = set()
    for top in tops:
        if not os.path.isdir(top):
            continue
        found.add(os.path.realpath(top))
        try:  # world-writable folders one level down (/tmp/.X11-unix and the like)
            with os.scandir(top) as it:
                for e in it:
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_IWOTH:
                        found.add(e.path)
        except OSError:
            continue
    return sorted(found)


def sweep_uid_files(uid: int) -> int:
    """Remove what ``uid`` created in the world-writable folders; returns how many entries."""
    removed = 0
    for top in _sweep_dirs():
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for e in entries:
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if st.st_uid != uid:
                continue
            try:
                if stat.S_ISDIR(st.st_mode):
                    shutil.rmtree(e.path, ignore_errors=True)
                else:
                    os.unlink(e.path)
                removed += 1
            except OSError:
                pass
    return removed


def prepare_dirs_for(config: WorkerConfig, uid: int, gid: int) -> None:
    """Let ``uid`` read the submission and write its working folder, and nothing else in the temp dir."""
    root = os.path.dirname(os.path.normpath(config.workdir))
    os.chmod(root, 0o711)  # traversable, not listable, not writable
    student = config.student_dir.rstrip(os.sep)
    for dirpath, _dirnames, filenames in os.walk(student):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
    os.chown(config.workdir, uid, gid)
    os.chmod(config.workdir, 0o700)


# ---------------------------------------------------------------- running the interpreter as the uid


@dataclass(frozen=True)
class RuntimeAccess:
    mode: str  # "direct" | "fd" | "" (cannot run as another uid)
    reason: str = ""
    fd: int = -1
    relexe: str = ""  # the executable relative to the prefix (fd mode)
    has_lib: bool = False


def _try(argv: list[str], uid: int, env: dict, pass_fds=()) -> tuple[bool, str]:
    try:
        r = subprocess.run(argv, user=uid, group=uid, extra_groups=[], env=env, cwd="/", pass_fds=pass_fds,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, str(exc)
    text = (r.stdout + r.stderr).decode("utf-8", "replace").strip()
    return r.returncode == 0 and text.endswith("rnngrade-ok"), text[-300:]


_PROBE = "import numpy, sys; print('rnngrade-ok')"


@functools.lru_cache(maxsize=None)
def runtime_access(uid: int) -> RuntimeAccess:
    """How a worker can run as an unprivileged uid here (probed once per process)."""
    needed = runtime.runtime_paths() + runtime.package_dirs("numpy") + [runtime.worker_dir()]
    blocked = sorted({b for b in map(runtime.first_blocked_ancestor, needed) if b})
    env = {"PATH": "/usr/bin:/bin"}
    if not blocked:
        ok, out = _try([sys.executable, "-I", "-c", _PROBE], uid, env)
        if ok:
            return RuntimeAccess("direct")
        first_reason = f"the interpreter does not start as uid {uid}: {out}"
    else:
        first_reason = f"{', '.join(blocked)} cannot be traversed by other uids"
    prefix = os.path.realpath(sys.base_prefix)
    exe = os.path.realpath(sys.executable)
    numpy_dirs = runtime.package_dirs("numpy")
    inside = [p for p in [exe, *numpy_dirs, os.path.realpath(sys.prefix)] if p == prefix or p.startswith(prefix + "/")]
    if len(inside) != 2 + len(numpy_dirs) or runtime.first_blocked_ancestor(runtime.worker_dir()):
        return RuntimeAccess("", reason=f"{first_reason}; the interpreter, numpy or the worker copy lie outside "
                                        f"the prefix {prefix}, so it cannot be reached through a descriptor either")
    fd = os.open(prefix, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    home = f"/proc/self/fd/{fd}"
    relexe = os.path.relpath(exe, prefix)
    has_lib = os.path.isdir(os.path.join(prefix, "lib"))
    env = dict(env, PYTHONHOME=home, **({"LD_LIBRARY_PATH": home + "/lib"} if has_lib else {}))
    ok, out = _try([f"{home}/{relexe}", *_FD_FLAGS, "-c", _PROBE], uid, env, pass_fds=(fd,))
    if ok:
        return RuntimeAccess("fd", reason=first_reason, fd=fd, relexe=relexe, has_lib=has_lib)
    os.close(fd)
    return RuntimeAccess("", reason=f"{first_reason}; starting it through a descriptor failed too: {out}")


# -s: no user site; -B: no .pyc; -P (3.11+): no script folder on sys.path. Not -E/-I: PYTHONHOME is needed,
# and the environment is built from scratch anyway, so nothing of the grader's environment leaks in.
_FD_FLAGS = ("-s", "-B") + (("-P",) if sys.version_info >= (3, 11) else ())


class SlotProcessLauncher(ProcessLauncher):
    """Isolation level ``process``, plus (when the grader is root) one unprivileged uid per slot.

    ``for_slot(i)`` gives the launcher for bulk slot ``i``; without a slot the first free uid of
    the range is claimed. ``note`` says which uid is used, or why none is.
    """

    level = "process"

    def __init__(self, slot: int | None = None, drop_uid: bool | None = None):
        self.slot = slot
        self.drop_uid = (os.geteuid() == 0) if drop_uid is None else drop_uid
        self._claim: UidClaim | None = None
        self._access: RuntimeAccess | None = None
        self._ready = False
        self.note = ""

    def for_slot(self, slot: int) -> "SlotProcessLauncher":
        return type(self)(slot=slot, drop_uid=self.drop_uid)

    @property
    def uid(self) -> int | None:
        return self._claim.uid if self._claim and self._access and self._access.mode else None

    def _ensure(self) -> None:
        if self._ready:
            return
        self._ready = True
        if not self.drop_uid:
            self.note = "runs as the grader's own user (not root, so no uid drop is needed)"
            return
        try:
            self._claim = claim_uid(self.slot)
        except UidUnavailable as exc:
            self.note = f"NO uid drop: {exc}; student code runs as root"
            return
        self._access = runtime_access(self._claim.uid)
        if not self._access.mode:
            self.note = f"NO uid drop: {self._access.reason}; student code runs as root"
            self._claim.release()
            self._claim = None
            return
        how = " (interpreter reached through a descriptor)" if self._access.mode == "fd" else ""
        self.note = f"uid {self._claim.uid}{how}"

    def command(self, config: WorkerConfig) -> tuple[list[str], dict[str, str], str]:
        self._ensure()
        argv, env, cwd = super().command(config)
        argv[argv.index(str(WORKER_SCRIPT))] = runtime.worker_script()
        if self.uid is None:
            return argv, env, cwd
        prepare_dirs_for(config, self._claim.uid, self._claim.gid)
        become_subreaper()  # only in a process that really starts workers (not in a bulk run's parent)
        if self._access.mode == "fd":
            home = f"/proc/self/fd/{self._access.fd}"
            flags_end = argv.index(runtime.worker_script())
            argv = [f"{home}/{self._access.relexe}", *_FD_FLAGS] + argv[flags_end:]
            for k in ("PYTHONHASHSEED", "PYTHONIOENCODING"):  # -I ignores them: keep the same behaviour
                env.pop(k, None)
            env["PYTHONHOME"] = home
            if self._access.has_lib:
                env["LD_LIBRARY_PATH"] = home + "/lib"
        return argv, env, cwd

    def popen_kwargs(self, config: WorkerConfig) -> dict:
        if self.uid is None:
            return {}
        kw = {"user": self._claim.uid, "group": self._claim.gid, "extra_groups": []}
        if self._access.mode == "fd":
            kw["pass_fds"] = (self._access.fd,)
        return kw

    def after_worker(self) -> None:
        """Kill everything the slot's uid still runs (setsid daemons included), remove its files."""
        if self.uid is None:
            return
        kill_uid(self._claim.uid)
        sweep_uid_files(self._claim.uid)

    def describe(self) -> str:
        self._ensure()
        return f"process ({self.note})"

    def close(self) -> None:
        """Give the uid back (a later worker claims one again)."""
        self.close_template()
        if self._claim:
            self._claim.release()
            self._claim = None
        self._ready = False
