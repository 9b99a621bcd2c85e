"""The adversarial corpus: run one attack at one isolation level, then prove that nothing escaped.

Every attack is one complete submission in ``submissions/`` (the correct vanilla-RNN functions,
then the attack, which redefines the functions it attacks). ``run_attack`` grades it with short
limits and checks, whatever the attack:

- no credit for the attacked functions, full credit for the untouched ``clean`` ones (grading
  went on), a clear status and message on every check that did not pass;
- the grading finished within its time budget;
- no process of the worker's uid is left (every worker of a launcher runs as that uid: the slot's
  uid when the grader is root, see grader/sandbox/uids.py);
- nothing was written outside the worker's temporary directory: the "instructor" folder (the
  grader's working directory, with results/report/CSV/gradebook decoys and hidden test data),
  the world-writable folders, $HOME and the repository are unchanged, and no file of the uid
  is left anywhere we look; the submission file itself is unchanged;
- no secret of the grader's environment and no hidden test data reached the results; nothing
  connected to a listening loopback socket.

``Attack.process`` names what only the ``sandbox`` level contains; at ``process`` level those
tests are strict xfails (they must fail there, or docs/security.md is out of date).
"""

from __future__ import annotations

import ast
import atexit
import hashlib
import os
import shutil
import socket
import stat
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = Path(__file__).resolve().parent / "submissions"  # each: a docstring, then the attack
ATTACK_MARK = "# ---------------------------------------------------------------- the attack"


def _build_corpus() -> Path:
    """Whole submissions: the correct vanilla-RNN functions of examples/correct, then the attack
    (the last definition wins). Built once per test process, so the corpus files stay short."""
    correct = (REPO / "examples" / "correct" / "rnn_layers.py").read_text()
    lines = correct.splitlines(keepends=True)
    fns = {n.name: n for n in ast.parse(correct).body if isinstance(n, ast.FunctionDef)}
    base = "import numpy as np\n\n\n" + "".join(lines[fns["_sigmoid"].lineno - 1:fns["rnn_backward"].end_lineno]) + "\n\n"
    out = Path(tempfile.mkdtemp(prefix="rnngrade-attacks-"))
    atexit.register(shutil.rmtree, out, True)
    for src in SOURCES.glob("*.py"):
        text = src.read_text()
        doc, _, attack = text.partition(ATTACK_MARK)
        (out / src.name).write_text(doc.rstrip("\n") + "\n" + base + ATTACK_MARK + attack)
    return out


SUBMISSIONS = _build_corpus()
LEVELS = ("process", "sandbox")
RESULT_NAMES = ("results.json", "r.json", "rnngrade-report.html", "grades.csv", "gradebook.sqlite", "junit.xml",
                "summary.html")
CALL_SECONDS = 1.0


@dataclass(frozen=True)
class Attack:
    name: str
    attacked: tuple = ("rnn_backward",)
    clean: tuple = ("rnn_forward",)
    process: str = ""  # non-empty: only the sandbox contains it (why); a strict xfail at process level
    needs_uid: bool = False  # at process level only with a per-slot uid (as root it would hit the machine)
    functions: tuple = ("rnn_forward", "rnn_backward")
    budget: float = 8.0
    memory_mb: int = 512


_ALL = ("rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward")
ONLY_SANDBOX_READS = "reads world-readable files: the process level cannot hide the source tree"

ATTACKS = {a.name: a for a in [
    Attack("exit_import_sys", attacked=_ALL, clean=(), functions=_ALL),
    Attack("exit_import_os", attacked=_ALL, clean=(), functions=_ALL),
    Attack("exit_call_sys"),
    Attack("exit_call_os"),
    Attack("monkeypatch_numpy"),
    Attack("lying_subclass", attacked=("rnn_step_backward", "rnn_backward"), clean=("rnn_step_forward", "rnn_forward"),
           functions=_ALL),
    Attack("array_interface"),
    Attack("import_reference", attacked=("rnn_forward", "rnn_backward"), clean=()),
    Attack("import_reference_unblocked", attacked=("rnn_forward", "rnn_backward"), clean=(),
           process="imports the reference after removing the import blocker: " + ONLY_SANDBOX_READS),
    Attack("exec_reference_from_disk", attacked=("rnn_forward", "rnn_backward"), clean=(),
           process="finds reference/ on disk and execs it: " + ONLY_SANDBOX_READS),
    Attack("stack_gc_snoop"),
    Attack("infinite_loop"),
    Attack("sleep_ignore_signals"),
    Attack("fork_bomb", needs_uid=True),
    Attack("memory_bomb"),
    Attack("disk_fill"),
    Attack("tmpfs_fill"),
    Attack("output_flood"),
    Attack("setsid_daemon"),
    Attack("write_results_files"),
    Attack("network", process="connects to a loopback socket: the process level has no network namespace"),
    Attack("env_proc_snoop"),
    Attack("read_world_readable", process="reads world-readable hidden test data: " + ONLY_SANDBOX_READS),
    Attack("ctypes_segfault"),
    Attack("threads"),
    Attack("huge_arrays"),
    Attack("object_pickle", attacked=("rnn_step_backward", "rnn_backward"), clean=("rnn_step_forward", "rnn_forward"),
           functions=_ALL),
    Attack("frame_oversized"),
    Attack("frame_nested"),
    Attack("stack_walk_pipe"),
    Attack("kill_parent", needs_uid=True),
    Attack("patch_worker"),
]}


