"""Grade one submission: load -> sandboxed worker -> checks -> ``GradeResult`` (plain data).

This is the only module that ties the layers together. It never imports the submission; the
worker does. If the file cannot be loaded or imported, every check still gets a result (error or
timeout, with the reason), so a report always accounts for every point.
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass, field

from . import __version__, split
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
    jobs: int = 1,
) -> GradeResult:
    """Grade a submission. Raises ``LoadError`` (bad path, no module) and ``KeyError`` (bad id).

    ``budget_seconds`` caps the whole grading (import and calls): once it is used up, every
    remaining call is a ``timeout`` at once. Bulk grading sets it; ``None`` means no cap.
    ``public`` runs only the checks that need no reference (docs/release.md); inside a student
    release bundle it is always on. ``api`` is the API profile ("cs231n", "dls" or "auto": detected
    from the function names the file defines); without ``exercise_ids`` only its exercises run.
    ``jobs`` > 1 grades groups of exercises in forked copies of this process, each with its own
    worker (grader/split.py); the result is the same as with one job. Call it with no other thread
    running (a fork copies only the calling thread).
    """
    started = time.monotonic()
    timings: dict[str, float] = {}  # seconds per phase (docs/performance.md); rounded below
    if isinstance(path_or_submission, Submission):
        sub = path_or_submission
    else:
        sub = load(path_or_submission, blocked_imports)
        timings["load"] = time.monotonic() - started
    run = _Run(sub, select_exercises(exercise_ids, exercises or load_exercises(api=None)), bool(exercise_ids),
               seed, limits or Limits(), blocked_imports, thorough, public or is_release(), api, started, budget_seconds)
    helpers = _fork_helpers(run, launcher, jobs)  # before this process starts a worker or a thread
    session = run.session(launcher)
    results: dict[str, ExerciseResult] = {}
    graded_api = "cs231n"
    try:
        t0 = time.monotonic()
        hello = _start(session, sub)
        timings["worker_start"] = getattr(session, "start_seconds", None) or (time.monotonic() - t0)
        mine = run.exercises_for(hello)
        profiles = {ex.api for ex in mine}
        graded_api = profiles.pop() if len(profiles) == 1 else "cs231n"
        groups = split.plan_groups(mine, jobs) if helpers else [mine]
        t0 = time.monotonic()
        results.update((r.id, r) for r in run.grade_group(session, hello, groups[0], timings))
        # a copy grades about as much as this process did; one that takes far longer is stuck (a fork of a
        # process with other threads can be): it is stopped and its group graded here
        patience = max(split.MIN_PATIENCE, split.PATIENCE_FACTOR * (time.monotonic() - t0))
        copied_output = []  # what the student's code printed in the copies (after its import, printed here too)
        for index, group in enumerate(groups[1:], start=1):
            done = helpers[index].result(timeout=patience) if index in helpers else None
            if done is not None and done["group"] == [ex.id for ex in group]:
                results.update((e["id"], ExerciseResult.from_dict(e)) for e in done["exercises"])
                for kind, seconds in done["timings"].items():
                    timings[kind] = timings.get(kind, 0.0) + seconds
                copied_output.append(done["output"][:run.limits.output_kept_bytes])
            else:  # the copy failed, or its import came out differently: grade the group here
                split.fallbacks += 1
                results.update((r.id, r) for r in run.grade_group(session, hello, group, timings))
        output = session.output + "".join(copied_output)
    finally:
        for helper in helpers.values():
            helper.cancel()
        t0 = time.monotonic()
        session.close()
        timings["worker_close"] = time.monotonic() - t0
    timings["total"] = time.monotonic() - started
    ordered = [results[ex.id] for ex in run.chosen if ex.id in results]
    result = GradeResult(
        grader_version=__version__,
        submission=SubmissionInfo(sub.path, sub.sha256, sub.kind, sub.module_file),
        seed=seed,
        isolation=session.isolation,
        score=sum(e.score for e in ordered),
        max_score=sum(e.max_score for e in ordered),
        duration_s=round(time.monotonic() - started, 3),
        exercises=ordered,
        load_problems=[LoadNote(**asdict(p)) for p in sub.problems],
        output=output,
        mode="public" if run.public else "full",
        timings={k: round(v, 4) for k, v in timings.items()},
        api=graded_api,
    )
    if sub.notebook:
        sub.notebook.adapt(result)
    return result


@dataclass
class _Run:
    """One grading run's settings: what this process and its forked copies (grader/split.py) share."""

    sub: Submission
    chosen: list[Exercise]
    ids_given: bool
    seed: int
    limits: Limits
    blocked_imports: tuple[str, ...]
    thorough: bool
    public: bool
    api: str
    started: float
    budget_seconds: float | None
    # functions whose call timed out, shared by the exercises this process grades: a looping function costs
    # its time limit once, not once per exercise that calls it (each forked copy has its own)
    timed_out: set = field(default_factory=set)

    def session(self, launcher) -> WorkerSession:
        notebook = self.sub.notebook  # frames of an extracted notebook are mapped back to "cell N, line M"
        session = WorkerSession(self.sub.files, self.sub.module_file, limits=self.limits,
                                blocked_imports=self.blocked_imports, launcher=launcher,
                                frame_map=notebook.map_frames if notebook else None)
        if self.budget_seconds is not None:
            session.deadline = self.started + self.budget_seconds
        return session

    def exercises_for(self, hello: ImportOutcome | None) -> list[Exercise]:
        """The chosen exercises; without ids, those of the submission's API profile (from its import, or
        from its text when ``hello`` is None)."""
        if self.ids_given:
            return self.chosen
        profile = _api_profile(self.api, hello, self.sub)
        return [ex for ex in self.chosen if ex.api == profile] or self.chosen  # a set without that profile: as is

    def grade_group(self, session: WorkerSession, hello: ImportOutcome, group: list[Exercise],
                    timings: dict) -> list[ExerciseResult]:
        out = []
        for ex in group:
            defs = public_checks(checks_for(ex)) if self.public else checks_for(ex)
            if not defs:
                continue
            if hello.status == "ready":
                ctx = Context(session, hello.functions, self.seed, ex, ex.call_seconds, thorough=self.thorough,
                              watch_mutation=any(d.name == "no_mutation" for d in defs))
                ctx.timed_out = self.timed_out
                checks = [run_check(d, ctx) for d in defs]
                for c in checks:
                    timings[c.kind] = timings.get(c.kind, 0.0) + c.seconds
            else:
                checks = [_unloadable(d, ex, hello) for d in defs]
            out.append(ExerciseResult(ex.id, ex.title, sum(c.score for c in checks),
                                      sum(c.max_score for c in checks), checks))
        return out


