"""Benchmark: `rnngrade check` on the correct example submission, end to end.

Measures wall time of the whole command (interpreter start, imports, worker start, every check,
terminal output, HTML and JSON reports) as a user sees it; prints the median of several runs and
the split reported by the grader itself. A benchmark, not a test: the machine is shared and noisy.

    python benchmarks/bench_check.py [--runs 7] [--submission PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], cwd: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--submission", default=str(ROOT / "examples" / "correct" / "rnn_layers.py"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "grader", "check", args.submission, "--json", "r.json", "--html", "r.html"]
        timed(cmd, tmp)  # warm the file cache
        walls = [timed(cmd, tmp) for _ in range(args.runs)]
        result = json.loads(Path(tmp, "r.json").read_text())
        startup = [timed([sys.executable, "-c", "import grader.cli, grader.engine"], tmp) for _ in range(args.runs)]
        bare = [timed([sys.executable, "-c", "import numpy"], tmp) for _ in range(args.runs)]
    checks = [c for e in result["exercises"] for c in e["checks"]]
    by_kind: dict[str, float] = {}
    for c in checks:
        by_kind[c["kind"]] = by_kind.get(c["kind"], 0.0) + c.get("seconds", 0.0)
    print(f"rnngrade check, correct full submission ({len(checks)} checks, score {result['score']:g}/{result['max_score']:g})")
    print(f"  machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"  end to end, median of {args.runs}: {statistics.median(walls):.3f} s  (min {min(walls):.3f}, max {max(walls):.3f})")
    print(f"  python + numpy start:        {statistics.median(bare):.3f} s")
    print(f"  python + grader imports:     {statistics.median(startup):.3f} s")
    print(f"  grading inside the process:  {result['duration_s']:.3f} s (worker start + checks)")
    for kind, secs in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        print(f"    {kind:10} {secs:.3f} s")


if __name__ == "__main__":
    main()
