"""Evidence for the tolerances: worst error of correct code vs smallest error of each bug.

Grades the two correct zoo submissions over many seeds and every bug snippet over a few, and
prints, per check kind, the largest error a correct implementation reached and the smallest a
buggy one did. The thresholds in exercises/*.toml must sit between the two with a wide margin.

    python benchmarks/calibrate_tolerances.py [--seeds 30]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from grader.engine import grade  # noqa: E402
from zoo_helpers import ZOO, build_submission  # noqa: E402


def errors(result, sink, status_filter):
    for c in result.checks:
        err = c.metrics.get("rel_error")
        if err is not None and c.status in status_filter:
            sink[c.kind].append((err, c.id))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=30)
    args = ap.parse_args()
    correct, buggy = defaultdict(list), defaultdict(list)
    for seed in range(args.seeds):
        for path in (ROOT / "examples/correct/rnn_layers.py", ZOO / "alt_style_correct.py"):
            errors(grade(str(path), seed=seed), correct, {"passed", "failed"})
    for bug in sorted((ZOO / "bugs").glob("*.py")):
        for seed in range(3):
            errors(grade(str(build_submission(Path(tempfile.mkdtemp()), bug.stem)), seed=seed), buggy, {"failed"})
    print(f"{'kind':10} {'worst correct':>14}  {'smallest bug':>13}   (correct: {args.seeds} seeds x 2 solutions)")
    for kind in sorted(set(correct) | set(buggy)):
        worst = max(correct[kind], default=(0.0, "-"))
        least = min(buggy[kind], default=(float("nan"), "-"))
        print(f"{kind:10} {worst[0]:14.3g}  {least[0]:13.3g}   worst: {worst[1]}; smallest bug: {least[1]}")


if __name__ == "__main__":
    main()
