"""The integration commands of ``rnngrade``: ``ci-gate`` and ``gradescope build|run``.

Only click is imported here; the grader is imported when a command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["ci_gate", "gradescope"]


def _min_score(ctx, param, value):
    from .gate import parse_min_score

    try:
        parse_min_score(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.command("ci-gate")
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--min-score", callback=_min_score, metavar="POINTS|PCT%",
              help="Pass at this score or above: points (40) or a percentage of the points graded (80%). "
                   "Default: every point.")
@click.option("--submission", type=click.Path(path_type=Path),
              help="Also require the results to be for this submission (same sha256 as its files).")
def ci_gate(results: Path, min_score, submission) -> None:
    """Pass or fail a CI job from RESULTS, the JSON of `rnngrade check --json`.

    Exit status 0 pass, 1 below the minimum score, 2 no usable results (missing, invalid,
    inconsistent, for another submission, or grader infrastructure errors). A job must use this
    rather than the exit status of the grading step alone: see docs/integrations.md.

    \b
    Example:
      rnngrade check rnn_layers.py --no-html --json out/results.json
      rnngrade ci-gate out/results.json --min-score 80% --submission rnn_layers.py
    """
    from .gate import gate

    verdict = gate(results, min_score, submission)
    click.echo(f"rnngrade ci-gate: {verdict.message}")
    sys.exit(verdict.code)


@click.group()
def gradescope() -> None:
    """Build a Gradescope autograder zip, or grade inside one."""


@gradescope.command("build")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default="autograder.zip",
              show_default=True, help="Where to write the autograder zip.")
@click.option("--exercise", "-e", "exercise_ids", multiple=True, metavar="ID",
              help="Only grade this exercise (repeatable; default: all).")
@click.option("--hidden-after-due", is_flag=True,
              help="Show checks on hidden cases (all but api and public_vectors) to students only after the due date.")
@click.option("--seed", type=int, default=None, help="Seed for the hidden random cases (default: the course's fixed seed).")
def gradescope_build(out: Path, exercise_ids, hidden_after_due: bool, seed) -> None:
    """Write an autograder zip to upload on Gradescope (setup.sh, run_autograder, rnngrade itself).

    \b
    Example:
      rnngrade gradescope build --out autograder.zip -e rnn -e lstm --hidden-after-due
    """
    from .gradescope import BuildError, build_autograder

    try:
        names = build_autograder(out, list(exercise_ids) or None, "after_due_date" if hidden_after_due else "visible", seed)
    except BuildError as exc:
        click.echo(f"error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(2)
    what = ", ".join(exercise_ids) if exercise_ids else "all exercises"
    click.echo(f"Gradescope autograder: {out} ({len(names)} files; {what}; hidden cases "
               f"{'after the due date' if hidden_after_due else 'visible'})")
    click.echo("Upload it under Configure Autograder (Ubuntu 22.04 or newer base image).")


@gradescope.command("run")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The autograder folder (default: $RNNGRADE_AUTOGRADER_ROOT, else /autograder).")
def gradescope_run(root) -> None:
    """Grade ROOT/submission and write ROOT/results/results.json (what run_autograder calls)."""
    from .gradescope import run_gradescope

    sys.exit(run_gradescope(root, echo=click.echo))