# ---------------------------------------------------------------- launchers


def sandbox_reason() -> str:
    from grader.sandbox.isolation import sandbox_probe

    return sandbox_probe()


def make_launcher(level: str):
    """A fresh launcher of ``level`` (its own uid claim); skips when the sandbox cannot run here."""
    if level == "sandbox":
        reason = sandbox_reason()
        if reason:
            pytest.skip(f"bubblewrap sandbox unavailable here: {reason}")
        from grader.sandbox.bwrap import SandboxLauncher

        launcher = SandboxLauncher()
    else:
        from grader.sandbox.uids import SlotProcessLauncher

        launcher = SlotProcessLauncher()
    launcher.describe()  # claims the uid now, so the test knows whose processes to look for
    return launcher


def live_processes(uid: int | None) -> list:
    if uid is None:
        return []
    from grader.sandbox.uids import _procs_of

    return [p for p in _procs_of(uid) if p[2] not in ("Z", "X")]


def wait_no_processes(uid: int | None, seconds: float = 5.0) -> list:
    deadline = time.monotonic() + seconds
    while True:
        left = live_processes(uid)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def unclaimed_uid_leftovers() -> dict:
    """Live processes of uids of the range that no grader holds (they must not exist)."""
    import fcntl

    from grader.sandbox.uids import _lock_dir, uid_range

    folder, found = _lock_dir(), {}
    for uid in uid_range():
        path = os.path.join(folder, f"{uid}.lock")
        if not os.path.exists(path):
            continue
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # in use by a running grader (another test, maybe)
            left = live_processes(uid)
            if left:
                found[uid] = left
        finally:
            os.close(fd)
    return found


# ---------------------------------------------------------------- the instructor's side


class Instructor:
    """The grader's working folder with decoys, a secret in the environment, a listening socket."""

    def __init__(self, monkeypatch):
        self.token = hashlib.sha256(os.urandom(16)).hexdigest()[:16]
        self.secret = f"rnngrade-secret-{self.token}"
        self.hidden = f"rnngrade-hidden-{self.token}"
        # world-traversable, like an instructor's course folder; not writable by anyone else
        self.dir = Path(tempfile.mkdtemp(prefix="rnngrade-instructor-"))
        os.chmod(self.dir, 0o755)
        for name in RESULT_NAMES:
            (self.dir / name).write_text(f'{{"decoy": "{name}", "score": 0}}')
            os.chmod(self.dir / name, 0o644)
        (self.dir / "hidden_tests.json").write_text(self.hidden)
        os.chmod(self.dir / "hidden_tests.json", 0o600)
        (self.dir / "hidden_cases.json").write_text(self.hidden)  # world-readable: only the sandbox hides it
        os.chmod(self.dir / "hidden_cases.json", 0o644)
        monkeypatch.setenv("RNNGRADE_TEST_SECRET", self.secret)
        monkeypatch.setenv("RNNGRADE_OUT", str(self.dir / "results.json"))
        monkeypatch.chdir(self.dir)
        self.server = None
        for port in range(47000, 48000):
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            s.listen(8)
            s.setblocking(False)
            self.server = s
            break

    def accepted(self) -> list[bytes]:
        got = []
        if self.server is None:
            return got
        while True:
            try:
                conn, _ = self.server.accept()
            except (BlockingIOError, OSError):
                return got
            conn.settimeout(0.5)
            try:
                got.append(conn.recv(100))
            except OSError:
                got.append(b"")
            conn.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _tree(folder: Path) -> dict:
    out = {}
    for p in sorted(folder.rglob("*")):
        st = p.lstat()
        data = hashlib.sha256(p.read_bytes()).hexdigest() if stat.S_ISREG(st.st_mode) else ""
        out[str(p.relative_to(folder))] = (stat.S_IFMT(st.st_mode), st.st_mode & 0o7777, data)
    return out


