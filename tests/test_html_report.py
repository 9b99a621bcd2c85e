"""The HTML report: one self-contained, escaped, deterministic file, written all or nothing."""

from __future__ import annotations

import ast
import copy
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader.engine import grade
from grader.render import html as html_mod
from grader.render.html import render_html, write_html
from grader.render.output import write_text_atomic
from grader.results import Diagnosis, Frame, GradeResult, LoadNote

ROOT = Path(__file__).resolve().parent.parent
CORRECT = ROOT / "examples" / "correct" / "rnn_layers.py"
BUGS = ROOT / "tests" / "zoo" / "bugs"
EVIL = "<script>alert(1)</script>"
EVIL_RAISE = '''
def clip_grad_norm(grads, max_norm):
    raise RuntimeError("<script>alert(2)</script> & <b>bold</b>")
'''


@pytest.fixture(scope="module")
def ok_result() -> GradeResult:
    return grade(str(CORRECT))


@pytest.fixture(scope="module")
def bad_result(tmp_path_factory) -> GradeResult:
    parts = [CORRECT.read_text()] + [(BUGS / f"{b}.py").read_text()
                                     for b in ("no_bptt_carry_rnn", "raises_in_call", "lstm_gate_order_ifgo")]
    path = tmp_path_factory.mktemp("bad") / "rnn_layers.py"
    path.write_text("\n\n".join(parts) + EVIL_RAISE + f"\nprint({EVIL!r})\n")
    return grade(str(path))


@pytest.fixture(scope="module")
def ok_html(ok_result) -> str:
    return render_html(ok_result)


