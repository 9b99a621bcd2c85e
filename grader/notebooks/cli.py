"""``rnngrade build-notebooks`` (registered in grader/cli.py; imports click only until it runs)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("build-notebooks")
@click.option("--check", "check_only", is_flag=True, help="Only check: exit 1 if the notebook is stale.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the notebook [default: exercises/rnn_layers.ipynb].")
def build_notebooks(check_only: bool, out) -> None:
    """Regenerate the exercise notebook from the starter exercises/rnn_layers.py."""
    from .build import build

    path, fresh = build(out, check=check_only)
    if check_only:
        if fresh:
            click.echo(f"{path} is up to date")
            return
        click.echo(f"error: {path} is stale (or missing): run `rnngrade build-notebooks`", err=True)
        sys.exit(1)
    click.echo(f"{path} {'is up to date' if fresh else 'written'}")