def _fork_helpers(run: _Run, launcher, jobs: int) -> dict[int, split.Forked]:
    """One forked copy per group after the first (grader/split.py), or none: one job, one group, a
    launcher that cannot give a copy its own, or a submission that will not import anyway."""
    sibling = getattr(launcher, "for_slot", None) if getattr(launcher, "slot", 0) is None else None
    if jobs < 2 or sibling is None or not split.can_fork() or any(p.fatal for p in run.sub.problems):
        return {}
    expected = split.plan_groups(run.exercises_for(None), jobs)  # the copies plan again from their own import
    return {index: split.Forked(functools.partial(_helper, run, sibling, index, jobs))
            for index in range(1, len(expected))}


def _helper(run: _Run, new_launcher, index: int, jobs: int) -> dict:
    """In a forked copy: grade group ``index`` of the plan with its own launcher and worker."""
    launcher = new_launcher(None)  # its own slot uid when the grader is root; never the parent's template
    session = run.session(launcher)
    timings: dict[str, float] = {}
    try:
        hello = _start(session, run.sub)
        imported = session.output  # printed at import: the parent's worker printed it too
        groups = split.plan_groups(run.exercises_for(hello), jobs)
        group = groups[index] if index < len(groups) else []
        exercises = run.grade_group(session, hello, group, timings)
        output = session.output[len(imported):]
    finally:
        session.close()
        launcher.close()
    return {"group": [ex.id for ex in group], "exercises": [e.to_dict() for e in exercises],
            "timings": timings, "output": output}


def _api_profile(api: str, hello: ImportOutcome | None, sub: Submission) -> str:
    """``api`` unless "auto": then from the names the worker reported (the file's text if it did not import)."""
    if api != "auto":
        return api
    from .dls import detect_api

    if hello is not None and hello.status == "ready":
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
