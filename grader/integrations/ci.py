"""CI outputs of ``rnngrade check``: JUnit XML, and on GitHub Actions a job summary and annotations.

The renderers (``grader.render.junit``, ``grader.render.github``) are pure; this module decides
whether GitHub mode is on, reads ``GITHUB_STEP_SUMMARY`` / ``GITHUB_WORKSPACE`` and writes. While
the terminal summary is printed, workflow commands are switched off with ``::stop-commands::``
and a random token, so text from a submission (an exception message, say) that happens to look
like ``::set-output ...`` or ``::error ...`` is printed and never executed by the runner.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path

import click

from ..results import GradeResult

__all__ = ["github_enabled", "ci_outputs", "write_github"]


def github_enabled(flag: bool | None, environ=None) -> bool:
    """``--github/--no-github`` when given, else whether we run on GitHub Actions."""
    environ = os.environ if environ is None else environ
    return flag if flag is not None else environ.get("GITHUB_ACTIONS") == "true"


@contextmanager
def ci_outputs(result: GradeResult, submission: str | os.PathLike, junit_path: Path | None, github: bool | None):
    """Wrap the terminal summary; afterwards write JUnit XML and the GitHub outputs."""
    on = github_enabled(github)
    token = secrets.token_hex(16) if on else None
    if token:
        click.echo(f"::stop-commands::{token}")
    try:
        yield
    finally:
        if token:
            click.echo(f"::{token}::")
    if junit_path:
        from ..render.junit import write_junit

        write_junit(result, junit_path)
        click.echo(f"JUnit XML: {junit_path}")
    if on:
        write_github(result, str(submission))


def write_github(result: GradeResult, submission: str, environ=None) -> None:
    """Print the annotations and append the job summary to ``$GITHUB_STEP_SUMMARY``."""
    from ..render.github import job_summary, workflow_commands

    environ = os.environ if environ is None else environ
    for line in workflow_commands(result, submission, environ.get("GITHUB_WORKSPACE") or None):
        click.echo(line)
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if not summary:
        click.echo("note: GITHUB_STEP_SUMMARY is not set, so no job summary was written "
                   "(the annotations are above)", err=True)
        return
    try:
        with open(summary, "a", encoding="utf-8") as f:
            f.write(job_summary(result))
    except OSError as exc:
        click.echo(f"warning: could not append the job summary to {summary}: {exc.strerror or exc}", err=True)
