"""Benchmark: what each isolation level costs (worker start, probe, a full `rnngrade check -e rnn`).

- worker start: ``WorkerSession.start()`` until the submission is imported and the worker is ready
  (interpreter, numpy, the submission), in this process, median of several starts;
- probe: ``sandbox_probe()`` in a fresh interpreter (what `--isolation auto` pays once per command);
- check: ``rnngrade check examples/correct/rnn_layers.py -e rnn --no-html`` end to end as a user runs
  it, median of several runs, per ``--isolation``.

A benchmark, not a test: the machine is shared and noisy; medians are reported with min/max.

    python benchmarks/bench_isolation.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORRECT = ROOT / "examples" / "correct" / "rnn_layers.py"


def _fmt(xs: list[float]) -> str:
    return f"{statistics.median(xs) * 1000:7.1f} ms  (min {min(xs) * 1000:6.1f}, max {max(xs) * 1000:6.1f})"


def worker_starts(launcher, runs: int) -> list[float]:
    from grader.sandbox.runner import WorkerSession

    files = {"rnn_layers.py": CORRECT.read_bytes()}
    out = []
    for _ in range(runs + 1):
        with WorkerSession(files, "rnn_layers.py", launcher=launcher) as s:
            t0 = time.perf_counter()
            hello = s.start()
            dt = time.perf_counter() - t0
            assert hello.status == "ready", hello
        out.append(dt)
    return out[1:]  # the first start also pays one-time set-up (uid claim, runtime probe, mount namespace)


def timed(cmd: list[str], cwd: str) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    if p.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()

    from grader.sandbox.bwrap import SandboxLauncher
    from grader.sandbox.isolation import sandbox_probe
    from grader.sandbox.launcher import ProcessLauncher
    from grader.sandbox.uids import SlotProcessLauncher

    sandbox_ok = not sandbox_probe()
    launchers = [("process, no uid drop (ProcessLauncher)", ProcessLauncher())]
    slot = SlotProcessLauncher()
    launchers.append((f"process ({slot.describe().split('(', 1)[1].rstrip(')')})", slot))
    if sandbox_ok:
        sb = SandboxLauncher()
        launchers.append((f"sandbox ({sb.describe().split('(', 1)[1].rstrip(')')})", sb))
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, euid {os.geteuid()}, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"\nworker start to 'ready' (interpreter + numpy + submission import), median of {args.runs}:")
    for name, launcher in launchers:
        print(f"  {name:58} {_fmt(worker_starts(launcher, args.runs))}")
    from grader.engine import grade

    print(f"\nengine.grade(correct, ['rnn']) in this process (start, 30 checks, close and clean-up), median of {args.runs}:")
    for name, launcher in launchers:
        walls = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            r = grade(str(CORRECT), ["rnn"], launcher=launcher)
            walls.append(time.perf_counter() - t0)
            assert r.all_passed and r.isolation == launcher.level
        print(f"  {name:58} {_fmt(walls)}")
    probe = [timed([sys.executable, "-c", "from grader.sandbox.isolation import sandbox_probe; sandbox_probe()"],
                   str(ROOT)) for _ in range(max(3, args.runs // 2))]
    bare = [timed([sys.executable, "-c", "import grader.sandbox.isolation"], str(ROOT)) for _ in range(3)]
    print("\nsandbox probe in a fresh interpreter (--isolation auto/sandbox pays it once per command):")
    print(f"  probe + interpreter start  {_fmt(probe)}")
    print(f"  interpreter start alone    {_fmt(bare)}")
    print(f"\nrnngrade check examples/correct/rnn_layers.py -e rnn --no-html, end to end, median of {args.runs}:")
    levels = ["process"] + (["sandbox", "auto"] if sandbox_ok else ["auto"])
    with tempfile.TemporaryDirectory() as tmp:
        for level in levels:
            cmd = [sys.executable, "-m", "grader", "check", str(CORRECT), "-e", "rnn", "--no-html", "--isolation", level]
            timed(cmd, tmp)  # warm caches
            print(f"  --isolation {level:8} {_fmt([timed(cmd, tmp) for _ in range(args.runs)])}")
    for _, launcher in launchers:
        getattr(launcher, "close", lambda: None)()


if __name__ == "__main__":
    main()
