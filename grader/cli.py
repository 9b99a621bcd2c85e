"""The ``rnngrade`` command line.

Exit codes (stable, documented in the README): 0 every check passed; 1 some check did not pass;
2 usage errors, unreadable submissions and grader infrastructure errors (never the student's
fault, never a grade).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .sandbox.isolation import launcher_option

EXIT_PASSED, EXIT_NOT_PASSED, EXIT_USAGE = 0, 1, 2
DEFAULT_HTML = "rnngrade-report.html"


def default_jobs() -> int:
    """Processes for one ``check``: two where there are two cores (docs/performance.md), else one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 2 if cores >= 2 else 1


def _fail(message: str, hint: str = "") -> None:
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)
    sys.exit(EXIT_USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rnngrade")
def main() -> None:
    """Grade numpy RNN, LSTM and GRU exercises: forward passes, BPTT gradients, clipping and
    truncated BPTT, run safely in a sandboxed worker, with feedback that says what to fix."""
    from .memtune import tune_this_process

    tune_this_process()  # the arrays every call sends and receives: from the heap (grader/memtune.py)


@main.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--exercise", "-e", "exercise_ids", multiple=True, metavar="ID",
              help="Only grade this exercise (repeatable). See `rnngrade exercises`.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_HTML,
              show_default=True, help="Where to write the self-contained HTML report.")
@click.option("--no-html", is_flag=True, help="Do not write the HTML report.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the results as JSON (schema: grader/schema/results.schema.json).")
@click.option("--seed", type=int, default=None, help="Seed for the hidden random cases (default: the course's fixed seed).")
@click.option("--allow-import", "allowed", multiple=True, metavar="MODULE",
              help="Let submissions import MODULE although it is blocked by default (torch, jax, tensorflow, autograd).")
@click.option("--thorough", is_flag=True, help="More property examples and longer sequences (slower; for final grading).")
@click.option("--public", is_flag=True,
              help="Only the checks that need no reference (what a student release runs; docs/release.md).")
@click.option("--api", type=click.Choice(["auto", "cs231n", "dls"]), default="auto", show_default=True,
              help="The exercise API: CS231n rnn_layers.py, or the Coursera DLS step-by-step functions "
                   "(docs/dls.md); auto detects it from the function names.")
@click.option("--verbose", "-v", is_flag=True, help="Also list passed API checks.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Grade groups of exercises in this many processes at once, each with its own worker "
                   "[default: 2 on a machine with 2 or more cores, else 1].")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write JUnit XML (one testcase per check) for CI systems.")
@click.option("--github/--no-github", default=None,
              help="GitHub Actions job summary and annotations (default: on when GITHUB_ACTIONS=true).")
