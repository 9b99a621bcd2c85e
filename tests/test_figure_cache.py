"""The on-disk figure cache of ``rnngrade check`` (grader/render/figure_cache.py): a re-run draws
nothing that came out the same, and nothing read back from the folder can put script in a report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.engine import grade
from grader.render import figure_cache, plots
from grader.render.html import render_html

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def result():
    """Decay, clipping and training figures (dynamics) and error maps (a wrong backward)."""
    return grade(str(ROOT / "examples" / "bptt_bug" / "rnn_layers.py"), ["rnn", "dynamics", "training"])


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("RNNGRADE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("RNNGRADE_FIGURE_CACHE", raising=False)
    figure_cache.enable()
    yield tmp_path / "figures"
    figure_cache.enable(False)


def _figures(html: str) -> list[str]:
    return [s for s in re.findall(r"<svg.*?</svg>", html, re.S) if "aria-label" in s[:300] and len(s) > 3000]


def _no_matplotlib(monkeypatch):
    def refuse():
        raise AssertionError("a figure was drawn although it was in the cache")

    monkeypatch.setattr(plots, "_mpl", refuse)


def test_a_second_render_draws_nothing_and_gives_the_same_bytes(result, cache, monkeypatch):
    first = render_html(result)
    stored = sorted(cache.glob("*.svg"))
    assert len(stored) == len(_figures(first)) >= 4
    _no_matplotlib(monkeypatch)
    assert render_html(result) == first


def test_every_figure_matplotlib_draws_passes_the_check(result):
    figures = _figures(render_html(result))
    figures.append(plots.error_per_gate_svg({"i": 1e-9, "f": 0.3, "o": 0.0, "g": 2e-3}))
    assert len(figures) >= 5 and all(figure_cache.safe_svg(f) for f in figures)


def test_a_tampered_entry_is_drawn_again_and_replaced(result, cache, monkeypatch):
    clean = render_html(result)
    victim = sorted(cache.glob("*.svg"))[0]
    victim.write_text('<svg><g onload="alert(1)"></g></svg>')
    assert render_html(result) == clean
    assert figure_cache.safe_svg(victim.read_text())


def test_off_unless_enabled_or_when_the_variable_says_so(result, tmp_path, monkeypatch):
    monkeypatch.setenv("RNNGRADE_CACHE_DIR", str(tmp_path))
    figure_cache.enable(False)
    render_html(result)  # library calls and bulk grading never enable it
    figure_cache.enable()
    monkeypatch.setenv("RNNGRADE_FIGURE_CACHE", "0")
    try:
        render_html(result)
    finally:
        figure_cache.enable(False)
    assert not (tmp_path / "figures").exists()


def test_the_folder_is_kept_small(cache, monkeypatch):
    monkeypatch.setattr(figure_cache, "MAX_ENTRIES", 8)
    for i in range(20):
        figure_cache.put(f"key {i}", "<svg></svg>")
    assert 0 < len(list(cache.glob("*.svg"))) <= 8
    assert figure_cache.get("key 19") == "<svg></svg>"  # the newest are kept
    assert not list(cache.glob(".tmp-*"))


SVG = '<svg width="10pt" height="10pt" viewBox="0 0 10 10" version="1.1"><g id="a"><path d="M 0 0 L 1 1" ' \
      'style="fill: none; stroke: #0072b2"/><use href="#a" x="1" y="2"/><text>10⁻⁶ &amp; α</text></g></svg>'


@pytest.mark.parametrize("bad", [
    SVG.replace("<path", "<script>alert(1)</script><path"),
    SVG.replace('<g id="a">', '<g id="a" onload="alert(1)">'),
    SVG.replace('<g id="a">', '<g id="a" ONCLICK="x()">'),
    SVG.replace('href="#a"', 'href="javascript:alert(1)"'),
    SVG.replace('href="#a"', 'href="https://example.org/x.svg#a"'),
    SVG.replace('stroke: #0072b2', 'stroke: url(https://example.org/track)'),
    SVG.replace("<text>", "<!-- </svg><script>alert(1)</script> --><text>"),
    SVG.replace("<text>", "<?x </svg><script>alert(1)</script>?><text>"),
    SVG.replace("<text>", "<text><![CDATA[</svg><script>alert(1)</script>]]>"),
    SVG.replace("<text>", "<foreignObject><div>x</div></foreignObject><text>"),
    SVG.replace("<text>", "<title><img src=x></title><text>"),
    SVG.replace("<text>", "<a href=\"#a\"><text>").replace("</text>", "</text></a>"),
    SVG.replace("&amp;", "&nbsp;"),
    SVG.replace("</g></svg>", "</svg>"),
    SVG + "<script>alert(1)</script>",
    SVG + SVG,
    "<p>" + SVG + "</p>",
    SVG.replace("<svg ", "<svg onload='x' "),
    "",
])
def test_anything_outside_matplotlibs_vocabulary_is_refused(bad):
    assert figure_cache.safe_svg(SVG)
    assert not figure_cache.safe_svg(bad)
