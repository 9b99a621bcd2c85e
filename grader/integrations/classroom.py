"""A GitHub Classroom ``.github/classroom/autograding.json`` generated from the exercise TOML.

Classroom awards each test's points all or nothing, so there is one test per exercise, worth that
exercise's points, and each test passes only when the grader's own JSON says every check of the
exercise passed (``rnngrade ci-gate --min-score 100%``: exit codes alone can be faked by a
submission calling ``os._exit(0)`` at import). Generated rather than hand-written so the example
in ``docs/examples/autograding.json`` cannot drift from the points in ``exercises/*.toml``:

    python -m grader.integrations.classroom > docs/examples/autograding.json
    python -m grader.integrations.classroom --api dls --submission rnn_utils.py   # a DLS course

(a test compares the file with this output).
"""

from __future__ import annotations

import json
import sys

from ..checks.registry import checks_for
from ..exercises import Exercise, load_exercises

INSTALL = "python3 -m pip install --quiet 'rnngrade[ci] @ git+https://github.com/YOUR-ORG/rnngrade@v0.1.0'"
TIMEOUT_MINUTES = 5


def exercise_points(exercise: Exercise) -> float:
    return sum(exercise.points_for(d.function, d.name) for d in checks_for(exercise))


def classroom_tests(exercises: dict[str, Exercise], submission: str = "rnn_layers.py", install: str = INSTALL) -> dict:
    tests = []
    for ex in exercises.values():
        points = exercise_points(ex)
        out = f".rnngrade/{ex.id}.json"
        tests.append({
            "name": f"{ex.title} ({ex.id})",
            "setup": install if not tests else "",
            "run": (f"rm -rf .rnngrade && rnngrade check {submission} -e {ex.id} --no-html --json {out}; "
                    f"rnngrade ci-gate {out} --min-score 100% --submission {submission}"),
            "input": "",
            "output": "",
            "comparison": "included",
            "timeout": TIMEOUT_MINUTES,
            "points": int(points) if float(points).is_integer() else points,
        })
    return {"tests": tests}


def main(argv=None) -> None:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m grader.integrations.classroom",
                                 description="Print a GitHub Classroom autograding.json: one test per exercise.")
    ap.add_argument("--api", choices=("cs231n", "dls"), default="cs231n",
                    help="the API profile's exercises (dls: the Coursera step-by-step functions, docs/dls.md)")
    ap.add_argument("--submission", default="rnn_layers.py", help="the file the student's repository holds")
    args = ap.parse_args(argv)
    tests = classroom_tests(load_exercises(api=args.api), submission=args.submission)
    sys.stdout.write(json.dumps(tests, indent=2) + "\n")


if __name__ == "__main__":
    main()
