"""The active half of the pytest plugin (loaded only with ``--rnn-submission``).

Check ids come from the exercise configuration before anything runs (``--collect-only`` grades
nothing); the first item to run grades the submission, and every item reads its check from that
one result: ``passed`` passes, ``skipped`` skips with the grader's reason, ``failed``, ``error``
and ``timeout`` fail with the grader's advice (message, call, traceback lines, hint) as the text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..engine import DEFAULT_SEED, grade, select_exercises
from ..exercises import ExerciseConfigError, load_exercises
from ..loader import LoadError, load
from ..render.advice import check_details
from ..results import CheckResult, GradeResult

MARKER = "rnngrade"


class CheckNotPassed(Exception):
    def __init__(self, check: CheckResult):
        super().__init__(check.id)
        self.check = check


class RnnGradePlugin:
    def __init__(self, config: pytest.Config, path: str, exercise_ids: list[str]):
        from ..checks.registry import checks_for

        self.config = config
        self.path = Path(path)
        try:
            self.submission = load(self.path)
            exercises = select_exercises(list(exercise_ids) or None, load_exercises())
            self.check_ids = [d.id for ex in exercises for d in checks_for(ex)]
        except LoadError as exc:
            raise pytest.UsageError(f"--rnn-submission: {exc.message} ({exc.hint})") from None
        except KeyError as exc:
            raise pytest.UsageError(f"--rnn-exercise: {exc.args[0]}") from None
        except ExerciseConfigError as exc:
            raise pytest.UsageError(f"rnngrade exercise configuration: {exc}") from None
        self.exercise_ids = [ex.id for ex in exercises]
        self._result: GradeResult | None = None
        self._failure: BaseException | None = None
        config.addinivalue_line("markers", f"{MARKER}: a check of rnngrade on --rnn-submission")

    def pytest_report_header(self, config):
        return f"rnngrade: grading {self.path} ({', '.join(self.exercise_ids)})"

    @pytest.hookimpl(tryfirst=True)  # before -k / -m deselect and before --lf
    def pytest_collection_modifyitems(self, session: pytest.Session, config, items: list) -> None:
        path = self.path.resolve()
        try:
            nodeid = path.relative_to(config.rootpath).as_posix()
        except ValueError:
            nodeid = path.as_posix()
        collector = Submission.from_parent(session, name="submission", path=path, nodeid=nodeid)
        new = [CheckItem.from_parent(collector, name=cid, plugin=self) for cid in self.check_ids]
        items.extend(new)
        config.hook.pytest_collectreport(report=pytest.CollectReport(collector.nodeid, "passed", None, new))

    def result(self) -> GradeResult:
        if self._failure is not None:
            raise self._failure
        if self._result is None:
            try:
                self._result = grade(self.submission, self.exercise_ids, seed=DEFAULT_SEED)
            except Exception as exc:
                self._failure = exc
                raise
        return self._result

    def check(self, check_id: str) -> CheckResult:
        return next(c for c in self.result().checks if c.id == check_id)


class Submission(pytest.Collector):
    """The graded submission; its items are made by the plugin, so there is nothing to collect."""

    def collect(self):
        return []


class CheckItem(pytest.Item):
    def __init__(self, *, plugin: RnnGradePlugin, **kwargs):
        super().__init__(**kwargs)
        self.plugin = plugin
        self.add_marker(MARKER)

    def runtest(self) -> None:
        c = self.plugin.check(self.name)
        if c.status == "skipped":
            pytest.skip(f"{c.id}: {c.message}" if c.message else c.id)
        if c.status != "passed":
            raise CheckNotPassed(c)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckNotPassed):
            return check_details(excinfo.value.check, heading=False)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"rnngrade {self.name}"
