"""Evidence -> diagnosis. Runs only on checks that already failed, in the trusted parent.

A detector returns a sentence of evidence when the student's numbers fit a known mistake, else
None. Fitting is strict (the student's arrays must equal the mutant's to 1e-6 relative, or a
precise signature must hold) because a false diagnosis is worse than none. Detectors are tried
in a fixed order and the first that fits wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..checks.compare import norm_rel_error
from ..results import Diagnosis
from . import mutants
from .catalogue import CATALOGUE, DLS_TEXT

FIT = 1e-6


@dataclass
class Evidence:
    """What a failed check saw. ``student``/``expected`` map names (next_h, dx, ...) to arrays."""

    function: str
    kind: str  # forward | backward | clip_norm | tbptt | property
    inputs: dict = field(default_factory=dict)
    upstream: dict = field(default_factory=dict)
    student: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def arch(self) -> str:
        return self.function.split("_")[0]

    @property
    def sequence(self) -> bool:
        return "_step_" not in self.function


def _fits(student: dict, candidate: dict) -> float | None:
    """Largest relative error between the student's arrays and ``candidate``'s, if all fit."""
    worst = 0.0
    for name, want in candidate.items():
        got = student.get(name)
        if not isinstance(got, np.ndarray) or got.shape != np.shape(want) or not np.all(np.isfinite(got)):
            return None
        err = norm_rel_error(got.astype(np.float64), np.asarray(want, dtype=np.float64))
        if err > FIT:
            return None
        worst = max(worst, err)
    return worst


def _named(names, values) -> dict:
    return dict(zip(names, values))


# ----------------------------------------------------------------------------- forward detectors


def _forward_candidates(ev: Evidence):
    names = list(ev.expected)
    if ev.arch == "lstm":
        inputs = mutants.lstm_ifgo_inputs(ev.inputs)
        fwd = mutants.sequence_forward("lstm", inputs)[:1] if ev.sequence else mutants.step_forward("lstm", inputs)
        yield "lstm-gate-order", _named(names, fwd), "reading the blocks as i, f, g, o"
    if ev.arch == "gru":
        for variant, bug in (("reset_after", "gru-reset-after"), ("update_on_candidate", "gru-update-swapped")):
            yield bug, _named(names, mutants.gru_variant_forward(variant, ev.sequence, ev.inputs)), f"the {variant.replace('_', ' ')} GRU"
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[ev.arch]
    for k, inputs in enumerate(mutants.zero_bias_variants(ev.inputs, gates)):
        out = mutants.sequence_forward(ev.arch, inputs)[:1] if ev.sequence else mutants.step_forward(ev.arch, inputs)
        what = "a zero bias" if k == 0 else f"a zero bias in gate block {k}"
        yield "forgot-bias", _named(names, out), what


# ----------------------------------------------------------------------------- backward detectors


def _backward_candidates(ev: Evidence):
    names = list(ev.expected)
    if ev.sequence:
        dh = ev.upstream["dh"]
        yield "no-bptt-carry", mutants.sequence_backward(ev.arch, ev.inputs, dh, carry=False), "BPTT with no gradient carried between steps"
        if ev.arch == "lstm":
            yield "no-bptt-carry", mutants.sequence_backward(ev.arch, ev.inputs, dh, carry="c"), \
                "BPTT that carries dprev_c but not dprev_h between steps"
        yield "upstream-ignored", mutants.sequence_backward(ev.arch, ev.inputs, dh, ones=True), "BPTT started from dh = ones"
        for where in ("first", "last"):
            step = "step 0" if where == "first" else "step T-1"
            yield "weight-grad-last-step-only", mutants.sequence_backward(ev.arch, ev.inputs, dh, weights=where), f"the weight gradients of {step} alone"
        bugs = {"rnn": ["tanh_twice"], "lstm": ["sigmoid_preact", "dprev_c_no_h_path"]}.get(ev.arch, [])
        for bug in bugs:
            diag = "lstm-cell-grad-missing-h-path" if bug == "dprev_c_no_h_path" else "activation-derivative-wrong"
            yield diag, mutants.sequence_backward(ev.arch, ev.inputs, dh, bug=bug), f"BPTT with {bug.replace('_', ' ')}"
    else:
        bugs = {"rnn": ["tanh_twice"], "lstm": ["sigmoid_preact", "dprev_c_no_h_path"]}.get(ev.arch, [])
        for bug in bugs:
            diag = "lstm-cell-grad-missing-h-path" if bug == "dprev_c_no_h_path" else "activation-derivative-wrong"
            yield diag, mutants.step_backward(ev.arch, ev.inputs, ev.upstream, bug), f"the step backward with {bug.replace('_', ' ')}"
    del names


def _signature(ev: Evidence) -> tuple[str, str] | None:
    """Mistakes recognised by a pattern in the numbers rather than a whole mutant."""
    s, e = ev.student, ev.expected
    low = {n: s[n].dtype for n in e if isinstance(s.get(n), np.ndarray) and s[n].dtype in (np.float32, np.float16)}
    if low:
        return "float32-precision", "your " + ", ".join(f"{n} is {d}" for n, d in low.items())
    errs = [norm_rel_error(s[n].astype(np.float64), e[n]) for n in e if isinstance(s.get(n), np.ndarray)
            and s[n].shape == e[n].shape and np.all(np.isfinite(s[n]))]
    if len(errs) == len(e) and 1e-10 < max(errs) < 1e-5:
        return "float32-precision", (f"your values differ from the expected ones only at float32 precision "
                                     f"(relative error {max(errs):.1e}): something was computed in float32")
    wrong = [n for n in e if _fits(s, {n: e[n]}) is None]
    if not wrong:
        return None
    rest_ok = lambda names: all(_fits(s, {n: e[n]}) is not None for n in e if n not in names)  # noqa: E731
    if wrong == ["dh0"] and isinstance(s.get("dh0"), np.ndarray) and not np.any(s["dh0"]) and np.any(e["dh0"]):
        return "dh0-missing", "your dh0 is all zeros while dx, dWx, dWh and db are right"
    for n in wrong:
        got, want = s.get(n), e[n]
        if not (n.startswith("dW") and isinstance(got, np.ndarray) and want.ndim == 2 and rest_ok([n])):
            continue
        if got.shape == want.T.shape and _fits({n: got.T}, {n: want}) is not None:
            return "transposed-weight-grad", f"your {n} equals the expected {n} transposed"
        rows = want.shape[0]
        if got.shape == want.shape and want.shape[1] % rows == 0 and want.shape[1] > rows:
            blocks = [got[:, k:k + rows].T for k in range(0, want.shape[1], rows)]
            if _fits({n: np.concatenate(blocks, axis=1)}, {n: want}) is not None:
                return "transposed-weight-grad", f"each square gate block of your {n} is the expected block transposed"
    if wrong == ["db"] and isinstance(s.get("db"), np.ndarray):
        got, want, N = s["db"], e["db"], ev.inputs["x"].shape[0]
        if got.shape == want.shape and N > 1 and _fits({"db": got * N}, {"db": want}) is not None:
            return "bias-grad-not-summed", f"your db equals the expected db divided by the batch size N={N} (a mean)"
        if got.ndim == 2 and got.shape[1:] == want.shape and _fits({"db": got.sum(axis=0)}, {"db": want}) is not None:
            return "bias-grad-not-summed", "your db has one row per sample; summed over the batch it is right"
        if got.shape == want.shape and not ev.sequence:
            one = {k: (v[:1] if k.startswith("dnext") else v) for k, v in ev.upstream.items()}
            sample = {k: (v[:1] if k in ("x", "prev_h", "prev_c") else v) for k, v in ev.inputs.items()}
            db0 = mutants.step_backward(ev.arch, sample, one)[-1]
            if _fits({"db": got}, {"db": db0}) is not None:
                return "bias-grad-not-summed", "your db equals the gradient of sample 0 alone"
    return None


# ----------------------------------------------------------------------------- entry point


def diagnose(ev: Evidence) -> Diagnosis | None:
    try:
        found = _diagnose(ev)
    except (KeyError, ValueError, IndexError, TypeError, FloatingPointError):
        return None  # evidence that does not fit any detector's assumptions: no diagnosis
    if found is None:
        return None
    bug, evidence = found
    entry = CATALOGUE[bug]
    explanation, fix = entry.explanation, entry.fix
    if ev.extra.get("dialect") == "dls":  # the Coursera DLS profile (grader/dls.py): its names and layout
        if bug not in DLS_TEXT:
            return None  # a CS231n-only convention (gate order, GRU, clipping, truncation): never said to DLS code
        explanation, fix = DLS_TEXT[bug]
        evidence = _dls_words(evidence, ev)
    return Diagnosis(bug=bug, title=entry.title, explanation=f"{explanation} Fix: {fix}", evidence=evidence)


def _dls_words(sentence: str, ev: Evidence) -> str:
    """A detector's sentence with the reference's array names replaced by the DLS ones."""
    rename = ev.extra.get("rename") or {}
    names = ev.extra.get("names")
    head = "your " + ", ".join(ev.expected) + " equal "
    if names and sentence.startswith(head):
        sentence = "your " + ", ".join(names) + " equal " + sentence[len(head):]
        names_part, rest = sentence[:len("your " + ", ".join(names))], sentence[len("your " + ", ".join(names)):]
    else:
        names_part, rest = "", sentence
    if rename:
        pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(rename, key=len, reverse=True)) + r")\b")
        rest = pattern.sub(lambda m: rename[m.group(1)], rest)
    return names_part + rest


def _diagnose(ev: Evidence) -> tuple[str, str] | None:
    if ev.kind == "property":
        bug = ev.extra.get("bug")
        return (bug, ev.extra.get("evidence", "")) if bug else None
    if ev.kind == "clip_norm":
        candidate = mutants.clip_per_tensor(ev.inputs["grads"], ev.inputs["max_norm"])
        if _fits(ev.student, candidate) is not None:
            return "clip-per-tensor", "your clipped arrays equal each array scaled by its own norm"
        return None
    if ev.kind == "tbptt":
        import reference

        k = ev.extra["truncate"]
        for other in (k + 1, k - 1):
            if other >= 0:
                _, cache = reference.rnn_forward(*[ev.inputs[n] for n in ("x", "h0", "Wx", "Wh", "b")])
                cand = _named(list(ev.expected), reference.rnn_backward_truncated(ev.upstream["dh"], cache, other))
                if _fits(ev.student, cand) is not None:
                    return "tbptt-off-by-one", f"with truncate={k} your gradients equal the correct ones for truncate={other}"
        return None
    if ev.extra.get("batch_of_one"):
        return "batch-of-one", ev.extra["batch_of_one"]
    candidates = _forward_candidates(ev) if ev.kind == "forward" else _backward_candidates(ev)
    names = list(ev.expected)
    for bug, values, what in candidates:
        cand = values if isinstance(values, dict) else _named(names, values)
        err = _fits(ev.student, cand)
        if err is not None:
            return bug, f"your {', '.join(names)} equal {what} (to a relative error of {err:.0e})"
    return _signature(ev)
