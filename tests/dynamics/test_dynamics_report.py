"""Figures in the HTML report: matplotlib SVG inline, labelled, deterministic, with the numbers beside them."""

import copy
import json
import re
import subprocess
import sys

import pytest

from grader.render import plots
from grader.render.figures import check_figure, group_figure
from grader.render.html import render_html
from grader.results import GradeResult
from zoo_helpers import ROOT, check

EVIL = "<script>alert(1)</script>"
FIGURE = re.compile(r'<figure class="mpl">(.*?)</figure>', re.S)


@pytest.fixture(scope="module")
def ok(dyn):
    return dyn(path="examples/correct/rnn_layers.py", exercises=("dynamics", "training"))


@pytest.fixture(scope="module")
def ok_html(ok):
    return render_html(ok)


def test_every_dynamics_plot_is_in_the_report_with_its_numbers(ok_html):
    figures = FIGURE.findall(ok_html)
    titles = re.findall(r'<div class="label">([^<]*)</div><figure class="mpl">', ok_html)
    assert titles == ["Gradient norm against lag"] * 3 + ["Clipping by norm: before and after",
                                                          "Clipping by value: direction", "Training curve"]
    for fig in figures:
        svg = fig[:fig.index("</svg>")]
        assert svg.startswith('<svg role="img" aria-label="') and 'focusable="false"' in svg
        assert "<?xml" not in svg and "<!DOCTYPE" not in svg and "<style" not in svg and "<metadata" not in svg
        assert "<script" not in svg.lower() and "<image" not in svg and "href=\"http" not in svg
        assert "Show the numbers" in fig and "<table class=\"nums\">" in fig
    rnn = figures[0]
    for words in ("α = 0.5", "α = 3", "yours", "reference", "bound: slope ln σ_max",
                  "lag k (steps back from the last step, where the loss is)", "mean ‖dx[n, t]‖  (log scale)"):
        assert words in rnn, words
    assert '<th scope="col">α = 0.5: bound</th>' in rnn and '<th scope="col">α = 3: bound</th>' not in rnn
    assert "forget bias 3" in figures[1] and "default init" in figures[2]
    assert "threshold" in figures[3] and "max_norm = 5" in figures[3] and "your clip_grad_value" in figures[4]
    assert "threshold 0.035" in figures[5] and '<th scope="row">validation</th>' in figures[5]


def test_plot_numbers_stay_out_of_the_plain_metric_list(ok_html):
    block = ok_html[ok_html.index('id="check-dynamics.rnn_backward.decay_alpha_0_5"'):]
    block = block[:block.index("</details>")]
    assert "your decay rate b (per step)" in block and "bound ln σ_max(W_h)" in block
    assert "(60 items)" not in block and ">curve<" not in block and ">knob<" not in block


def test_the_report_is_deterministic(ok, ok_html):
    assert render_html(ok) == ok_html
    assert render_html(GradeResult.from_dict(json.loads(ok.to_json()))) == ok_html


def test_plot_labels_never_come_from_the_metrics(ok):
    r = copy.deepcopy(ok)
    for c in r.checks:
        if c.kind in ("dynamics", "training"):
            c.metrics["knob"] = c.metrics["regime"] = EVIL
            for key in ("curve", "clip_curve", "loss_curve"):
                if key in c.metrics:
                    c.metrics[key]["kind"] = EVIL
                    c.metrics[key][EVIL] = [EVIL]
            if "curve" in c.metrics:
                c.metrics["curve"]["yours"][3] = EVIL  # not a number: drawn as a gap
    html = render_html(r)
    assert "<script" not in html.lower() and EVIL not in html
    for fig in FIGURE.findall(html):
        assert "alert" not in fig[:fig.index("</svg>")]


def test_figures_survive_missing_or_malformed_data():
    assert group_figure([]) is None
    assert check_figure({"clip_curve": {"length": "x"}}, "dynamics") is None
    assert check_figure({"loss_curve": {}}, "training") is None
    assert check_figure({"loss_curve": {"yours": [0.3, None, 0.1]}}, "dynamics") is None
    assert plots.decay_svg([{"lag": []}]) is None
    assert plots.error_per_step_svg([]) is None and plots.error_per_gate_svg({"?": 1.0}) is None
    svg = plots.loss_svg({"yours": [0.3, float("nan"), 0.1]}, threshold="x")
    assert svg.startswith('<svg role="img"')


def test_localisation_pictures_are_drawn_with_matplotlib_and_keep_their_tables(dyn):
    result = dyn("no_bptt_carry_rnn", exercises=("rnn",))
    html = render_html(result)
    block = html[html.index('id="check-rnn.rnn_backward.matches_reference"'):]
    block = block[:block.index('<details class="check')]
    assert '<svg role="img" aria-label="Largest error per time step against the lag, log scale: 4 wrong, 1 right.' \
        in block
    assert "lag (steps back from the last step t = T − 1)" in block and "right (≤ 1e-6)" in block
    assert '<th scope="row">lag</th>' in block  # the numbers table is kept
    assert '<svg width=' in block  # and so is the hand-drawn heatmap


def test_gate_bars_use_only_the_known_gate_names():
    svg = plots.error_per_gate_svg({"i": 0.0, "f": 0.5, "o": None, EVIL: 1.0})
    assert "input" in svg and "forget" in svg and "output" in svg and "alert" not in svg
    assert 'aria-label="Largest error per gate block, log scale: i (input): 0; f (forget): 0.5; o (output): not ' \
           'finite. Dashed line: 1e-6."' in svg


def test_matplotlib_is_imported_only_when_a_figure_is_drawn(tmp_path):
    code = (
        "import sys; from grader.engine import grade; from grader.render.html import render_html\n"
        f"r = grade({str(ROOT / 'examples' / 'correct' / 'rnn_layers.py')!r}, ['clipping'])\n"
        "render_html(r); print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


def test_results_json_has_the_documented_metrics(ok):
    data = json.loads(ok.to_json())
    checks = {c["id"]: c for e in data["exercises"] for c in e["checks"]}
    m = checks["dynamics.rnn_backward.decay_alpha_0_5"]["metrics"]
    assert {"decay_rate", "reference_decay_rate", "rho", "half_life", "bound"} <= set(m)
    assert len(m["curve"]["lag"]) == len(m["curve"]["yours"]) == len(m["curve"]["reference"]) <= 80
    t = checks["training.rnn_backward.sine_wave_next_value"]["metrics"]
    assert {"final_train_loss", "val_rmse", "threshold"} <= set(t)
    assert check(ok, "dynamics.rnn_backward.decay_alpha_0_5").kind == "dynamics"
    assert check(ok, "training.rnn_backward.sine_wave_next_value").kind == "training"
    assert len(ok.to_json()) < 120_000
