"""Grade one submission: load -> sandboxed worker -> checks -> ``GradeResult`` (plain data).

This is the only module that ties the layers together. It never imports the submission; the
worker does. If the file cannot be loaded or imported, every check still gets a result (error or
timeout, with the reason), so a report always accounts for every point.
"""

from __future__ import annotations

import time
from dataclasses import asdict

from . import __version__
from .checks.base import Context, run_check
from .checks.registry import checks_for
from .exercises import Exercise, load_exercises
from .loader import Submission, load
from .release import is_release
from .release.public import public_checks
from .results import CheckResult, ExerciseResult, Frame, GradeResult, LoadNote, SubmissionInfo
from .sandbox.launcher import DEFAULT_BLOCKED_IMPORTS, Limits
from .sandbox.runner import ImportOutcome, WorkerSession

DEFAULT_SEED = 20161


def select_exercises(ids: list[str] | None, available: dict[str, Exercise]) -> list[Exercise]:
    if not ids:
        return list(available.values())
    unknown = [i for i in ids if i not in available]
    if unknown:
        raise KeyError(f"unknown exercise(s) {', '.join(unknown)}; available: {', '.join(available)}")
    return [available[i] for i in ids]


def grade(
    path_or_submission,
    exercise_ids: list[str] | None = None,
    seed: int = DEFAULT_SEED,
    limits: Limits | None = None,
    launcher=None,
    exercises: dict[str, Exercise] | None = None,
    blocked_imports: tuple[str, ...] = DEFAULT_BLOCKED_IMPORTS,
    thorough: bool = False,
    budget_seconds: float | None = None,
    public: bool = False,
    api: str = "auto",
) -> GradeResult:
    """Grade a submission. Raises ``LoadError`` (bad path, no module) and ``KeyError`` (bad id).

    ``budget_seconds`` caps the whole grading (import and calls): once it is used up, every
    remaining call is a ``timeout`` at once. Bulk grading sets it; ``None`` means no cap.
    ``public`` runs only the checks that need no reference (docs/release.md); inside a student
    release bundle it is always on. ``api`` is the API profile ("cs231n", "dls" or "auto": detected
    from the function names the file defines); without ``exercise_ids`` only its exercises run.
    """
    started = time.monotonic()
    timings: dict[str, float] = {}  # seconds per phase (docs/performance.md); rounded below
    if isinstance(path_or_submission, Submission):
        sub = path_or_submission
    else:
        sub = load(path_or_submission, blocked_imports)
        timings["load"] = time.monotonic() - started
    chosen = select_exercises(exercise_ids, exercises or load_exercises(api=None))
    limits = limits or Limits()
    public = public or is_release()
    notebook = sub.notebook  # frames of an extracted notebook are mapped back to "cell N, line M"
    session = WorkerSession(sub.files, sub.module_file, limits=limits, blocked_imports=blocked_imports,
                            launcher=launcher, frame_map=notebook.map_frames if notebook else None)
    if budget_seconds is not None:
        session.deadline = started + budget_seconds
    results: list[ExerciseResult] = []
    timed_out: set[str] = set()  # shared by the exercises: a looping function costs its limit once
    graded_api = "cs231n"
    try:
        t0 = time.monotonic()
        hello = _start(session, sub)
        timings["worker_start"] = getattr(session, "start_seconds", None) or (time.monotonic() - t0)
        if not exercise_ids:  # the default set: the exercises of this submission's API profile
            profile = _api_profile(api, hello, sub)
            chosen = [ex for ex in chosen if ex.api == profile] or chosen  # a given set without that profile: as is
        profiles = {ex.api for ex in chosen}
        graded_api = profiles.pop() if len(profiles) == 1 else "cs231n"
        for ex in chosen:
            defs = public_checks(checks_for(ex)) if public else checks_for(ex)
            if not defs:
                continue
            if hello.status == "ready":
                ctx = Context(session, hello.functions, seed, ex, ex.call_seconds, thorough=thorough)
                ctx.timed_out = timed_out
                checks = [run_check(d, ctx) for d in defs]
                for c in checks:
                    timings[c.kind] = timings.get(c.kind, 0.0) + c.seconds
            else:
                checks = [_unloadable(d, ex, hello) for d in defs]
            results.append(ExerciseResult(ex.id, ex.title, sum(c.score for c in checks),
                                          sum(c.max_score for c in checks), checks))
    finally:
        t0 = time.monotonic()
        session.close()
        timings["worker_close"] = time.monotonic() - t0
    timings["total"] = time.monotonic() - started
    result = GradeResult(
        grader_version=__version__,
        submission=SubmissionInfo(sub.path, sub.sha256, sub.kind, sub.module_file),
        seed=seed,
        isolation=session.isolation,
        score=sum(e.score for e in results),
        max_score=sum(e.max_score for e in results),
        duration_s=round(time.monotonic() - started, 3),
        exercises=results,
        load_problems=[LoadNote(**asdict(p)) for p in sub.problems],
        output=session.output,
        mode="public" if public else "full",
        timings={k: round(v, 4) for k, v in timings.items()},
        api=graded_api,
    )
    if notebook:
        notebook.adapt(result)
    return result