@pytest.fixture(scope="module")
def bad_html(bad_result) -> str:
    return render_html(bad_result)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def text_of(html: str) -> str:
    """What a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    p = _Text()
    p.feed(html)
    return squash("".join(p.parts))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def check_block(html: str, check_id: str) -> str:
    start = html.index(f'id="check-{check_id}"')
    end = html.find('<details class="check', start)
    return html[start:end if end > 0 else len(html)]


def score_text(result: GradeResult) -> str:
    return f"{html_mod.fmt_points(result.score)} / {html_mod.fmt_points(result.max_score)}"


# ---------------------------------------------------------------- content


def test_correct_report_shows_full_score_and_every_check(ok_result, ok_html):
    assert ok_result.all_passed
    text = text_of(ok_html)
    assert score_text(ok_result) in text and "100%" in text
    for c in ok_result.checks:
        assert c.id in text
    assert "Needs attention" not in text
    assert f"All {len(ok_result.checks)} checks passed." in text


def test_buggy_report_shows_score_ids_messages_and_hints(bad_result, bad_html):
    text = text_of(bad_html)
    assert score_text(bad_result) in text
    for c in bad_result.checks:
        assert c.id in text
    failed = next(c for c in bad_result.checks if c.id == "rnn.rnn_backward.matches_reference")
    assert failed.status == "failed" and failed.hint
    block = text_of(check_block(bad_html, failed.id))
    assert squash(failed.message) in block
    assert f"Hint: {failed.hint}" in block
    assert f"What was called {failed.call}" in block
    counts = {s: sum(c.status == s for c in bad_result.checks) for s in ("passed", "failed", "error", "skipped")}
    for status, n in counts.items():
        assert f"{n} {status}" in text


def test_failed_checks_open_passed_checks_collapsed(bad_result, bad_html):
    for c in bad_result.checks:
        tag = re.search(rf'<details class="check s-{c.status}" id="check-{re.escape(c.id)}"( open)?>', bad_html)
        assert tag, c.id
        assert bool(tag.group(1)) == (c.status in ("failed", "error", "timeout")), c.id


def test_failed_gradient_check_draws_error_map_steps_and_traceback(bad_result, bad_html):
    check = next(c for c in bad_result.checks if c.id == "rnn.rnn_backward.matches_reference")
    em = check.metrics["error_map"]
    block = check_block(bad_html, check.id)
    start = block.index('<svg width=')
    svg = block[start:block.index("</svg>", start)]
    assert 'role="img"' in svg and 'aria-label="Error map of dx' in svg
    assert svg.count("<rect") == sum(len(r) for r in em["values"])
    assert f">{em['rows']}</text>" in svg and f">{em['cols']}</text>" in svg
    text = text_of(block)
    assert "Error map of dx" in text and "right (≤ 1e-06)" in text
    assert "lag 0 = last step" in text and "Right at t = 4" in text
    assert "relative error 0.594" in text
    raised = next(c for c in bad_result.checks if c.id == "rnn.rnn_step_backward.matches_reference")
    assert raised.status == "error" and raised.traceback
    tb = text_of(check_block(bad_html, raised.id))
    last = raised.traceback[-1]
    assert f"{last.file}, line {last.line}, in {last.func} ← raised here" in tb
    assert squash(last.code.strip()) in tb
    repeat = next(c for c in bad_result.checks if c.id == "rnn.rnn_step_backward.matches_fd")
    assert (repeat.status, repeat.message, repeat.traceback) == (raised.status, raised.message, raised.traceback)
    block = text_of(check_block(bad_html, repeat.id))
    assert squash(repeat.message) in block and f"Raised the same error as {raised.id}" in block
    assert "Where in your code" not in block


# ---------------------------------------------------------------- safety


def test_student_text_is_escaped(bad_result, bad_html):
    assert EVIL in bad_result.output
    assert "<script" not in bad_html.lower()  # the report has no scripts of its own either
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in bad_html
    raised = next(c for c in bad_result.checks if c.id.startswith("clipping.clip_grad_norm.") and c.status == "error")
    assert "<script>alert(2)</script>" in raised.message
    assert "&lt;script&gt;alert(2)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in bad_html
    assert "<b>bold</b>" not in bad_html


def test_report_is_self_contained(ok_html, bad_html):
    for html in (ok_html, bad_html):
        assert not re.search(r"https?:", html, re.I)
        # url(#id) is a reference inside the page (a matplotlib figure's clip path), not a resource
        assert not re.search(r"\b(src|srcset|action)\s*=|<link\b|@import|url\((?!#)|<iframe|<object|<embed", html, re.I)
        assert '<meta name="viewport"' in html and "<style>" in html


def test_rendering_is_deterministic(bad_result, bad_html):
    assert render_html(bad_result) == bad_html
    assert render_html(GradeResult.from_dict(bad_result.to_dict())) == bad_html


def test_every_field_is_escaped_and_unknown_metrics_do_not_break(bad_result):
    r = copy.deepcopy(bad_result)
    r.submission.path = f"/tmp/{EVIL}/rnn_layers.py"
    r.load_problems = [LoadNote(code="py2-print", fatal=False, message=f"print statement {EVIL}", hint="use print()",
                                file="rnn_layers.py", line=12)]
    c = r.checks[0]
    c.status, c.message, c.hint, c.call = "timeout", f"msg {EVIL}", f"hint {EVIL}", f"call {EVIL}"
    c.traceback = [Frame(file=f"{EVIL}.py", line=3, func=EVIL, code=f"x = '{EVIL}'")]
    c.diagnosis = Diagnosis(bug="no_carry", title=EVIL, explanation=EVIL, evidence=EVIL)
    c.metrics = {
        "rel_error": float("nan"), "tolerance": 1e-7, "worst_index": [1, EVIL], "array": EVIL,
        "mutated_inputs": [EVIL], "error_per_gate": {"i": 0.0, "f": 0.5, EVIL: None},
        "error_map": {"array": EVIL, "rows": EVIL, "cols": EVIL, "shape": [EVIL], "values": [[0.1, None], [0.0]]},
        "error_per_step": [0.3, None, 0.0], "first_wrong_lag": 5, "probes": {EVIL: {"numeric": 1}, "x": 3},
        EVIL: {EVIL: [EVIL]}, "nested": {"a": {"b": [1, 2]}}, "many": list(range(100)), "obj": object(),
    }
    passed = next(x for x in r.checks[1:] if x.status == "passed")
    passed.diagnosis = {"bug": "b", "title": "dict diagnosis", "explanation": "", "evidence": ""}
    passed.metrics["mutated_inputs"] = [EVIL, "dh"]
    html = render_html(r)
    assert "<script" not in html.lower()
    text = text_of(html)
    for visible in ("Problems found in your file", "rnn_layers.py:12", "Likely bug", "dict diagnosis",
                    "changed this input in place", "Largest error per gate block", "forget", "Finite-difference probes",
                    "(tolerance 1e-07)", "(100 items)", "timeout", f"Note: changes {EVIL}, dh in place"):
        assert visible in text, visible
    empty = copy.deepcopy(bad_result)
    empty.exercises, empty.output, empty.max_score, empty.score = [], "", 0.0, 0.0
    assert "No checks ran" in text_of(render_html(empty))


def test_renderer_imports_only_results():
    for name in ("html.py", "output.py", "__init__.py", "figures.py", "plots.py", "figure_cache.py"):
        tree = ast.parse((ROOT / "grader" / "render" / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                modules = [node.module] if node.module else [a.name for a in node.names]
                assert set(modules) <= {"output", "figures", "plots", "figure_cache"}, (name, node.module)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                for m in mods:
                    assert m.split(".")[0] != "grader" or m == "grader.results", (name, m)


# ---------------------------------------------------------------- writing


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_text_atomic_creates_parents_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a" / "b" / "report.html"
    assert write_text_atomic(target, "one") == target
    write_text_atomic(str(target), "two ✓")
    assert target.read_text(encoding="utf-8") == "two ✓"
    assert _leftovers(target.parent) == []


def test_write_text_atomic_keeps_old_file_when_replace_fails(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("old good report")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(target, "new report")
    assert target.read_text() == "old good report"
    assert _leftovers(tmp_path) == []
    with pytest.raises(TypeError, match="Expected text to be str"):
        write_text_atomic(target, b"bytes")
    assert target.read_text() == "old good report" and _leftovers(tmp_path) == []


def test_write_html_keeps_old_report_when_rendering_fails(tmp_path, bad_result, monkeypatch):
    target = tmp_path / "report.html"
    write_html(bad_result, target)
    good = target.read_text(encoding="utf-8")
    assert good == render_html(bad_result)
    with pytest.raises(AttributeError):
        write_html(object(), target)

    def broken_view(result):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(html_mod, "report_view", broken_view)
    with pytest.raises(RuntimeError, match="template exploded"):
        write_html(bad_result, target)
    assert target.read_text(encoding="utf-8") == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


# ---------------------------------------------------------------- in a real browser

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", "--hide-scrollbars"]


def _chromium(exe: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    return subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=60)


def _console_errors(stderr: str) -> list[str]:
    """Chromium logs every console message and uncaught exception as an ``INFO:CONSOLE`` line."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@pytest.mark.browser
def test_report_renders_in_chromium(tmp_path, bad_result):
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("chromium is not installed")
    # first make sure this harness notices a broken page at all
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><p>x</p><script>notDefined();</script>")
    run = _chromium(exe, tmp_path, "--dump-dom", broken.as_uri())
    assert any("Uncaught ReferenceError" in line for line in _console_errors(run.stderr)), run.stderr[-2000:]

    report = write_html(bad_result, tmp_path / "report.html")
    run = _chromium(exe, tmp_path, "--dump-dom", report.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    assert _console_errors(run.stderr) == []
    dom = text_of(run.stdout)
    assert score_text(bad_result) in dom
    for c in bad_result.checks:
        assert c.id in dom

    shot = tmp_path / "phone.png"
    run = _chromium(exe, tmp_path, "--window-size=390,2000", f"--screenshot={shot}", report.as_uri())
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    assert _png_size(shot) == (390, 2000)
    assert _console_errors(run.stderr) == []
