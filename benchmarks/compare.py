"""Compare `rnngrade check` between a git revision and the working tree, runs interleaved.

On a shared machine the speed of the whole VM drifts by tens of percent within minutes, so two
medians taken one after the other can disagree more than the change being measured. This runs
the two versions in turn (A, B, A, B, ...), so a slow minute hits both alike, and prints each
side's median, the ratio and every pair. The base revision is checked out into a temporary git
worktree, run from there with ``python -m grader`` (the working directory comes first on
``sys.path``, so each side imports its own grader), and removed afterwards.

    python benchmarks/compare.py --base HEAD~3 [--runs 8] [-e rnn ...] [--submission PATH] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBMISSION = ROOT / "examples" / "correct" / "rnn_layers.py"


def check_command(submission: Path, out: Path, exercises: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "grader", "check", str(submission), "--json", str(out / "r.json"),
           "--html", str(out / "r.html")]
    for ex in exercises:
        cmd += ["-e", ex]
    return cmd


def timed_run(tree: Path, cmd: list[str]) -> tuple[float, dict]:
    """Wall seconds of one `check` run from ``tree``, and the JSON it wrote."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1: some check failed, still a timing
        raise SystemExit(f"`check` from {tree} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return wall, json.loads(Path(cmd[cmd.index("--json") + 1]).read_text())


def _out(tmp: str, side: str) -> Path:
    return Path(tmp) / ("out-" + side.replace(" ", "-"))


def compare(base: str, runs: int, exercises: list[str], submission: Path = SUBMISSION) -> dict:
    rev = subprocess.run(["git", "rev-parse", "--short", base], cwd=ROOT, capture_output=True, text=True)
    if rev.returncode != 0:
        raise SystemExit(f"not a revision of {ROOT}: {base!r} ({rev.stderr.strip()})")
    with tempfile.TemporaryDirectory(prefix="rnngrade-compare-") as tmp:
        worktree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(worktree), base], cwd=ROOT, check=True)
        try:
            sides = {"base": worktree, "working tree": ROOT}
            walls: dict[str, list[float]] = {name: [] for name in sides}
            graded: dict[str, dict] = {}
            for name, tree in sides.items():  # a first run each: file cache, figure cache, bytecode
                out = _out(tmp, name)
                out.mkdir()
                timed_run(tree, check_command(submission, out, exercises))
            for _ in range(runs):
                for name, tree in sides.items():
                    out = _out(tmp, name)
                    wall, result = timed_run(tree, check_command(submission, out, exercises))
                    walls[name].append(round(wall, 4))
                    graded[name] = {"score": result["score"], "max_score": result["max_score"]}
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, capture_output=True)
    medians = {name: statistics.median(w) for name, w in walls.items()}
    return {"base": base, "base_commit": rev.stdout.strip(), "runs": runs, "exercises": exercises,
            "submission": str(submission), "walls_s": walls, "median_s": medians, "graded": graded,
            "ratio": round(medians["working tree"] / medians["base"], 4)}


def report(data: dict) -> str:
    base, new = data["walls_s"]["base"], data["walls_s"]["working tree"]
    lines = [f"rnngrade check {Path(data['submission']).name}"
             + "".join(f" -e {e}" for e in data["exercises"])
             + f": {data['runs']} runs each, interleaved",
             f"  base {data['base']} ({data['base_commit']}): median {data['median_s']['base']:.3f} s "
             f"(min {min(base):.3f}, max {max(base):.3f})",
             f"  working tree: median {data['median_s']['working tree']:.3f} s (min {min(new):.3f}, max {max(new):.3f})",
             f"  working tree / base: x{data['ratio']:.3f}"]
    if data["graded"]["base"] != data["graded"]["working tree"]:
        lines.append(f"  NOTE: the scores differ: {data['graded']}")
    lines.append("  pairs (base, working tree): " + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(base, new)))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="the git revision to compare with (e.g. HEAD~1, main, a tag)")
    ap.add_argument("--runs", type=int, default=8, help="runs per side after one warm-up each (default 8)")
    ap.add_argument("-e", "--exercise", action="append", default=[], help="grade only these exercises")
    ap.add_argument("--submission", type=Path, default=SUBMISSION,
                    help="what to grade (default: the correct example; e.g. examples/bptt_bug/rnn_layers.py)")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if not args.submission.exists():
        ap.error(f"--submission: no such file or folder: {args.submission}")
    data = compare(args.base, args.runs, args.exercise, args.submission.resolve())
    print(report(data))
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
