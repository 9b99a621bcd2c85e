"""Student releases: what an instructor hands out, and the public checks that run inside it.

``rnngrade release DEST`` (``build.py``) writes a bundle with the starter (``.py`` and ``.ipynb``),
exercise READMEs and a copy of the grader that has no reference code, no mutants and no hidden
seed. Inside a bundle (``bundle.json`` beside this file) every grading runs in public mode
(``public.py``): only the checks that need no reference. See docs/release.md.

Importing this package is cheap (the engine asks ``is_release()`` on every run).
"""

from __future__ import annotations

from pathlib import Path

MARKER = Path(__file__).with_name("bundle.json")  # written only into a release bundle, never in the repository
PUBLIC_SEED = 0  # the seed of public runs: nothing about it is secret


def is_release() -> bool:
    """True inside a student release bundle: there is no reference, so only public checks can run."""
    return MARKER.is_file()