def _scan_dirs() -> list[Path]:
    dirs = [Path(d) for d in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")]
    dirs += [Path.home(), REPO, REPO / "tests", REPO / "tests" / "adversarial", SOURCES, SUBMISSIONS]
    return [d for d in dict.fromkeys(dirs) if d.is_dir()]


def _listing(uid: int | None) -> dict:
    out = {}
    for d in _scan_dirs():
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            out[e.path] = (st.st_uid, st.st_mtime_ns if e.name in RESULT_NAMES else 0)
    return out


@dataclass
class Run:
    result: object
    seconds: float
    level: str
    uid: int | None
    note: str


def run_attack(attack: Attack, level: str, monkeypatch, exercise_functions: tuple | None = None) -> tuple[Run, list[str]]:
    """Grade ``attack`` at ``level``; return the run and the list of containment violations."""
    from grader.engine import grade
    from grader.exercises import load_exercises
    from grader.sandbox.launcher import Limits

    launcher = make_launcher(level)
    uid = launcher.uid
    if attack.needs_uid and level == "process" and uid is None:
        launcher.close()
        pytest.skip(f"{attack.name} is only run at process level with a per-slot uid ({launcher.note})")
    path = SUBMISSIONS / f"{attack.name}.py"
    source_before = path.read_bytes()
    who = Instructor(monkeypatch)
    try:
        tree_before, listing_before = _tree(who.dir), _listing(uid)
        rnn = load_exercises()["rnn"]
        exercises = {"rnn": replace(rnn, functions=exercise_functions or attack.functions, call_seconds=CALL_SECONDS)}
        # import_seconds: the default; a loaded 2-core machine can take seconds to start a worker
        limits = Limits(call_seconds=CALL_SECONDS, import_seconds=10.0, memory_mb=attack.memory_mb, cpu_seconds=30)
        started = time.monotonic()
        result = grade(str(path), ["rnn"], limits=limits, launcher=launcher, exercises=exercises,
                       budget_seconds=attack.budget)
        seconds = time.monotonic() - started
        run = Run(result, seconds, level, uid, launcher.note)
        problems = violations(attack, run, who, tree_before, listing_before, source_before, path)
    finally:
        who.close()
        launcher.close()
    return run, problems


def violations(attack: Attack, run: Run, who: Instructor, tree_before, listing_before, source_before,
               path: Path) -> list[str]:
    r, bad = run.result, []
    if r.isolation != run.level:
        bad.append(f"isolation recorded as {r.isolation!r}, expected {run.level!r}")
    for fn in attack.attacked:
        checks = [c for c in r.checks if c.function == fn]
        got = sum(c.score for c in checks)
        if got:
            bad.append(f"the attacked {fn} earned {got:g} points: "
                       + ", ".join(f"{c.name if hasattr(c, 'name') else c.id}={c.status}:{c.score:g}" for c in checks if c.score))
    for fn in attack.clean:
        lost = [c.id for c in r.checks if c.function == fn and (c.status != "passed" or c.score != c.max_score)]
        if lost:
            bad.append(f"the untouched {fn} lost points: {lost}")
    for c in r.checks:
        if c.status != "passed" and not c.message:
            bad.append(f"{c.id} is {c.status} without a message")
        if c.metrics.get("infrastructure"):
            bad.append(f"{c.id} was reported as an infrastructure error: {c.message}")
    if run.seconds > attack.budget + 6:
        bad.append(f"grading took {run.seconds:.1f} s (budget {attack.budget:g} s)")
    left = wait_no_processes(run.uid)
    if left:
        bad.append(f"processes of uid {run.uid} survived the run: {left[:5]}")
    tree_after = _tree(who.dir)
    if tree_after != tree_before:
        changed = sorted(k for k in set(tree_before) | set(tree_after) if tree_before.get(k) != tree_after.get(k))
        bad.append(f"the instructor's folder changed: {changed}")
    from grader.sandbox.uids import uid_range

    others = set(uid_range()) - {run.uid}  # attacks of other tests running at the same time (pytest -n)
    listing_after = _listing(run.uid)
    for p, (owner, mtime) in sorted(listing_after.items()):
        name = os.path.basename(p)
        new_or_touched = p not in listing_before or listing_before[p] != (owner, mtime)
        ours = owner == run.uid if run.uid is not None else owner not in others
        if ours and ("pwned" in name or run.uid is not None or (name in RESULT_NAMES and new_or_touched)):
            bad.append(f"written outside the worker's temp dir: {p} (owner {owner})")
    if path.read_bytes() != source_before:
        bad.append("the submission file was modified")
    text = r.to_json()
    if who.secret in text:
        bad.append("the grader's secret environment variable reached the results")
    if who.hidden in text:
        bad.append("hidden test data reached the results")
    tag = f"uid={run.uid}".encode()
    got = [g for g in who.accepted() if run.uid is None or tag in g]  # other tests' attacks run in parallel
    if got:
        bad.append(f"a loopback connection reached the instructor's socket: {got}")
    return bad
