"""Benchmark: `rnngrade grade` on a generated class, with --jobs 1 and --jobs 2 (and on Dask).

Generates the test suite's mixed class (correct, buggy, unloadable and misbehaving submissions:
infinite loops, memory bombs, exit at import) in a temporary folder, grades it from scratch with
each job count, and prints submissions/s two ways: end to end (the whole command: start-up,
discovery, grading, reports, grades.csv, summary) and the grading phase alone (as the command
reports it), plus the scaling ratio. A benchmark, not a test: the machine may be shared and noisy,
so the load average is printed too.

    python benchmarks/bench_bulk.py                     # all exercises, default limits
    python benchmarks/bench_bulk.py --quick             # two fast exercises, 1 s call limit
    python benchmarks/bench_bulk.py --students 100 --jobs 1 2 4
    python benchmarks/bench_bulk.py --quick --dask 2    # also --dask on a LocalCluster of 2 workers

``--dask N`` starts a ``distributed.LocalCluster`` (N worker processes, one thread each) on this
machine and grades the same class with ``--dask ADDRESS``: the cost of going through Dask (payload,
scheduler, JSON replies) compared with local slots, not a multi-machine figure.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "bulk")]

from bulk_class import class_members, write_class  # noqa: E402 - the generator the tests use


def grade(src: Path, out: Path, jobs: int | str, extra: list[str]) -> tuple[float, int, float]:
    """(wall seconds, submissions graded, grading-phase rate as the command reports it); ``jobs``
    is a job count or a Dask scheduler address."""
    where = ["--dask", jobs] if isinstance(jobs, str) else ["--jobs", str(jobs)]
    cmd = [sys.executable, "-m", "grader", "grade", str(src), "--out", str(out), *where, "--progress", "none", *extra]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    m = re.search(r"graded now: (\d+) in ([\d.]+) s \(([\d.]+) submissions/s", proc.stdout)
    if proc.returncode not in (0, 2) or not m:
        sys.exit(f"rnngrade grade failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall, int(m[1]), float(m[3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=52)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--layout", default="canvas", choices=["canvas", "moodle", "gradescope", "classroom", "plain"])
    ap.add_argument("--quick", action="store_true", help="only the clipping and tbptt exercises, 1 s call limit")
    ap.add_argument("--dask", type=int, default=0, metavar="N",
                    help="also grade on a local Dask cluster of N worker processes (needs rnngrade[dask])")
    args = ap.parse_args()
    extra = ["-e", "clipping", "-e", "tbptt", "--call-seconds", "1"] if args.quick else []
    members = class_members(args.students)
    print(f"rnngrade grade: {len(members)} students ({args.layout} zip), "
          f"{'clipping + tbptt, 1 s call limit' if args.quick else 'all exercises, default limits'}")
    print(f"  machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f} at start")
    rates = {}
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as tmp:
        src = write_class(Path(tmp), members, args.layout, as_zip=True)
        for jobs in args.jobs:
            wall, n, phase = grade(src, Path(tmp) / f"out{jobs}", jobs, extra)
            rates[jobs] = (n / wall, phase)
            print(f"  --jobs {jobs}: {n} graded in {wall:.1f} s: {n / wall:.2f} submissions/s end to end, "
                  f"{phase:.2f}/s grading phase")
        if args.dask:
            from distributed import LocalCluster

            with LocalCluster(n_workers=args.dask, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster:
                # the first run starts a grading slot on each worker; a long-lived cluster keeps them
                for label in ("first run", "second run (slots already started)"):
                    wall, n, phase = grade(src, Path(tmp) / f"outdask-{label[:5]}", cluster.scheduler_address, extra)
                    print(f"  --dask (LocalCluster, {args.dask} workers x 1 thread), {label}: {n} graded in "
                          f"{wall:.1f} s: {n / wall:.2f} submissions/s end to end, {phase:.2f}/s grading phase")
    first = args.jobs[0]
    for jobs in args.jobs[1:]:
        print(f"  scaling {first} -> {jobs} jobs: x{rates[jobs][0] / rates[first][0]:.2f} end to end, "
              f"x{rates[jobs][1] / rates[first][1]:.2f} grading phase")
    print(f"  load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
