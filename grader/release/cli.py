"""``rnngrade release DEST`` (registered in grader/cli.py; imports click only until it runs)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("release")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace DEST if it exists and is not empty.")
def release(dest: Path, force: bool) -> None:
    """Write the student release to DEST: the starter (.py and .ipynb), exercise READMEs and a
    grader that runs the public checks only (no reference code, no hidden seed).

    \b
    Example:
      rnngrade release handout/
      cd handout && pip install -e . && rnngrade check rnn_layers.py
    """
    from .build import ReleaseError, build_release

    try:
        files = build_release(dest, force=force)
    except ReleaseError as exc:
        click.echo(f"error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(2)
    click.echo(f"wrote {len(files)} files to {dest} (scanned: no reference code, no hidden seed)")
    for name in ("README.md", "rnn_layers.py", "rnn_layers.ipynb"):
        click.echo(f"  {dest / name}")
