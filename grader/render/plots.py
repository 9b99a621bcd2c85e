"""Figures for the HTML report, drawn with matplotlib as inline SVG strings.

Every function takes plain numbers (lists and floats that the checks stored in
``CheckResult.metrics``) and returns one ``<svg>`` element as a string: no XML header, no
scripts, no fonts or images (``svg.fonttype = 'none'`` keeps text as text), and the same bytes
for the same numbers (``svg.hashsalt`` is fixed and no date is written). Labels are built here
from numbers and fixed words only, never from text a submission could control, so the report
may insert the result unescaped. matplotlib is imported on first use: a report without figures
never loads it.

Colours are the Okabe-Ito palette (distinguishable with every common colour-vision deficiency),
and no series is told apart by colour alone: yours vs the reference also differ in line width
and style, right vs wrong in marker shape.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
from functools import lru_cache
from grader.results import finite_or_none

from . import figure_cache

__all__ = ["decay_svg", "clip_norm_svg", "clip_value_svg", "loss_svg", "error_per_step_svg",
           "error_per_gate_svg"]

BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, GREY = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                                                       "#56B4E9", "#5f6b7a")
REGIME_COLOURS = (BLUE, VERMILLION, GREEN, PURPLE)
INK = "#1f2933"
WRONG = 1e-6  # a scaled error above this is wrong (as in html.py)
FLOOR = 1e-17  # errors of exactly 0 are drawn here on a log axis
GATE_NAMES = {"i": "input", "f": "forget", "o": "output", "g": "candidate", "r": "reset", "z": "update",
              "n": "candidate"}
_RC = {
    "svg.fonttype": "none", "svg.hashsalt": "rnngrade", "font.size": 9, "font.family": "DejaVu Sans",
    "axes.edgecolor": "#9aa5b1", "axes.labelcolor": INK, "text.color": INK, "xtick.color": INK,
    "ytick.color": INK, "axes.grid": True, "grid.color": "#e3e7ec", "grid.linewidth": 0.6,
    "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False, "legend.fontsize": 8, "legend.labelcolor": INK,
    "lines.linewidth": 1.4, "path.simplify": True, "axes.unicode_minus": True, "axes.axisbelow": True,
}


@lru_cache(maxsize=1)
def _mpl():
    """matplotlib's Figure and SVG canvas, imported once, on first use (Agg-free: no pyplot, no GUI)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    return matplotlib, Figure, FigureCanvasSVG, Line2D, FixedLocator, FuncFormatter, MaxNLocator


# Drawing several figures in parallel (grader/render/background.py): ``collect`` runs a function with every
# figure call recorded instead of drawn, ``draw`` draws one recorded call, and inside ``precomputed`` a
# figure call whose exact arguments were drawn already returns that SVG (the same bytes: drawing is
# deterministic). Outside those, figure functions draw as always.
_collecting: list | None = None
_done: dict | None = None
_DRAWERS: dict = {}


def _key(name: str, args, kwargs) -> str | None:
    try:
        return name + json.dumps([args, kwargs], sort_keys=True)
    except (TypeError, ValueError):
        return None


def collect(fn) -> list:
    """The figure calls ``fn()`` makes, in order, as (name, args, kwargs), without drawing any."""
    global _collecting
    _collecting = []
    try:
        fn()
        return _collecting
    finally:
        _collecting = None


def draw(call) -> tuple[str | None, str | None]:
    """(key, SVG or None) of one collected call."""
    name, args, kwargs = call
    return _key(name, args, kwargs), _DRAWERS[name](*args, **kwargs)


class precomputed:
    """``with precomputed({key: svg}):`` figure calls with these exact arguments return the stored SVG."""

    def __init__(self, done: dict):
        self.done = done

    def __enter__(self):
        global _done
        _done = self.done

    def __exit__(self, *exc):
        global _done
        _done = None


