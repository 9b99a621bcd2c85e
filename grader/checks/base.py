"""What every check shares: one signature, one way to call the student, one message shape.

A check is a function ``run(ctx) -> Verdict``. It calls the student only through ``ctx.call``,
which turns every non-answer (exception, timeout, crash, ``NotImplementedError``) into a
``CallFailed`` the runner below maps to exactly one of the five outcomes. Checks never see the
worker's internals and never trust what it says beyond the arrays it returned.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..results import CheckResult, Frame
from ..sandbox.runner import CallOutcome, WorkerSession
from ..sandbox.wire import Handle
from ..spec import RETURNS
from .hints import error_hint


@dataclass
class Verdict:
    status: str  # passed | failed (the five outcomes minus error/timeout/skipped come via exceptions)
    message: str = ""
    hint: str = ""
    metrics: dict = field(default_factory=dict)
    call: str = ""
    evidence: object = None  # diagnoses.detect.Evidence for a failed check; never serialised
    counterexample: dict | None = None


class Skip(Exception):
    """The check cannot run: not attempted, or a prerequisite is missing."""


class CallFailed(Exception):
    def __init__(self, outcome: CallOutcome, function: str, call: str):
        super().__init__(outcome.status)
        self.outcome, self.function, self.call = outcome, function, call
        self.evidence = None  # set by a check that can say more (e.g. fails only for N=1)
        self.expect = ""  # what the function should return, in words (default: RETURNS of the CS231n API)
        self.counterexample = None  # set by a property check: the smallest input that raises


@dataclass(frozen=True)
class CheckDef:
    exercise: str
    function: str
    name: str
    kind: str
    run: Callable[["Context"], Verdict]

    @property
    def id(self) -> str:
        return f"{self.exercise}.{self.function}.{self.name}"


class Context:
    """Everything a check may use: the worker session, seeds, tolerances, what is known so far."""

    def __init__(self, session: WorkerSession, functions: dict, seed: int, exercise, call_seconds: float,
                 thorough: bool = False, watch_mutation: bool = True):
        self.session = session
        # ask the worker to send the arguments back after each call, to see whether the student's code
        # changed them in place: only where a no_mutation check grades that, because in the dynamics and
        # training exercises (long sequences, 100 training steps) the copies were over half of all bytes
        # crossing the wire, and the layer exercises report the same function's mutations anyway
        self.watch_mutation = watch_mutation
        self.thorough = thorough  # more property examples, longer sequences
        self.functions = functions  # name -> {"params": [...]} as the worker saw them
        self.seed = seed
        self.exercise = exercise
        self.call_seconds = call_seconds
        # functions whose call timed out: shared by every exercise of one grading run (see engine), so
        # an infinite loop costs its time limit once, not once per exercise that calls the function
        self.timed_out: set[str] = set()
        self.not_attempted: dict[str, str] = {}
        self.mutations: dict[str, set] = {}
        self.last_warnings: list[str] = []  # warnings the worker reported for the last successful call
        self.called: set[str] = set()  # functions that returned normally at least once
        self.value_failed: dict[str, str] = {}  # function -> id of a failed value check (not charged twice)
        self.value_seen: set[str] = set()  # functions with a value check that ran (forward, gradient, fd)
        self.value_passed: set[str] = set()  # ... and with one that passed or was partly right
        self.calls: dict[str, int] = {}  # function -> calls into the worker by the running check (run_check resets it)

    def rng(self, *key) -> np.random.Generator:
        """A generator that depends only on the seed and ``key``: the same case every run."""
        words = [zlib.crc32(str(k).encode()) for k in key]
        return np.random.default_rng([self.seed, *words])

    def tol(self, name: str) -> float:
        return self.exercise.tol(name)

    def call(self, function: str, args: list, call: str, returns: list[str] | None = None, expect: str = "") -> list:
        """Call a student function; return its values or raise CallFailed / Skip."""
        if function not in self.functions:
            raise Skip(f"{function} is not defined in your file: not attempted")
        if function in self.not_attempted:
            raise Skip(self.not_attempted[function])
        if function in self.timed_out:
            raise Skip(f"an earlier call to {function} timed out, so this check was not run")
        returns = returns if returns is not None else RETURNS.get(function)
        self.calls[function] = self.calls.get(function, 0) + 1
        outcome = self.session.call(function, args, returns=returns, echo=self.watch_mutation,
                                    seconds=self.call_seconds)
        if outcome.status == "ok":
            self._note_mutation(function, args, outcome.echo)
            self.last_warnings = outcome.warnings
            self.called.add(function)
            return outcome.value
        if outcome.status == "not_implemented":
            how = "returned None" if outcome.exc_type == "None" else "raises NotImplementedError"
            self.not_attempted[function] = f"{function} {how}: not attempted yet"
            raise Skip(self.not_attempted[function])
        if outcome.status == "missing":
            raise Skip(f"{function} is not defined in your file: not attempted")
        if outcome.status == "timeout":
            self.timed_out.add(function)
        exc = CallFailed(outcome, function, call)
        exc.expect = expect
        raise exc

    def drop(self, values) -> None:
        self.session.drop([v for v in values if isinstance(v, Handle)])

    def _note_mutation(self, function: str, args: list, echo) -> None:
        if not isinstance(echo, list) or len(echo) != len(args):
            return
        names = self.functions.get(function, {}).get("params") or []
        for i, (sent, after) in enumerate(zip(args, echo)):
            name = names[i] if i < len(names) else f"argument {i + 1}"
            if isinstance(sent, dict) and isinstance(after, dict):  # e.g. the grads dict of the clipping functions
                changed = [f"{name}[{k!r}]" for k, v in sent.items() if _changed(v, after.get(k))]
                self.mutations.setdefault(function, set()).update(changed)
            elif _changed(sent, after):
                self.mutations.setdefault(function, set()).add(name)
        if not self.mutations.get(function):
            self.mutations.pop(function, None)


def _changed(sent, after) -> bool:
    return (isinstance(sent, np.ndarray) and isinstance(after, np.ndarray) and sent.shape == after.shape
            and not np.array_equal(sent, after, equal_nan=True))


def run_check(check: CheckDef, ctx: Context) -> CheckResult:
    """Run one check and turn whatever happened into exactly one of the five outcomes."""
    points = ctx.exercise.points_for(check.function, check.name)
    base = dict(id=check.id, exercise=check.exercise, function=check.function, kind=check.kind, max_score=points)
    started = time.monotonic()
    evidence = None
    ctx.calls = {}
    try:
        v = check.run(ctx)
        result = CheckResult(status=v.status, score=points if v.status == "passed" else 0.0, message=v.message,
                             hint=v.hint, metrics=v.metrics, call=v.call, counterexample=v.counterexample, **base)
        evidence = v.evidence if v.status == "failed" else None
    except Skip as exc:
        result = CheckResult(status="skipped", score=0.0, message=str(exc), **base,
                             hint=f"Implement {check.function} to earn these points." if "not attempted" in str(exc) else "")
    except CallFailed as exc:
        result = failed_call_result(exc, base)
        result.counterexample = exc.counterexample
        evidence = exc.evidence
    if evidence is not None:
        from ..diagnoses.detect import diagnose

        result.diagnosis = diagnose(evidence)
    _score_policy(result, ctx)
    result.seconds = round(time.monotonic() - started, 4)
    result.calls = dict(ctx.calls)
    mutated = ctx.mutations.get(check.function)
    if mutated and result.status != "skipped":
        result.metrics["mutated_inputs"] = sorted(mutated)
    return result


PARTLY_RIGHT = 0.9  # norm-relative error at or below which a failed value check counts as partly right


def _score_policy(result: CheckResult, ctx: Context) -> None:
    """A property failure on a function whose values already failed is reported but not charged twice."""
    bad = result.status in ("failed", "error", "timeout")
    if result.kind != "property":
        if result.kind in ("forward", "gradient", "fd"):
            ctx.value_seen.add(result.function)
            err = result.metrics.get("rel_error")
            # "partly right": clearly closer to the reference than returning zeros, whose norm-relative
            # error ||got - expected|| / max(||got||, ||expected||) is exactly 1 (large garbage tends to 1
            # from below, hence the margin). Not matches_fd's error: it is scaled differently.
            partly_right = (result.status == "failed" and result.kind != "fd" and isinstance(err, (int, float))
                            and err <= PARTLY_RIGHT)
            if result.status == "passed" or partly_right:
                ctx.value_passed.add(result.function)
        if bad:
            ctx.value_failed.setdefault(result.function, result.id)
        return
    fn = result.function
    if result.max_score and fn in ctx.value_seen and fn not in ctx.value_passed:
        # Behaviour points are earned only by a function whose values are at least partly right (a
        # value check passed, or failed with a relative error below 1). Found by the adversarial
        # corpus: a function that crashes, exits or times out was "not charged" for its failed
        # properties, and one returning zeros (an attack falling back to them) passed them, so both
        # scored no_hidden_state / no_mutation / stable_large_inputs without computing anything.
        result.score = 0.0
        result.metrics["not_awarded"] = f"no value check of {fn} is even partly right"
        result.message += f" (no points: none of the value checks of {fn} is even partly right)"
        return
    if bad and fn in ctx.value_failed and result.max_score:
        result.score = result.max_score
        result.metrics["not_charged"] = ctx.value_failed[fn]
        result.message += f" (not charged: {ctx.value_failed[fn]} already failed for this function)"


def failed_call_result(exc: CallFailed, base: dict) -> CheckResult:
    o = exc.outcome
    frames = [Frame(**f) for f in o.frames]
    where = ""
    if frames:
        f = frames[-1]
        where = f" in {f.func} ({f.file}, line {f.line}: {f.code.strip()})"
    if o.status == "error":
        status = "error"
        message = f"{exc.call} raised {o.exc_type}: {o.exc_msg}{where}"
        hint = error_hint(o.exc_type, o.exc_msg, frames[-1].code if frames else "")
    elif o.status == "timeout":
        status = "timeout"
        message = f"{exc.call} did not return: {o.detail}"
        hint = "Look for a loop that never ends (a while loop whose condition never changes, or a loop over the wrong range)."
    elif o.status == "bad_return":
        status = "failed"
        message = f"{exc.call} {o.detail}"
        hint = f"Return exactly what the API lists: {exc.expect or ', '.join(RETURNS.get(exc.function, []))}."
    elif o.status == "infra_error":
        status = "error"
        message = f"grader infrastructure error while running {exc.call}: {o.detail} (not your fault; run again)"
        hint = "If this repeats, report it to the course staff with this message."
    else:  # crashed, protocol_error
        status = "error"
        message = f"{exc.call} ended the worker process: {o.detail}"
        hint = ("Do not call sys.exit(), os._exit() or exit() in your code, and do not write to the process's "
                "file descriptors; return your values instead.")
    result = CheckResult(status=status, score=0.0, message=message, hint=hint, call=exc.call, traceback=frames, **base)
    if o.status == "infra_error":
        result.metrics["infrastructure"] = True
    return result


def unpack(values: list, n: int) -> list:
    """The worker already checked the count; this guards against a forged reply."""
    if not isinstance(values, list) or len(values) != n:
        raise CallFailed(CallOutcome("protocol_error", detail="a reply with the wrong number of values"), "", "")
    return values
