"""Gradient dynamics as numbers: the inputs of each regime, log norms per lag, the fitted rate.

Pure numpy, no student code and no worker: the checks in ``dynamics.py`` feed this module the
arrays that came back from the student's functions and the reference's, computed on identical
inputs. Everything is in natural-log norms so nothing under- or overflows: at lag 1000 with
rho = 0.42 the gradient norm is ~1e-377, below the smallest float64.

The measurement (see docs/dynamics.md): put the loss on the last step only (a unit vector per
sample in dh[:, -1]), run the sequence backward, and take a_k = mean over the batch of
||dx[n, T-1-k]|| at lag k. Fit ln a_k = c + b k by least squares over lags SKIP .. the last lag
where the reference's a_k is still a normal float; rho = e^b, half-life = ln 2 / |b| (a doubling
time when b > 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

DIMS = {"N": 16, "D": 32, "H": 32}
T_DEFAULT, T_THOROUGH = 200, 1000
SKIP = 5  # the first lags are dominated by the loss's own step, not by the recurrence
LOG_FLOOR, LOG_CEIL = math.log(1e-280), math.log(1e280)  # beyond these float64 loses digits
CURVE_POINTS = 60  # lags kept in the metrics for the plot and its table
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


@dataclass(frozen=True)
class Regime:
    """One measured setting: an architecture and the one knob that sets its decay."""

    name: str  # the check name, e.g. "decay_alpha_0_5"
    arch: str  # rnn | lstm | gru
    knob: str  # alpha | forget_bias | init
    value: float

    @property
    def forward(self) -> str:
        return f"{self.arch}_forward"

    @property
    def backward(self) -> str:
        return f"{self.arch}_backward"

    @property
    def label(self) -> str:
        if self.knob == "alpha":
            return f"tanh RNN, W_h = {self.value:g}·Q (Q orthogonal)"
        if self.knob == "forget_bias":
            return f"LSTM, forget-gate bias {self.value:g}"
        return f"{self.arch.upper()}, default-scale weights"


REGIMES = (
    Regime("decay_alpha_0_5", "rnn", "alpha", 0.5),
    Regime("decay_alpha_1_0", "rnn", "alpha", 1.0),
    Regime("decay_alpha_1_5", "rnn", "alpha", 1.5),
    Regime("decay_alpha_3_0", "rnn", "alpha", 3.0),
    Regime("forget_bias_0", "lstm", "forget_bias", 0.0),
    Regime("forget_bias_1", "lstm", "forget_bias", 1.0),
    Regime("forget_bias_3", "lstm", "forget_bias", 3.0),
    Regime("decay_default_init", "gru", "init", 0.0),
)


def orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A uniformly random orthogonal matrix (QR of a Gaussian, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def regime_inputs(rng: np.random.Generator, regime: Regime, T: int, dims: dict = DIMS) -> dict[str, np.ndarray]:
    """x ~ N(0, 1), h0 = 0, weights and bias ~ U(-1/sqrt(H), 1/sqrt(H)) (PyTorch's default scale);
    the RNN's W_h is alpha * Q instead, the LSTM's forget block of b is the forget bias."""
    N, D, H = dims["N"], dims["D"], dims["H"]
    G = GATES[regime.arch]
    k = 1.0 / math.sqrt(H)
    x = rng.standard_normal((N, T, D))
    Wx = rng.uniform(-k, k, (D, G * H))
    Wh = rng.uniform(-k, k, (H, G * H))
    b = rng.uniform(-k, k, G * H)
    if regime.knob == "alpha":
        Wh = regime.value * orthogonal(rng, H)
    elif regime.knob == "forget_bias":
        b[H:2 * H] = regime.value  # blocks i, f, o, g
    return {"x": x, "h0": np.zeros((N, H)), "Wx": Wx, "Wh": Wh, "b": b}


def last_step_upstream(rng: np.random.Generator, shape: tuple[int, int, int]) -> np.ndarray:
    """dh with a unit vector per sample at the last step and zeros elsewhere."""
    N, T, H = shape
    e = rng.standard_normal((N, H))
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    dh = np.zeros((N, T, H))
    dh[:, -1] = e
    return dh


# ---------------------------------------------------------------- log norms and the fit


def log_norms(a: np.ndarray) -> np.ndarray:
    """ln ||a[..., :]|| over the last axis, without under- or overflow; -inf for an all-zero row."""
    a = np.asarray(a, dtype=np.float64)
    peak = np.max(np.abs(a), axis=-1)
    safe = np.where(peak > 0, peak, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scaled = a / safe[..., None]
        return np.where(peak > 0, np.log(safe) + 0.5 * np.log(np.sum(scaled * scaled, axis=-1)), -np.inf)


def log_mean_norm_per_lag(dx: np.ndarray) -> np.ndarray:
    """ln of the mean over the batch of ||dx[n, t]||, indexed by lag k = T-1-t (k = 0 is the last step)."""
    ln = log_norms(dx)  # (N, T)
    top = np.max(ln, axis=0)
    finite = np.isfinite(top)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        rel = np.where(finite, ln - np.where(finite, top, 0.0), -np.inf)
        out = np.where(finite, top + np.log(np.mean(np.exp(rel), axis=0)), top)
    return out[::-1]


def fit_window(reference_logs: np.ndarray) -> tuple[int, int]:
    """Lags [SKIP, last] where the reference's norm is a normal float: the same window for both fits."""
    ok = (reference_logs > LOG_FLOOR) & (reference_logs < LOG_CEIL)
    last = SKIP
    for k in range(SKIP, len(reference_logs)):
        if not ok[k]:
            break
        last = k
    return SKIP, last


@dataclass
class Fit:
    b: float | None  # per-step log-decay rate; None when it cannot be fitted
    c: float | None = None
    lo: int = 0
    hi: int = 0

    @property
    def rho(self) -> float | None:
        return None if self.b is None else math.exp(self.b)

    @property
    def half_life(self) -> float | None:
        """ln 2 / |b| steps: the half-life when b < 0, the doubling time when b > 0."""
        if self.b is None:
            return None
        return math.inf if self.b == 0 else math.log(2) / abs(self.b)


def fit_rate(logs: np.ndarray, lo: int, hi: int) -> Fit:
    """Least squares ln a_k = c + b k over the lags lo..hi where a_k is not zero (ln a_k = -inf);
    None when fewer than three such lags are left."""
    k = np.arange(lo, hi + 1)
    y = np.asarray(logs[lo:hi + 1], dtype=np.float64)
    ok = np.isfinite(y)
    if ok.sum() < 3:
        return Fit(None, None, lo, hi)
    b, c = np.polyfit(k[ok], y[ok], 1)
    return Fit(float(b), float(c), lo, hi)


def curve_lags(T: int) -> list[int]:
    """The lags kept for plotting: the first few one by one, then evenly spaced, and the last."""
    step = max(1, math.ceil(T / CURVE_POINTS))
    lags = sorted(set(range(min(T, 4))) | set(range(0, T, step)) | {T - 1})
    return lags


def log10_list(logs: np.ndarray, lags: list[int]) -> list[float | None]:
    """Natural-log values at ``lags`` as log10 (None for -inf/NaN: exactly zero or not finite)."""
    out = []
    for k in lags:
        v = float(logs[k])
        out.append(round(v / math.log(10), 6) if math.isfinite(v) else None)
    return out


# ---------------------------------------------------------------- finiteness


def array_problem(name: str, got, shape: tuple, finite: bool = True) -> str:
    """'' when ``got`` is a real array of ``shape`` (and finite); else what is wrong, in words.

    Cheaper than compare.compare (no norms): the training loop validates ~450 arrays per run.
    """
    if not isinstance(got, np.ndarray):
        kind = getattr(got, "type_name", type(got).__name__)
        return f"{name} came back as {kind}, expected a numpy array of shape {shape}"
    if got.dtype.kind not in "fiub":
        return f"{name} came back with dtype {got.dtype}, expected float64"
    if got.shape != tuple(shape):
        return f"{name} has shape {got.shape}, expected {tuple(shape)}"
    if finite and not np.all(np.isfinite(got)):
        bad = ~np.isfinite(got)
        idx = [int(i) for i in np.argwhere(bad)[0]]
        return f"{name} contains {int(bad.sum())} NaN or inf value(s), the first at index {idx}"
    return ""


@dataclass
class NonFinite:
    t: int  # first time step with a NaN or inf
    index: tuple  # the first such entry
    count: int = 0
    kinds: list = field(default_factory=list)


def first_nonfinite_step(a: np.ndarray) -> NonFinite | None:
    """The first time step (axis 1 of an (N, T, ...) array) holding a NaN or inf, and where."""
    a = np.asarray(a)
    bad = ~np.isfinite(a)
    if not bad.any():
        return None
    per_t = bad.reshape(a.shape[0], a.shape[1], -1).any(axis=(0, 2))
    t = int(np.argmax(per_t))
    idx = np.argwhere(bad[:, t])[0]
    where = (int(idx[0]), t, *(int(i) for i in idx[1:]))
    kinds = sorted({"NaN" if np.isnan(v) else "inf" for v in a[bad][:1000]})
    return NonFinite(t, where, int(bad.sum()), kinds)


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / max(||a||, ||b||), with sums instead of BLAS dots: the parent's BLAS threads would
    spin on the cores the worker needs (see docs/dynamics.md, "Cost")."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(global_norm([a]), global_norm([b]))
    return 0.0 if scale == 0 else global_norm([a - b]) / scale


def values_problem(name: str, got, expected: np.ndarray, tol: float) -> str:
    """'' when ``got`` matches ``expected`` within ``tol`` (norm-relative); else what differs and where."""
    problem = array_problem(name, got, expected.shape)
    if problem:
        return problem
    err = rel_error(got, expected)
    if err <= tol:
        return ""
    idx = np.unravel_index(int(np.argmax(np.abs(got - expected))), expected.shape)
    where = ", ".join(map(str, idx))
    return (f"{name} differs from the expected values: relative error {err:.3g} (tolerance {tol:.3g}); largest "
            f"difference at {name}[{where}]: yours {float(got[idx]):.6g}, expected {float(expected[idx]):.6g}")


def global_norm(arrays) -> float:
    """sqrt of the sum of squares over every entry of every array, scaled so squares cannot overflow."""
    arrays = [np.asarray(g, dtype=np.float64) for g in arrays]
    peak = max((float(np.max(np.abs(g))) for g in arrays if g.size), default=0.0)
    if peak == 0.0 or not math.isfinite(peak):
        return peak
    return peak * math.sqrt(sum(float(np.sum(np.square(g / peak))) for g in arrays))


def cosine(a: dict, b: dict, keys) -> float:
    """Cosine similarity of two gradient dicts seen as one long vector each."""
    na, nb = global_norm([a[k] for k in keys]), global_norm([b[k] for k in keys])
    if not (na > 0 and nb > 0) or not (math.isfinite(na) and math.isfinite(nb)):
        return math.nan
    return float(sum(np.sum((np.asarray(a[k]) / na) * (np.asarray(b[k]) / nb)) for k in keys))