def _styled(draw):
    """Run a drawing function inside the report's matplotlib style (never the global rcParams)."""

    def styled(*args, **kwargs):
        key = _key(draw.__name__, args, kwargs) if figure_cache.directory() is not None else None
        cached = figure_cache.get(key) if key is not None else None
        if cached is not None:
            return cached
        matplotlib = _mpl()[0]
        with matplotlib.rc_context(_RC):
            svg = draw(*args, **kwargs)
        if key is not None and svg is not None:
            figure_cache.put(key, svg)
        return svg

    def wrapper(*args, **kwargs):
        if _collecting is not None:
            _collecting.append((draw.__name__, args, kwargs))
            return ""  # a placeholder: the caller only builds its view
        if _done is not None:
            key = _key(draw.__name__, args, kwargs)
            if key is not None and key in _done:
                return _done[key]
        return styled(*args, **kwargs)

    wrapper.__name__, wrapper.__doc__ = draw.__name__, draw.__doc__
    _DRAWERS[draw.__name__] = styled
    return wrapper


def _legend_right(ax, **kwargs) -> None:
    """The legend outside the axes, on the right, so it never covers a curve."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, **kwargs)


def _nums(values) -> list:
    return [finite_or_none(v) for v in values] if isinstance(values, (list, tuple)) else []


def _figure(width: float = 7.0, height: float = 3.0):
    _, Figure, *_ = _mpl()
    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


def _svg(fig, label: str) -> str:
    """The figure as one <svg> element, labelled for screen readers, without header or stylesheet."""
    _, _, FigureCanvasSVG, *_ = _mpl()
    buf = io.StringIO()
    FigureCanvasSVG(fig).print_svg(buf, metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # drops <?xml ...?> and <!DOCTYPE ...>
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r"<style[^>]*>.*?</style>\s*", "", text, flags=re.S)  # would style the whole report
    text = re.sub(r"<defs>\s*</defs>\s*", "", text)
    text = _local_ids(text)
    # DejaVu Sans measured the text; readers without it get a sans-serif of theirs, not a serif default
    text = re.sub(r"font-family: 'DejaVu Sans'(?=[;\"])", "font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif",
                  text)
    label = _escape(label)
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" focusable="false" ', 1).strip() + "\n"


def _local_ids(text: str) -> str:
    """Fit for inlining: no namespace URLs (HTML knows SVG), plain href, and ids unique to this figure.

    matplotlib names every group (figure_1, axes_1, ...) the same in each figure and derives clip-path and
    marker ids from their content; several figures in one page would repeat them. Ids nothing refers to are
    dropped; the others get a prefix from a hash of the figure, so the same figure keeps the same bytes.
    """
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)
    text = text.replace("xlink:href=", "href=")
    used = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', text))
    prefix = "mpl" + hashlib.sha1(text.encode()).hexdigest()[:8] + "-"
    text = re.sub(r'\s+id="([^"]+)"', lambda m: f' id="{prefix}{m.group(1)}"' if m.group(1) in used else "", text)
    return re.sub(r'(url\(#|href="#)([^)"]+)', lambda m: m.group(1) + prefix + m.group(2), text)


def _escape(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def _pow10_axis(ax, lo: float, hi: float) -> None:
    """A linear axis of log10 values labelled as powers of ten (values below 1e-308 stay drawable)."""
    *_, FixedLocator, FuncFormatter, MaxNLocator = _mpl()
    span = max(hi - lo, 1.0)
    step = max(1, math.ceil(span / 6))
    ticks = list(range(math.floor(lo / step) * step, math.ceil(hi / step) * step + 1, step))
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _power_of_ten(10.0 ** v) if -300 < v < 300 else f"1e{int(v)}"))
    ax.set_ylim(lo - 0.05 * span, hi + 0.05 * span)


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _power_of_ten(v: float, _pos=None) -> str:
    """10⁻⁶ as plain text: matplotlib's default log labels are mathtext, whose parser costs ~40 ms a figure."""
    if not v > 0:
        return ""
    e = math.log10(v)
    if abs(e - round(e)) > 1e-9:
        return f"{v:g}"
    return "1" if round(e) == 0 else "10" + str(round(e)).translate(_SUPERSCRIPT)


