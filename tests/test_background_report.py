"""The HTML report rendered by a background process (grader/render/background.py) is the same
report, complete when the command returns; a failing or missing renderer falls back to rendering
in-process, and a cancelled one writes nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.render import background, plots
from grader.render.html import render_html
from grader.results import GradeResult

ROOT = Path(__file__).resolve().parent.parent
CORRECT = ROOT / "examples" / "correct" / "rnn_layers.py"


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """A full result with figures, from the command itself (so the renderer runs forked, single-threaded)."""
    tmp = tmp_path_factory.mktemp("report")
    env = dict(os.environ)
    env.pop("RNNGRADE_INLINE_REPORT", None)
    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(CORRECT), "--isolation", "process",
                           "--json", "r.json", "--html", "r.html"], cwd=tmp, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return tmp


def test_the_command_writes_the_same_report_as_an_in_process_render(result):
    data = json.loads((result / "r.json").read_text())
    assert (result / "r.html").read_text() == render_html(GradeResult.from_dict(data))
    assert not list(result.glob(".r.html.*"))  # no temporary file left behind


def test_figures_drawn_in_parts_are_the_figures_drawn_at_once(result):
    r = GradeResult.from_dict(json.loads((result / "r.json").read_text()))
    done = {**background._figures(r, 0, 2), **background._figures(r, 1, 2)}
    assert len(done) >= 5
    expected = render_html(r)
    with plots.precomputed(done):
        assert render_html(r) == expected


def test_forked_renderer_falls_back_and_cancels(tmp_path, monkeypatch, result):
    monkeypatch.delenv("RNNGRADE_INLINE_REPORT", raising=False)
    r = GradeResult.from_dict(json.loads((result / "r.json").read_text()))
    monkeypatch.setattr(background.threading, "active_count", lambda: 1)  # fork even under pytest-xdist
    # a renderer that dies: the parent renders the report itself
    monkeypatch.setattr(background, "_child", lambda fd, path: os._exit(1))
    report = background.BackgroundReport.start(tmp_path / "a.html")
    assert report.pid is not None
    report.submit(r)
    assert report.finish(r) == tmp_path / "a.html"
    assert (tmp_path / "a.html").read_text() == render_html(r)
    # cancelled: nothing is written and the renderer is gone
    monkeypatch.setattr(background, "_child", lambda fd, path: (os.read(fd, 1), 0)[1])
    report = background.BackgroundReport.start(tmp_path / "b.html")
    pid = report.pid
    report.cancel()
    assert not (tmp_path / "b.html").exists()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_inline_when_asked(tmp_path, monkeypatch, result):
    monkeypatch.setenv("RNNGRADE_INLINE_REPORT", "1")
    r = GradeResult.from_dict(json.loads((result / "r.json").read_text()))
    report = background.BackgroundReport.start(tmp_path / "c.html")
    assert report.pid is None
    report.finish(r)
    assert (tmp_path / "c.html").read_text() == render_html(r)
