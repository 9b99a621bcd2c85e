"""Generate docs/diagnoses.md from the catalogue: ``python -m grader.diagnoses.docs > docs/diagnoses.md``."""

from __future__ import annotations

from .catalogue import CATALOGUE

HEADER = """# Named diagnoses

Generated from `grader/diagnoses/catalogue.py` by `python -m grader.diagnoses.docs`; a test fails
when this page is stale. When a check fails and the evidence fits one of these mistakes, the
check's `diagnosis` is `{bug, title, explanation, evidence}` and the report shows it. The evidence
is strict: the student's numbers must equal (to 1e-6 relative) what a *mutant* of the reference
that makes exactly that mistake computes on the same inputs, or a precise signature must hold
(dh0 all zeros while the rest is right; a weight gradient equal to the expected one transposed;
a bias gradient equal to the mean; float32 dtypes; a property that fails only in the way the
mistake predicts). Correct submissions never get a diagnosis (tested over several seeds), and
each entry is tested with two independently written buggy submissions (`tests/zoo/diagnoses/`).

## Adding an entry
1. Add an `Entry(id, title, explanation, fix)` to `grader/diagnoses/catalogue.py`.
2. Add its evidence to `grader/diagnoses/detect.py`: usually a mutant in `mutants.py` (the
   reference with exactly that mistake) yielded from `_forward_candidates` or
   `_backward_candidates`, or a signature in `_signature`; for behaviours, a property check that
   raises `PropertyFailed(..., bug=<id>)`.
3. Write two buggy submissions `tests/zoo/diagnoses/<id>__a.py` and `__b.py` (snippets appended to
   `examples/correct/rnn_layers.py`); `tests/test_diagnoses.py` picks them up automatically.
4. Regenerate this page.

## The catalogue
"""


def render() -> str:
    parts = [HEADER]
    for e in CATALOGUE.values():
        parts.append(f"\n### `{e.id}`: {e.title}\n\n{e.explanation}\n\n**Fix:** {e.fix}\n")
    return "".join(parts)


if __name__ == "__main__":
    print(render(), end="")
