"""Jupyter notebooks: graded without a kernel, built from the starter, checked from inside.

- ``read``: ``.ipynb`` bytes -> cells (JSON only; nbformat 3 converted; size and depth capped);
- ``extract``: cells -> the one module the worker imports, and a map back to "cell N, line M";
- ``submission``: a notebook as a ``grader.loader.Submission`` (the loader calls it);
- ``build``: the exercise notebook generated from ``exercises/rnn_layers.py``;
- ``selfcheck``: ``grader.check(...)``, the in-notebook self-check.

Nothing here runs notebook code; see docs/notebooks.md.
"""