def _log_y(ax) -> None:
    """A log y axis labelled in plain text (powers of ten; plain numbers on minor ticks of a short range)."""
    from matplotlib.ticker import LogFormatter

    *_, FuncFormatter, _ = _mpl()
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def _plain_log_ticks(ax) -> None:
    """Ticks at 1, 2 and 5 times powers of ten, written as plain numbers (0.02, 0.05, 0.1)."""
    from matplotlib.ticker import LogLocator, NullFormatter

    *_, FuncFormatter, _ = _mpl()
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _segments(xs, ys):
    """Runs of consecutive points with a value (None breaks a line)."""
    run_x, run_y = [], []
    for x, y in zip(xs, ys):
        if y is None:
            if run_x:
                yield run_x, run_y
            run_x, run_y = [], []
        else:
            run_x.append(x)
            run_y.append(y)
    if run_x:
        yield run_x, run_y


# ---------------------------------------------------------------- gradient norm vs lag


def _regime_label(knob, value) -> str:
    v = finite_or_none(value)
    if knob == "alpha" and v is not None:
        return f"α = {v:g}"
    if knob == "forget_bias" and v is not None:
        return f"forget bias {v:g}"
    return "default init"


@_styled
def decay_svg(series: list[dict], title: str = "") -> str | None:
    """Mean ||dx[n, t]|| against the lag, one colour per regime: yours (thin, markers), the reference
    (thick, pale), the bound ln σ_max(W_h) (dotted) where it applies. Values are log10 numbers."""
    series = [s for s in series if isinstance(s, dict) and _nums(s.get("lag"))][:len(REGIME_COLOURS)]
    if not series:
        return None
    fig, ax = _figure(7.0, 3.1)
    _, _, _, Line2D, *_ = _mpl()
    values, zero_lags, parts = [], [], []
    max_lag = 0
    for s, colour in zip(series, REGIME_COLOURS):
        lags = [int(x) for x in _nums(s["lag"]) if x is not None]
        max_lag = max(max_lag, max(lags, default=0))
        ref, yours, bound = _nums(s.get("reference")), _nums(s.get("yours")), _nums(s.get("bound"))
        label = _regime_label(s.get("knob"), s.get("value"))
        for xs, ys in _segments(lags, ref):
            ax.plot(xs, ys, color=colour, lw=4.5, alpha=0.3, solid_capstyle="round")
        for xs, ys in _segments(lags, yours):
            ax.plot(xs, ys, color=colour, lw=1.3, marker="o", ms=2.2, markevery=max(1, len(xs) // 12))
        if bound and finite_or_none(s.get("bound_rate")) is not None and finite_or_none(s.get("bound_rate")) < 0:
            for xs, ys in _segments(lags, bound):
                ax.plot(xs, ys, color=colour, lw=1.1, ls=(0, (1, 2)))
        if any(y is None for y in yours) and any(y is not None for y in yours[:1]):
            zeros = [x for x, y in zip(lags, yours) if y is None]
            zero_lags += [(x, colour) for x in zeros[::max(1, len(zeros) // 30)]]
        values += [v for v in ref + yours if v is not None]
        parts.append(f"{label}: yours from {_fmt10(_first(yours))} to {_fmt10(_last(yours))}, "
                     f"reference from {_fmt10(_first(ref))} to {_fmt10(_last(ref))}")
    lo, hi = (min(values), max(values)) if values else (-1.0, 1.0)
    ref_lo = min([v for s in series for v in _nums(s.get("reference")) if v is not None], default=lo)
    lo = min(lo, ref_lo)
    if zero_lags:  # exactly zero: drawn as crosses along the bottom
        lo -= 0.08 * max(hi - lo, 1.0)
        ax.scatter([x for x, _ in zero_lags], [lo] * len(zero_lags), marker="x", s=14, c=[c for _, c in zero_lags],
                   linewidths=1.0, zorder=3, clip_on=False)
    _pow10_axis(ax, lo, hi)
    ax.set_xlim(-0.5, max_lag + 0.5)
    ax.set_xlabel("lag k (steps back from the last step, where the loss is)")
    ax.set_ylabel("mean ‖dx[n, t]‖  (log scale)")
    handles = [Line2D([], [], color=c, lw=2.5, label=_regime_label(s.get("knob"), s.get("value")))
               for s, c in zip(series, REGIME_COLOURS)]
    handles += [Line2D([], [], color=GREY, lw=1.3, marker="o", ms=2.5, label="yours"),
                Line2D([], [], color=GREY, lw=4.5, alpha=0.3, label="reference")]
    if any(_nums(s.get("bound")) and (finite_or_none(s.get("bound_rate")) or 0) < 0 for s in series):
        handles.append(Line2D([], [], color=GREY, lw=1.1, ls=(0, (1, 2)), label="bound: slope ln σ_max"))
    if zero_lags:
        handles.append(Line2D([], [], color=GREY, lw=0, marker="x", ms=4, label="yours is exactly 0"))
    _legend_right(ax, handles=handles)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    fig.subplots_adjust(left=0.11, right=0.72, top=0.93 if title else 0.97, bottom=0.16)
    return _svg(fig, "Gradient norm against lag, log scale. " + "; ".join(parts) + ".")


def _first(values):
    return next((v for v in values if v is not None), None)


def _last(values):
    return next((v for v in reversed(values) if v is not None), None)


def _fmt10(v) -> str:
    return "no value" if v is None else f"1e{v:.1f}"


# ---------------------------------------------------------------- clipping


@_styled
def clip_norm_svg(curve: dict) -> str | None:
    """Global gradient norm against sequence length: before clipping, after yours, the threshold."""
    lengths, before, after = _nums(curve.get("length")), _nums(curve.get("before")), _nums(curve.get("after"))
    threshold = finite_or_none(curve.get("threshold"))
    if not lengths or len(before) != len(lengths):
        return None
    fig, ax = _figure(7.0, 2.8)
    _log_y(ax)
    ax.plot(lengths, [b if b and b > 0 else None for b in before], color=VERMILLION, lw=1.6, marker="s", ms=3.5,
            label="before clipping\n(the reference's gradient)")
    if len(after) == len(lengths):
        ax.plot(lengths, [a if a and a > 0 else None for a in after], color=BLUE, lw=1.6, marker="o", ms=3.5,
                label="after your\nclip_grad_norm")
    if threshold:
        ax.axhline(threshold, color=INK, lw=0.9, ls="--", label=f"threshold\nmax_norm = {threshold:g}")
    ax.set_xlabel("sequence length L (loss on step L − 1), tanh RNN with W_h = 3·Q")
    ax.set_ylabel("global gradient norm (log scale)")
    _legend_right(ax)
    fig.subplots_adjust(left=0.11, right=0.72, top=0.97, bottom=0.17)
    return _svg(fig, f"Gradient norm against sequence length, log scale: before clipping from {_fmt(before[0])} to "
                     f"{_fmt(before[-1])}; after clipping from {_fmt(_at(after, 0))} to {_fmt(_at(after, -1))}; "
                     f"threshold {_fmt(threshold)}.")


@_styled
def clip_value_svg(curve: dict) -> str | None:
    """Cosine of the clipped with the unclipped gradient against sequence length."""
    lengths, cos = _nums(curve.get("length")), _nums(curve.get("cosine"))
    ref = _nums(curve.get("reference_cosine"))
    if not lengths or len(cos) != len(lengths):
        return None
    fig, ax = _figure(7.0, 2.8)
    ax.axhline(1.0, color=GREEN, lw=1.6, ls="--", label="clip_grad_norm\n(direction kept)")
    if len(ref) == len(lengths):
        ax.plot(lengths, ref, color=ORANGE, lw=4.5, alpha=0.35, label="np.clip (reference)")
    ax.plot(lengths, cos, color=BLUE, lw=1.5, marker="o", ms=3.5, label="your clip_grad_value")
    low = min([c for c in cos + ref if c is not None], default=0.0)
    ax.set_ylim(min(0.0, low - 0.05), 1.05)
    ax.set_xlabel("sequence length L (loss on step L − 1), tanh RNN with W_h = 3·Q")
    ax.set_ylabel("cosine with the unclipped gradient")
    _legend_right(ax)
    fig.subplots_adjust(left=0.11, right=0.72, top=0.97, bottom=0.17)
    return _svg(fig, f"Cosine similarity of the value-clipped and the unclipped gradient against sequence length: "
                     f"from {_fmt(_at(cos, 0))} to {_fmt(_at(cos, -1))}; norm clipping keeps it at 1.")


def _at(values, i):
    try:
        return values[i]
    except IndexError:
        return None


def _fmt(v) -> str:
    v = finite_or_none(v)
    return "no value" if v is None else f"{v:.3g}"


# ---------------------------------------------------------------- training


@_styled
def loss_svg(curve: dict, threshold=None, val_rmse=None, reference_val_rmse=None) -> str | None:
    """Training RMSE per step (sqrt of twice the loss), yours and the reference's, with the threshold."""
    yours, ref = _nums(curve.get("yours")), _nums(curve.get("reference"))
    if not yours and not ref:
        return None
    fig, ax = _figure(7.0, 3.0)
    _log_y(ax)

    def rmse(losses):
        return [math.sqrt(2 * v) if v is not None and v > 0 else None for v in losses]

    if ref:
        ax.plot(range(len(ref)), rmse(ref), color=ORANGE, lw=4.5, alpha=0.4, label="reference,\ntraining batches")
    if yours:
        ax.plot(range(len(yours)), rmse(yours), color=BLUE, lw=1.2, label="yours,\ntraining batches")
    n = max(len(yours), len(ref))
    t = finite_or_none(threshold)
    if t:
        ax.axhline(t, color=INK, lw=0.9, ls="--", label=f"threshold {t:g}\n(validation RMSE)")
    if finite_or_none(reference_val_rmse):
        ax.plot([n], [finite_or_none(reference_val_rmse)], marker="D", ms=6, color=ORANGE, lw=0, label="reference, validation")
    if finite_or_none(val_rmse):
        ax.plot([n], [finite_or_none(val_rmse)], marker="o", ms=6, color=BLUE, lw=0, label="yours, validation")
    ax.set_xlabel("training step (Adam, batch of 64 sine waves)")
    ax.set_ylabel("RMSE of the 51st value (log scale)")
    _plain_log_ticks(ax)
    _legend_right(ax)
    fig.subplots_adjust(left=0.11, right=0.72, top=0.97, bottom=0.16)
    return _svg(fig, f"Training RMSE per step, log scale: yours from {_fmt(_at(rmse(yours), 0))} to "
                     f"{_fmt(_at(rmse(yours), -1))}, the reference's from {_fmt(_at(rmse(ref), 0))} to "
                     f"{_fmt(_at(rmse(ref), -1))}; validation RMSE yours {_fmt(val_rmse)}, reference "
                     f"{_fmt(reference_val_rmse)}, threshold {_fmt(threshold)}.")


# ---------------------------------------------------------------- where a gradient is wrong (issue #3)


@_styled
def error_per_step_svg(steps) -> str | None:
    """Largest scaled error per time step against the lag (0 = last step), log scale; right steps
    (<= 1e-6) as green circles, wrong ones as vermillion squares, not finite as triangles at the top."""
    if not isinstance(steps, (list, tuple)) or not steps:
        return None
    values = [finite_or_none(v) for v in steps]
    T = len(values)
    lags = [T - 1 - t for t in range(T)]
    fig, ax = _figure(5.0, 2.5)
    _log_y(ax)
    finite = [v for v in values if v is not None]
    hi = max([v for v in finite if v > 0] + [WRONG * 10])
    right = [(k, max(v, FLOOR)) for k, v in zip(lags, values) if v is not None and v <= WRONG]
    wrong = [(k, v) for k, v in zip(lags, values) if v is not None and v > WRONG]
    bad = [k for k, v in zip(lags, values) if v is None]
    if wrong:
        ax.vlines([k for k, _ in wrong], FLOOR, [v for _, v in wrong], color=VERMILLION, lw=2.5, alpha=0.5)
        ax.scatter([k for k, _ in wrong], [v for _, v in wrong], marker="s", s=18, color=VERMILLION, zorder=3,
                   label="wrong")
    if right:
        ax.scatter([k for k, _ in right], [v for _, v in right], marker="o", s=16, color=GREEN, zorder=3,
                   label="right (≤ 1e-6)")
    if bad:
        ax.scatter(bad, [hi * 3] * len(bad), marker="^", s=22, color=INK, zorder=3, label="NaN or inf")
    ax.axhline(WRONG, color=GREY, lw=0.8, ls="--")
    ax.set_ylim(FLOOR / 3, hi * 10)
    ax.set_xlim(-0.6, T - 0.4)
    _, _, _, _, FixedLocator, _, MaxNLocator = _mpl()
    if T <= 12:
        ax.xaxis.set_major_locator(FixedLocator(list(range(T))))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=10))
    ax.invert_xaxis()  # time runs left to right: lag T-1 (t = 0) on the left, lag 0 on the right
    ax.set_xlabel("lag (steps back from the last step t = T − 1)")
    ax.set_ylabel("largest error (log scale)")
    _legend_right(ax)
    fig.subplots_adjust(left=0.14, right=0.76, top=0.95, bottom=0.2)
    return _svg(fig, f"Largest error per time step against the lag, log scale: {len(wrong)} wrong, {len(right)} right"
                     + (f", {len(bad)} not finite" if bad else "") + ".")


@_styled
def error_per_gate_svg(gates) -> str | None:
    """Largest scaled error per gate block as bars (log scale); only the known gate letters are drawn."""
    if not isinstance(gates, dict):
        return None
    known = [(k, finite_or_none(v)) for k, v in gates.items() if isinstance(k, str) and k in GATE_NAMES]
    if not known:
        return None
    fig, ax = _figure(3.4, 2.4)
    _log_y(ax)
    hi = max([v for _, v in known if v is not None and v > 0] + [WRONG * 10])
    xs = list(range(len(known)))
    heights, colours, hatches = [], [], []
    for _, v in known:
        if v is None:
            heights.append(hi * 3), colours.append(INK), hatches.append("//")
        elif v <= WRONG:
            heights.append(max(v, FLOOR)), colours.append(GREEN), hatches.append("")
        else:
            heights.append(v), colours.append(VERMILLION), hatches.append("")
    bars = ax.bar(xs, heights, color=colours, width=0.6, bottom=FLOOR / 3)
    for bar, hatch in zip(bars, hatches):
        bar.set_hatch(hatch)
    ax.axhline(WRONG, color=GREY, lw=0.8, ls="--")
    ax.set_xticks(xs, [f"{k}\n{GATE_NAMES[k]}" for k, _ in known])
    ax.set_ylim(FLOOR / 3, hi * 10)
    ax.set_ylabel("largest error (log scale)")
    ax.grid(axis="x", visible=False)
    fig.subplots_adjust(left=0.24, right=0.97, top=0.95, bottom=0.22)
    parts = [f"{k} ({GATE_NAMES[k]}): {'not finite' if v is None else _fmt(v)}" for k, v in known]
    return _svg(fig, "Largest error per gate block, log scale: " + "; ".join(parts) + ". Dashed line: 1e-6.")
