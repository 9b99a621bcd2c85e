"""``python -m grader`` is the same as the ``rnngrade`` command."""

from .cli import run

run()
