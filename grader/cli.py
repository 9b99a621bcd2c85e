"""The ``rnngrade`` command line.

Exit codes (stable, documented in the README): 0 every check passed; 1 some check did not pass;
2 usage errors, unreadable submissions and grader infrastructure errors (never the student's
fault, never a grade).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__

EXIT_PASSED, EXIT_NOT_PASSED, EXIT_USAGE = 0, 1, 2
DEFAULT_HTML = "rnngrade-report.html"


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
@click.option("--verbose", "-v", is_flag=True, help="Also list passed API checks.")
def check(submission: Path, exercise_ids, html_path: Path, no_html: bool, json_path, seed, allowed, thorough,
          verbose) -> None:
    """Grade SUBMISSION: a .py file, a folder with rnn_layers.py (or cs231n/rnn_layers.py), or a .zip.

    \b
    Examples:
      rnngrade check rnn_layers.py
      rnngrade check rnn_layers.py -e lstm --json results.json
    """
    from .engine import DEFAULT_SEED, grade
    from .exercises import ExerciseConfigError
    from .loader import LoadError
    from .render.output import write_text_atomic
    from .render.terminal import render_terminal
    from .sandbox.launcher import DEFAULT_BLOCKED_IMPORTS, GRADER_PACKAGES

    blocked = tuple(m for m in DEFAULT_BLOCKED_IMPORTS if m not in allowed or m in GRADER_PACKAGES)
    try:
        result = grade(submission, list(exercise_ids) or None, seed=DEFAULT_SEED if seed is None else seed,
                       blocked_imports=blocked, thorough=thorough)
    except LoadError as exc:
        _fail(exc.message, exc.hint)
    except KeyError as exc:
        _fail(str(exc.args[0]), "Run `rnngrade exercises` to list the exercise ids.")
    except ExerciseConfigError as exc:
        _fail(f"exercise configuration: {exc}", "Fix the exercise .toml file named above.")
    render_terminal(result, verbose=verbose)
    if json_path:
        write_text_atomic(json_path, result.to_json())
        click.echo(f"JSON results: {json_path}")
    if not no_html:
        from .render.html import write_html

        write_html(result, html_path)
        click.echo(f"HTML report: {html_path.resolve()}")
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


if __name__ == "__main__":  # pragma: no cover
    main()
