"""Benchmark: grading a notebook vs grading the same code as a .py file.

The notebook holds the correct example solution, one cell per function, plus the junk a real
notebook has (a training loop, `!pip install`, `%matplotlib inline`, plots, prints), none of which
runs when grading. Runs alternate between the two (the machine is shared and noisy) and the
medians are compared, for the whole `rnngrade check` command and for the loader alone.

    python benchmarks/bench_notebook.py [--runs 9] [-e rnn -e lstm ...]
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
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "notebooks")]
API = ["rnn", "lstm", "gru", "clipping", "tbptt"]


def timed(cmd: list[str], cwd: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def load_ms(path: Path, repeat: int = 20) -> float:
    from grader.loader import load

    load(path)
    t0 = time.perf_counter()
    for _ in range(repeat):
        load(path)
    return (time.perf_counter() - t0) / repeat * 1000


def main() -> None:
    from nb_helpers import junk_notebook  # tests/notebooks: the same notebook the tests grade

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("-e", "--exercise", action="append", default=None, help=f"exercises (default: {' '.join(API)})")
    args = ap.parse_args()
    exercises = args.exercise or API
    with tempfile.TemporaryDirectory() as tmp:
        py = Path(tmp, "py", "rnn_layers.py")
        py.parent.mkdir()
        py.write_text((ROOT / "examples" / "correct" / "rnn_layers.py").read_text())
        nb = junk_notebook(Path(tmp, "nb", "rnn_layers.ipynb"))
        ex = [a for e in exercises for a in ("-e", e)]
        cmds = {kind: [sys.executable, "-m", "grader", "check", str(path), *ex, "--no-html", "--isolation", "process"]
                for kind, path in (("py", py), ("ipynb", nb))}
        for cmd in cmds.values():
            timed(cmd, tmp)  # warm the file cache
        walls: dict[str, list[float]] = {"py": [], "ipynb": []}
        for _ in range(args.runs):
            for kind, cmd in cmds.items():
                walls[kind].append(timed(cmd, tmp))
        loads = {"py": load_ms(py), "ipynb": load_ms(nb)}
        size = nb.stat().st_size
    med = {k: statistics.median(v) for k, v in walls.items()}
    print(f"rnngrade check: a notebook vs the same code as .py ({', '.join(exercises)}; {args.runs} runs each, alternating)")
    print(f"  machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; notebook of {size} bytes")
    for kind in ("py", "ipynb"):
        print(f"  {kind:6} end to end, median {med[kind]:.3f} s  (min {min(walls[kind]):.3f}, max {max(walls[kind]):.3f})")
    fast = {k: min(v) for k, v in walls.items()}
    print(f"  notebook overhead, end to end: {100 * (med['ipynb'] / med['py'] - 1):+.1f} % (medians), "
          f"{100 * (fast['ipynb'] / fast['py'] - 1):+.1f} % (fastest runs, least disturbed by other load)")
    print(f"  loader alone: .py {loads['py']:.1f} ms, .ipynb {loads['ipynb']:.1f} ms "
          f"(+{loads['ipynb'] - loads['py']:.1f} ms: JSON, per-cell parse, extraction)")


if __name__ == "__main__":
    main()
