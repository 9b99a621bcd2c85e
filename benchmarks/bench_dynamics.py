"""Benchmark: what the dynamics and training exercises cost, and how the dynamics cost grows with T.

1. Cost against the sequence length: the dynamics checks on the correct example for T = 100 .. 2000
   (the grader uses 200, and 1000 with --thorough), median of several runs, per architecture.
2. What the two exercises add to a default `rnngrade check` end to end (interpreter start, worker,
   every check, terminal output, JSON and HTML with its figures): the full command against the
   same command restricted to the other exercises, and the HTML figures on their own.

A benchmark, not a test: the machine is shared and noisy; medians and minima are both printed.

    python benchmarks/bench_dynamics.py [--runs 5] [--lengths 100,200,500,1000,2000]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORRECT = str(ROOT / "examples" / "correct" / "rnn_layers.py")
OTHERS = ["-e", "rnn", "-e", "lstm", "-e", "gru", "-e", "clipping", "-e", "tbptt"]


def cost_against_T(lengths: list[int], runs: int) -> None:
    from grader.checks import decay
    from grader.engine import grade

    print(f"dynamics checks on the correct example (N={decay.DIMS['N']}, D={decay.DIMS['D']}, H={decay.DIMS['H']}), "
          f"median of {runs}; seconds are the checks' own, worker start excluded")
    print("| T | all dynamics checks (s) | RNN (s) | LSTM (s) | GRU (s) | clipping (s) | per 100 steps (s) |")
    print("|---|---|---|---|---|---|---|")
    default = decay.T_DEFAULT
    try:
        for T in lengths:
            decay.T_DEFAULT = T
            rows = []
            for _ in range(runs):
                r = grade(CORRECT, ["dynamics"])
                assert all(c.status == "passed" for c in r.checks), [(c.id, c.message) for c in r.checks
                                                                      if c.status != "passed"]
                part = {"rnn": 0.0, "lstm": 0.0, "gru": 0.0, "clip": 0.0}
                for c in r.checks:
                    part["clip" if c.function.startswith("clip") else c.function.split("_")[0]] += c.seconds
                rows.append(part)
            med = {k: statistics.median(p[k] for p in rows) for k in rows[0]}
            total = sum(med.values())
            print(f"| {T} | {total:.3f} | {med['rnn']:.3f} | {med['lstm']:.3f} | {med['gru']:.3f} | {med['clip']:.3f} "
                  f"| {100 * total / T:.3f} |")
    finally:
        decay.T_DEFAULT = default


def timed(cmd: list[str], cwd: str) -> tuple[float, float]:
    """(wall, CPU) seconds of a command; CPU counts the grader and its worker (user + system), which a
    busy machine inflates much less than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def added_to_check(runs: int) -> None:
    base = [sys.executable, "-m", "grader", "check", CORRECT, "--json", "r.json", "--html", "r.html"]
    with tempfile.TemporaryDirectory() as tmp:
        timed(base, tmp)
        full, without = [], []
        for _ in range(runs):  # interleaved, so a burst of load hits both
            full.append(timed(base, tmp))
            without.append(timed(base + OTHERS, tmp))
    print(f"\n`rnngrade check` on the correct example, end to end, {runs} interleaved runs (wall / CPU seconds)")
    for name, runs_ in (("all exercises", full), ("without dynamics and training", without)):
        walls, cpus = [w for w, _ in runs_], [c for _, c in runs_]
        print(f"  {name:31} wall median {statistics.median(walls):.3f}, min {min(walls):.3f};  "
              f"CPU median {statistics.median(cpus):.3f}, min {min(cpus):.3f}")
    med = [statistics.median(x for x, _ in full) - statistics.median(x for x, _ in without),
           statistics.median(c for _, c in full) - statistics.median(c for _, c in without)]
    mins = [min(x for x, _ in full) - min(x for x, _ in without), min(c for _, c in full) - min(c for _, c in without)]
    print(f"  added:                          wall median {med[0]:.3f}, min-to-min {mins[0]:.3f};  "
          f"CPU median {med[1]:.3f}, min-to-min {mins[1]:.3f}")

    from grader.engine import grade
    from grader.render.html import render_html

    r = grade(CORRECT, ["dynamics", "training"])
    checks = {c.id: c.seconds for c in r.checks}
    dyn = sum(s for i, s in checks.items() if i.startswith("dynamics."))
    print(f"  inside: dynamics checks {dyn:.3f} s, training check "
          f"{checks['training.rnn_backward.sine_wave_next_value']:.3f} s")
    code = ("import time, pickle, sys; t = time.perf_counter(); import grader.render.plots as p; p._mpl(); "
            "print(time.perf_counter() - t)")
    imports = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
               for _ in range(runs)]
    t0 = time.perf_counter()
    render_html(r)  # figures drawn in this process; matplotlib already imported by the first one
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    render_html(r)
    again = time.perf_counter() - t0
    print(f"  HTML figures: importing matplotlib {statistics.median(imports):.3f} s; the six figures and the rest of "
          f"the report {again:.3f} s (first render in this process, import included: {first:.3f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--lengths", default="100,200,500,1000,2000")
    ap.add_argument("--skip-check", action="store_true", help="only the cost against T")
    args = ap.parse_args()
    cost_against_T([int(x) for x in args.lengths.split(",")], args.runs)
    if not args.skip_check:
        added_to_check(args.runs)


if __name__ == "__main__":
    main()
