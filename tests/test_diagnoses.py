"""Named diagnoses: every catalogue id is given to two independently written buggy submissions,
never to a correct one, and its explanation reaches the HTML report."""

import ast
import functools
import tempfile
from pathlib import Path

import pytest
from markupsafe import escape

from grader.diagnoses.catalogue import CATALOGUE
from grader.diagnoses.docs import render
from grader.engine import grade
from grader.render.html import render_html
from grader.spec import LAYER_BY_FUNCTION
from zoo_helpers import CORRECT, ROOT, ZOO

SNIPPETS = sorted((ZOO / "diagnoses").glob("*.py"))
EXERCISE_OF = {"clip_grad_value": "clipping", "clip_grad_norm": "clipping", "rnn_backward_truncated": "tbptt"}


def _exercises(snippet: Path) -> list[str]:
    """Only the exercises whose functions the snippet redefines: keeps the test fast."""
    names = {n.name for n in ast.parse(snippet.read_text()).body if isinstance(n, ast.FunctionDef)}
    found = {EXERCISE_OF.get(n) or getattr(LAYER_BY_FUNCTION.get(n), "exercise", None) for n in names}
    return sorted(e for e in found if e)


@functools.lru_cache(maxsize=None)
def _grade(snippet: Path):
    path = Path(tempfile.mkdtemp(prefix="diag-")) / "rnn_layers.py"
    path.write_text(CORRECT.read_text() + "\n\n" + snippet.read_text())
    return grade(str(path), _exercises(snippet))


def test_every_catalogue_id_has_two_submissions():
    ids = {p.stem.split("__")[0].replace("_", "-") for p in SNIPPETS}
    assert ids == set(CATALOGUE)
    for bug in CATALOGUE:
        assert len([p for p in SNIPPETS if p.stem.split("__")[0].replace("_", "-") == bug]) >= 2


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[p.stem for p in SNIPPETS])
def test_buggy_submission_gets_exactly_its_diagnosis(snippet):
    want = snippet.stem.split("__")[0].replace("_", "-")
    result = _grade(snippet)
    assert {c.diagnosis.bug for c in result.checks if c.diagnosis} == {want}


@pytest.mark.parametrize("snippet", SNIPPETS[::2], ids=[p.stem for p in SNIPPETS[::2]])
def test_explanation_reaches_the_html_report(snippet):
    want = snippet.stem.split("__")[0].replace("_", "-")
    html = render_html(_grade(snippet))
    entry = CATALOGUE[want]
    assert str(escape(entry.title)) in html
    assert str(escape(entry.explanation)) in html


@pytest.mark.parametrize("path", ["examples/correct/rnn_layers.py", "tests/zoo/alt_style_correct.py"])
@pytest.mark.parametrize("seed", [3, 77])
def test_correct_submissions_get_no_diagnosis(path, seed):
    result = grade(str(ROOT / path), seed=seed)
    assert [c.id for c in result.checks if c.diagnosis] == []
    assert result.score == result.max_score


def test_convention_diagnoses_name_the_convention():
    for bug, names in {"lstm-gate-order": ["PyTorch"], "gru-reset-after": ["PyTorch", "Keras"],
                       "gru-update-swapped": ["Coursera", "Chung"]}.items():
        text = CATALOGUE[bug].explanation
        assert "real convention" in text and all(n in text for n in names)
        assert "This exercise follows" in text or "This exercise" in text


def test_diagnosis_carries_evidence():
    result = _grade(ZOO / "diagnoses" / "no_bptt_carry__a.py")
    d = next(c.diagnosis for c in result.checks if c.diagnosis)
    assert d.title == "No gradient carried between time steps"
    assert "no gradient carried between steps" in d.evidence and "Fix:" in d.explanation


def test_docs_page_is_generated_from_the_catalogue():
    assert (ROOT / "docs" / "diagnoses.md").read_text() == render(), "run: python -m grader.diagnoses.docs > docs/diagnoses.md"