def _api_profile(api: str, hello: ImportOutcome, sub: Submission) -> str:
    """``api`` unless "auto": then from the names the worker reported (the file's text if it did not import)."""
    if api != "auto":
        return api
    from .dls import detect_api

    if hello.status == "ready":
        return detect_api(hello.functions)
    return detect_api((), sub.files.get(sub.module_file, b"").decode("utf-8", "replace"))


def _start(session: WorkerSession, sub: Submission) -> ImportOutcome:
    fatal = [p for p in sub.problems if p.fatal]
    if fatal:
        p = fatal[0]
        return ImportOutcome("load_error", exc_msg=p.message, detail=p.hint,
                             frames=[{"file": p.file, "line": p.line, "func": "<module>", "code": ""}] if p.line else [])
    return session.start()


_IMPORT_HINTS = {
    "timeout": "Your file does work at import time that never finishes: move top-level code (training loops, "
               "input(), while True) under `if __name__ == '__main__':`.",
    "crashed": "Your file ends the process while it is being imported (sys.exit, os._exit, exit()): remove that "
               "call or move it under `if __name__ == '__main__':`.",
    "import_error": "Your file raises an exception while it is being imported: run `python rnn_layers.py` "
                    "yourself and fix the first error it shows.",
}


def _unloadable(d, ex: Exercise, hello: ImportOutcome) -> CheckResult:
    """Every check of a submission that could not be loaded or imported, with the reason."""
    points = ex.points_for(d.function, d.name)
    frames = [Frame(**f) for f in hello.frames]
    where = f" ({frames[-1].file}, line {frames[-1].line}{': ' + frames[-1].code.strip() if frames[-1].code else ''})" if frames else ""
    if hello.status == "load_error":
        status, message, hint = "error", f"your file could not be loaded: {hello.exc_msg}", hello.detail
    elif hello.status == "import_error":
        status = "error"
        message = f"importing your file raised {hello.exc_type}: {hello.exc_msg}{where}"
        hint = _IMPORT_HINTS["import_error"]
        if hello.exc_type == "ImportError" and "not allowed" in hello.exc_msg:
            hint = "Use numpy only: the exercise is to write the maths yourself."
    elif hello.status == "timeout":
        status, message, hint = "timeout", f"importing your file did not finish: {hello.detail}", _IMPORT_HINTS["timeout"]
    elif hello.status == "infra_error":
        status, message, hint = "error", f"grader infrastructure error: {hello.detail} (not your fault)", "Run the grader again."
    else:
        status, message, hint = "error", f"your file could not be imported: {hello.detail}", _IMPORT_HINTS["crashed"]
    result = CheckResult(id=d.id, exercise=d.exercise, function=d.function, kind=d.kind, status=status, score=0.0,
                         max_score=points, message=message, hint=hint, traceback=frames)
    if hello.status == "infra_error":
        result.metrics["infrastructure"] = True
    return result