@launcher_option
def check(submission: Path, exercise_ids, html_path: Path, no_html: bool, json_path, seed, allowed, thorough,
          verbose, jobs=None, junit_path=None, github=None, isolation="auto", public=False, api="auto") -> None:
    """Grade SUBMISSION: a .py file, a Jupyter notebook (.ipynb), a folder with rnn_layers.py (or
    cs231n/rnn_layers.py, or one notebook), or a .zip.

    \b
    Examples:
      rnngrade check rnn_layers.py
      rnngrade check rnn_layers.py -e lstm --json results.json
    """
    from .exercises import ExerciseConfigError
    from .loader import LoadError, load
    from .render.background import BackgroundReport
    from .sandbox.isolation import choose_in_background, resolve_cli
    from .sandbox.launcher import DEFAULT_BLOCKED_IMPORTS, GRADER_PACKAGES

    blocked = tuple(m for m in DEFAULT_BLOCKED_IMPORTS if m not in allowed or m in GRADER_PACKAGES)
    report = None
    try:
        sub = load(submission, blocked)  # a bad path is a usage error before any sandbox probe
        # the HTML renderer imports matplotlib while grading runs (grader/render/background.py); forked
        # first, while this process has no other thread
        if not no_html:
            from .render import figure_cache

            figure_cache.enable()  # re-runs skip drawing figures that came out the same (figure_cache.py)
        report = None if no_html else BackgroundReport.start(html_path)
        probe = choose_in_background(isolation)  # the sandbox probe waits on a subprocess: overlap it with the imports
        from .engine import DEFAULT_SEED, grade  # the checks (Hypothesis only if a property fails)

        launcher = resolve_cli(isolation)
        probe.join()  # grade() may fork (--jobs): no other thread may be running then
        from .release import PUBLIC_SEED, is_release

        public = public or is_release()  # a student release has no reference: public checks only
        result = grade(sub, list(exercise_ids) or None,
                       seed=seed if seed is not None else PUBLIC_SEED if public else DEFAULT_SEED,
                       blocked_imports=blocked, thorough=thorough, launcher=launcher, public=public, api=api,
                       jobs=jobs or default_jobs())
    except (LoadError, KeyError, ExerciseConfigError) as exc:
        if report is not None:
            report.cancel()
        if isinstance(exc, LoadError):
            _fail(exc.message, exc.hint)
        elif isinstance(exc, KeyError):
            _fail(str(exc.args[0]), "Run `rnngrade exercises` to list the exercise ids.")
        _fail(f"exercise configuration: {exc}", "Fix the exercise .toml file named above.")
    except BaseException:
        if report is not None:
            report.cancel()
        raise
    if report is not None:
        report.submit(result)  # drawn while the summary below is printed
    from .integrations.ci import ci_outputs
    from .render.output import write_text_atomic
    from .render.terminal import render_terminal

    with ci_outputs(result, submission, junit_path, github):  # JUnit XML; GitHub summary and annotations
        render_terminal(result, verbose=verbose)
    if json_path:
        write_text_atomic(json_path, result.to_json())
        click.echo(f"JSON results: {json_path}")
    if report is not None:
        report.finish(result)
        click.echo(f"HTML report: {html_path.resolve()}")
    global _fast_exit
    _fast_exit = True  # everything is written, closed and reaped: see run()
    if any(c.metrics.get("infrastructure") for c in result.checks):
        click.echo("error: the grader could not run some checks (infrastructure); run again", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_PASSED if result.all_passed else EXIT_NOT_PASSED)


@main.command()
def exercises() -> None:
    """List the exercises, their functions and points."""
    from .checks.registry import checks_for
    from .exercises import load_exercises

    for ex in load_exercises().values():
        defs = checks_for(ex)
        total = sum(ex.points_for(d.function, d.name) for d in defs)
        click.echo(f"{ex.id:10} {ex.title} ({total:g} points)")
        for fn in ex.functions:
            pts = sum(ex.points_for(d.function, d.name) for d in defs if d.function == fn)
            names = ", ".join(d.name for d in defs if d.function == fn)
            click.echo(f"    {fn:26} {pts:4g} pts   checks: {names}")


from .integrations.commands import ci_gate, gradescope  # noqa: E402  (imports click only)

main.add_command(ci_gate)
main.add_command(gradescope)

from .bulk.cli import export_command, grade_command  # noqa: E402 - light: click only, the rest loads on use

main.add_command(grade_command)
main.add_command(export_command)

from .notebooks.cli import build_notebooks  # noqa: E402 - light: click only
from .release.cli import release  # noqa: E402 - light: click only

main.add_command(build_notebooks)
main.add_command(release)

_fast_exit = False


def run() -> None:
    """The console script and ``python -m grader``: ``main``; after a finished ``check``, a fast exit.

    Tearing down the interpreter (numpy, Hypothesis, the checks: thousands of objects and modules)
    took ~0.1 s of the ~2 s a student waits for ``check``. Once ``check`` has written every output,
    closed its worker and reaped its renderer, there is nothing left to clean up, so the process
    ends with ``os._exit`` after running the ``atexit`` handlers and flushing. Other commands (and
    ``main`` called in-process, as the tests do with click's runner) exit normally.
    """
    try:
        main(prog_name="rnngrade")
    except SystemExit as exc:
        if not _fast_exit or not isinstance(exc.code, (int, type(None))):
            raise
        import atexit

        atexit._run_exitfuncs()  # handlers registered by whoever embeds us still run; module teardown does not
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exc.code or 0)


if __name__ == "__main__":  # pragma: no cover
    run()
