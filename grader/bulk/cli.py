"""``rnngrade grade`` and ``rnngrade export``: the bulk commands (registered in grader/cli.py).

Exit codes, as for ``rnngrade check``: 0 every submission has a grade; 2 bad input (nothing in OUT
was touched), or some submissions have no grade yet because of infrastructure errors (run the
same command again); 130 interrupted (everything committed so far is kept).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..sandbox.isolation import launcher_option

EXIT_USAGE = 2


def _fail(message: str, hint: str = "") -> None:
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)
    sys.exit(EXIT_USAGE)


@click.command("grade")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--out", "-o", "out", type=click.Path(path_type=Path), required=True,
              help="Folder for the gradebook, reports, grades.csv and summary.html (created if missing; reruns resume).")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None,
              help="Submissions graded at once [default: the number of cores].")
@click.option("--dask", "dask_address", metavar="ADDRESS", default=None,
              help="Grade on a Dask distributed cluster (e.g. tcp://host:8786) instead of local processes; needs "
                   "pip install 'rnngrade[dask]' here and on every worker. Not with --jobs. See docs/bulk.md.")
@click.option("--force", is_flag=True, help="Regrade every submission, even those already graded.")
@click.option("--roster", type=click.Path(path_type=Path), default=None,
              help="CSV with columns id, name and (optional) email: maps LMS identities to your ids.")
@click.option("--exercise", "-e", "exercise_ids", multiple=True, metavar="ID",
              help="Only grade this exercise (repeatable). See `rnngrade exercises`.")
@click.option("--api", type=click.Choice(["cs231n", "dls"]), default="cs231n", show_default=True,
              help="The exercise API of the class: cs231n, or dls for the Coursera step-by-step functions (docs/dls.md).")
@click.option("--seed", type=int, default=None, help="Seed for the hidden random cases (default: the course's fixed seed).")
@click.option("--call-seconds", type=click.FloatRange(0.05, 600), default=None,
              help="Time limit per call into student code [default: each exercise's TOML value].")
@click.option("--import-seconds", type=click.FloatRange(0.05, 600), default=None,
              help="Time limit for importing a submission [default: 10].")
@click.option("--budget", "budget_seconds", type=click.FloatRange(1, 86400), default=120.0, show_default=True,
              help="Overall time limit per submission, in seconds; what is left after it is a timeout.")
@click.option("--allow-import", "allowed", multiple=True, metavar="MODULE",
              help="Let submissions import MODULE although it is blocked by default (torch, jax, tensorflow, autograd).")
@click.option("--thorough", is_flag=True, help="More property examples and longer sequences (slower).")
@click.option("--progress", type=click.Choice(["auto", "bar", "plain", "none"]), default="auto", show_default=True,
              help="auto: a live bar on a terminal, a line every few seconds otherwise.")
@launcher_option
def grade_command(submissions: Path, out: Path, jobs, dask_address, force, roster, exercise_ids, seed, call_seconds, import_seconds,
                  budget_seconds, allowed, thorough, progress, isolation="auto", api="cs231n") -> None:
    """Grade a whole class: SUBMISSIONS is a folder or a .zip, one file or folder per student or
    an LMS bulk download (Canvas, Moodle, Gradescope export, GitHub Classroom).

    Results go to OUT: gradebook.sqlite, reports/<student>.html, results/<student>.json,
    grades.csv and summary.html. Run it again to grade only what is new or changed (or was
    interrupted); see docs/bulk.md.

    \b
    Examples:
      rnngrade grade submissions.zip --out graded
      rnngrade grade canvas_download/ --out graded --roster roster.csv --jobs 4
      rnngrade grade submissions.zip --out graded --dask tcp://scheduler-host:8786
    """
    from ..engine import DEFAULT_SEED
    from ..sandbox.launcher import DEFAULT_BLOCKED_IMPORTS, GRADER_PACKAGES
    from . import BulkInputError
    from .batch import BatchOptions, default_jobs, run_batch
    from .plan import Config

    if dask_address is not None and jobs is not None:
        _fail("--dask and --jobs cannot be used together",
              "With --dask the cluster's workers set the parallelism (`dask worker ADDRESS --nworkers N --nthreads 1` "
              "on each machine); drop --jobs.")
    if dask_address is not None:
        from .cluster import require_distributed

        try:
            require_distributed()
        except BulkInputError as exc:
            _fail(exc.message, exc.hint)
    blocked = tuple(m for m in DEFAULT_BLOCKED_IMPORTS if m not in allowed or m in GRADER_PACKAGES)
    exercise_ids = tuple(dict.fromkeys(exercise_ids))  # `-e rnn -e rnn` grades rnn once
    config = Config(exercise_ids, DEFAULT_SEED if seed is None else seed, call_seconds, import_seconds,
                    budget_seconds, blocked, thorough, api)
    opts = BatchOptions(submissions, out, jobs or default_jobs(), force, roster, config, progress, dask=dask_address)
    # probe once here (warning prominently when only `process` works); every slot process then builds
    # its own launcher of that level, which claims a uid of its own when running as root
    from ..sandbox.isolation import resolve_cli

    chosen = resolve_cli(isolation, bulk=True)
    opts.launcher = f"grader.sandbox.isolation:{chosen.level}_launcher"
    chosen.close()  # the slots claim their own uids; this process grades nothing itself
    # (with --dask, every worker must provide this same level: a worker that cannot is an infra_error)
    try:
        report = run_batch(opts)
    except BulkInputError as exc:
        _fail(exc.message, exc.hint)
    sys.exit(report.exit_code)


@click.command("export")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "-f", "fmt", type=click.Choice(["canvas", "moodle", "gradescope", "csv", "jsonl"]),
              required=True, help="Which gradebook format to write (see docs/bulk.md for the columns).")
@click.option("--output", "-o", "target", type=click.Path(path_type=Path), default=None,
              help="Where to write [default: OUT/exports/<canvas.csv|moodle.csv|gradescope/|grades.csv|results.jsonl>].")
@click.option("--assignment", default="rnngrade", show_default=True,
              help="Canvas: the assignment column's title, or 'Title (id)' to match an existing assignment.")
def export_command(out: Path, fmt: str, target, assignment: str) -> None:
    """Export the grades in OUT (written by `rnngrade grade`) for an LMS or for your own tools.

    \b
    Examples:
      rnngrade export graded --format canvas --assignment "RNN layers (48213)"
      rnngrade export graded --format gradescope
    """
    from . import BulkInputError
    from .batch import GRADEBOOK
    from .exports import DEFAULT_NAMES, export
    from .gradebook import Gradebook

    if not (out / GRADEBOOK).is_file():
        _fail(f"{out} has no {GRADEBOOK}", "Pass the OUT folder of an `rnngrade grade` run (grade the class first).")
    try:
        gb = Gradebook(out / GRADEBOOK)
    except BulkInputError as exc:
        _fail(exc.message, exc.hint)
    try:
        path, scored, blank = export(gb, fmt, target or out / "exports" / DEFAULT_NAMES[fmt], assignment)
    finally:
        gb.close()
    click.echo(f"{fmt}: {scored} student{'s' if scored != 1 else ''} with a score"
               f"{f', {blank} left blank (no score: see grades.csv)' if blank else ''} -> {path}")
