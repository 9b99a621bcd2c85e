"""One bulk run, start to finish: check inputs, discover, plan, grade in parallel, commit, report.

Order of effects, chosen so that bad input never touches OUT and a kill at any moment is safe:

1. validate OUT, the roster and the exercise ids; unpack and scan SUBMISSIONS into a private temp
   folder; load every unit (read and parse only). Any problem: ``BulkInputError``, OUT untouched.
2. lock OUT, open the gradebook, record the run and the present students (one transaction);
   ``--force`` marks every current result stale (one transaction).
3. grade what has no current, valid result; the main thread writes each submission's files
   atomically, then commits its row (one transaction): a committed row always has its files.
4. rewrite ``grades.csv`` and ``summary.html`` from the gradebook.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import engine
from ..exercises import ExerciseConfigError
from ..results import GradeResult
from . import BulkInputError, scheduler
from .gradebook import Gradebook, ResultRow
from .identity import Discovery, resolve
from .inputs import open_submissions
from .layouts import scan
from .outputs import (
    GRADES_CSV,
    files_match,
    grade_rows,
    grades_csv,
    remove_result_files,
    repair_result_files,
    write_if_changed,
    write_result_files,
)
from .plan import Config, Prepared, grader_version, prepare
from .progress import make_progress
from .roster import read_roster

GRADEBOOK = "gradebook.sqlite"
SUMMARY = "summary.html"
LOCK = ".rnngrade.lock"
HARD_GRACE_SECONDS = 60.0  # on top of the per-submission budget before a slot is declared stuck
SHOW = 15  # lines per list in the recognition summary


@dataclass
class BatchOptions:
    submissions: Path
    out: Path
    jobs: int
    force: bool = False
    roster: Path | None = None
    config: Config = field(default_factory=Config)
    progress: str = "auto"
    launcher: str | None = None  # "module:factory" of a sandbox launcher (tests use failing ones)
    attempts: int = 3  # tries per submission when the infrastructure fails
    retry_delay: float = 0.5
    hard_grace: float = HARD_GRACE_SECONDS
    dask: str | None = None  # a Dask scheduler address: grade on that cluster instead of local slots


@dataclass
class BatchReport:
    discovery: Discovery
    counts: Counter
    graded_now: int = 0
    already: int = 0
    repaired: int = 0
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 2 if self.counts.get("infra_error") or self.counts.get("not_graded") else 0


def run_batch(opts: BatchOptions, console: Console | None = None) -> BatchReport:
    console = console or Console(highlight=False, soft_wrap=True)
    cfg = opts.config
    out = Path(opts.out)
    _check_out(out, Path(opts.submissions))
    roster = read_roster(opts.roster) if opts.roster else None
    try:
        engine.select_exercises(list(cfg.exercise_ids) or None, cfg.exercises())
    except KeyError as exc:
        raise BulkInputError(str(exc.args[0]), "Run `rnngrade exercises` to list the exercise ids.") from None
    except ExerciseConfigError as exc:
        raise BulkInputError(f"exercise configuration: {exc}", "Fix the exercise .toml file named above.") from None
    settings = {"config": cfg.to_settings(), "attempts": opts.attempts, "retry_delay": opts.retry_delay,
                "launcher": opts.launcher}
    with tempfile.TemporaryDirectory(prefix="rnngrade-bulk-") as tmp, _pool(opts, settings) as pool:
        root, left_out = open_submissions(opts.submissions, Path(tmp))
        found = scan(root)
        disc = resolve(found, roster)
        disc.left_out = left_out
        if not disc.units and not disc.skipped:
            raise BulkInputError(f"no submissions found in {opts.submissions}",
                                 "Expected an LMS download (Canvas, Moodle, Gradescope, GitHub Classroom) or one .py "
                                 "file, .zip or folder per student.")
        if (root / "rnn_layers.py").is_file() or (root / "cs231n" / "rnn_layers.py").is_file():
            raise BulkInputError(f"{opts.submissions} looks like ONE submission (it holds rnn_layers.py)",
                                 f"Grade it with `rnngrade check {opts.submissions}`, or pass the folder that holds "
                                 "one file or folder per student.")
        pool.warm(len(disc.units))  # the slots start up while the submissions are read below
        prepared = [prepare(u, Path(tmp) / "staging", cfg.blocked_imports) for u in disc.units]
        _print_recognised(console, opts, disc, prepared)
        if not prepared:
            raise BulkInputError(f"nothing to grade in {opts.submissions}: every submission was skipped (see above)",
                                 "Ask for .py files (or zips/folders holding rnn_layers.py).")
        out.mkdir(parents=True, exist_ok=True)
        with _locked(out):
            gb = Gradebook(out / GRADEBOOK)
            try:
                return _grade_all(opts, console, gb, disc, prepared, pool)
            finally:
                gb.close()


def _pool(opts: BatchOptions, settings: dict):
    """Local slot processes, or with ``opts.dask`` the Dask cluster (connected here, before OUT is touched)."""
    if not opts.dask:
        return scheduler.Pool(opts.jobs, settings)
    from .cluster import DaskPool

    levels = {f"grader.sandbox.isolation:{level}_launcher": level for level in ("process", "sandbox")}
    if opts.launcher is None:  # the level this machine would use, required of every worker
        from ..sandbox.isolation import choose_launcher

        settings["launcher"] = opts.launcher = f"grader.sandbox.isolation:{choose_launcher('auto').level}_launcher"
    if opts.launcher not in levels:
        raise BulkInputError(f"grading on Dask needs one of the standard isolation levels, not {opts.launcher}",
                             "Pass --isolation sandbox or --isolation process.")
    pool = DaskPool(opts.dask, settings, levels[opts.launcher])
    opts.jobs = pool.jobs
    return pool


def _jobs_text(opts, pool) -> str:
    if opts.dask and hasattr(pool, "describe"):
        return pool.describe()
    return f"{opts.jobs} job{'s' if opts.jobs != 1 else ''}"


def _grade_all(opts, console, gb: Gradebook, disc: Discovery, prepared: list[Prepared], pool) -> BatchReport:
    cfg, out = opts.config, Path(opts.out)
    version, chash = grader_version(), cfg.hash()
    run_id = gb.begin_run(version, chash, cfg.to_json(), str(opts.submissions), opts.force)
    gb.sync_students(_student_rows(disc, prepared, version, chash), run_id)
    if opts.force:
        gb.mark_stale()
    todo, already, repaired = _plan(gb, prepared, out)
    console.print(f"Gradebook {escape(str(out / GRADEBOOK))}: {already} already graded and unchanged"
                  f"{f' ({repaired} with their files rewritten)' if repaired else ''}, {len(todo)} to grade"
                  f"{' (--force)' if opts.force else ''}, {escape(_jobs_text(opts, pool))}")
    report = BatchReport(disc, Counter(), already=already, repaired=repaired)
    progress = make_progress(len(todo), opts.progress, console)
    by_id = {i: p for i, p in enumerate(todo)}
    tasks = [{"id": i, "key": p.key, "path": str(p.path), "rel": p.unit.rel, "sha256": p.sha256}
             for i, p in by_id.items()]

    def on_done(task: dict, reply: dict | None, error: str | None, seconds: float) -> None:
        if reply is None:
            reply = {"status": "infra_error", "reason": error, "error": error, "attempts": opts.attempts,
                     "sha256": task["sha256"]}
        _commit(gb, out, by_id[task["id"]], reply, version, chash, run_id)
        report.graded_now += 1
        progress.advance(reply["status"])

    def on_interrupt(running: int) -> None:
        if opts.dask:
            console.print(f"\ninterrupted: keeping the results that have arrived, cancelling the {running} other "
                          "task(s) on the cluster")
        else:
            console.print(f"\ninterrupted: waiting for the {running} running submission(s); press Ctrl-C again to "
                          "stop now")

    started = time.monotonic()
    try:
        finished = pool.run(tasks, on_done, cfg.budget_seconds + opts.hard_grace, attempts=opts.attempts,
                            on_tick=progress.tick, on_interrupt=on_interrupt)
    except KeyboardInterrupt:
        finished = False
    finally:
        progress.close()
    report.seconds = time.monotonic() - started
    report.interrupted = not finished
    gb.finish_run(run_id, "finished" if finished else "interrupted", report.graded_now)
    rows, ex_cols = grade_rows(gb)
    report.counts = Counter(r.status for r in rows)
    write_if_changed(out / GRADES_CSV, grades_csv(rows, ex_cols))
    from .summary import write_summary

    write_summary(gb, out / SUMMARY)
    _print_final(console, opts, report, rows, _jobs_text(opts, pool))
    return report


def _commit(gb: Gradebook, out: Path, p: Prepared, o: dict, version: str, chash: str, run_id: int) -> None:
    """Main thread only: files first (atomically), then one transaction."""
    key, sha, status = p.key, o.get("sha256") or p.sha256, o["status"]
    if status == "infra_error":
        remove_result_files(out, key)  # no valid result: no files that could be mistaken for one
        gb.record(ResultRow(key, sha, version, chash, status, None, None, o.get("reason") or "", 0.0,
                            o.get("attempts", 1), None, o.get("error") or ""), None, run_id)
        return
    result = GradeResult.from_dict(json.loads(o["result_json"]))
    write_result_files(out, key, o["result_json"], o["html"])
    gb.record(ResultRow(key, sha, version, chash, status, result.score, result.max_score, o.get("reason") or "",
                        result.duration_s, o.get("attempts", 1), o["result_json"], ""), result, run_id)


# ---------------------------------------------------------------- planning


def _plan(gb: Gradebook, prepared: list[Prepared], out: Path) -> tuple[list[Prepared], int, int]:
    """(to grade, slowest first as far as known; already graded; files rewritten)."""
    current = {r["student"]: r for r in gb.current()}
    slow = dict(gb.db.execute("SELECT student, MAX(duration_s) FROM results GROUP BY student").fetchall())
    todo, already, repaired = [], 0, 0
    for p in prepared:
        r = current.get(p.key)
        if r is not None and r["status"] is not None and r["status"] != "infra_error" and not r["stale"]:
            already += 1
            if not files_match(out, p.key, r["result_json"]):
                repair_result_files(out, p.key, r["result_json"])
                repaired += 1
            continue
        todo.append(p)
    todo.sort(key=lambda p: (-(slow.get(p.key) or 0.0), p.key))
    return todo, already, repaired


def _student_rows(disc: Discovery, prepared: list[Prepared], version: str, chash: str) -> list[dict]:
    rows = []

    def base(s, state, entry, note):
        return dict(student=s.key, state=state, layout=s.layout, source_id=s.source_id, roster_id=s.roster_id,
                    name=s.name, email=s.email, login=s.login, late=int(s.late), entry=entry, note=note)

    for p in prepared:
        u = p.unit
        note = "; ".join(filter(None, [
            ("older, not graded: " + ", ".join(e.rel for e in u.superseded)) if u.superseded else "",
            ("not gradable, not graded: " + ", ".join(e.rel for e in u.ignored)) if u.ignored else ""]))
        rows.append(dict(base(u.student, "submitted", u.rel, note), sha256=p.sha256,
                         grader_version=version, config_hash=chash, code_hash=p.code_hash))
    for s in disc.skipped:
        rows.append(base(s.student, "skipped", ", ".join(e.rel for e in s.entries), s.reason))
    for s in disc.no_submission:
        rows.append(base(s, "no_submission", "", "in the roster, but no submission was found"))
    return rows


# ---------------------------------------------------------------- OUT


def _check_out(out: Path, submissions: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BulkInputError(f"OUT {out} is a file, not a folder",
                             "Pass a folder for the results (it is created if missing).")
    if out.is_dir() and any(p.name != LOCK for p in out.iterdir()) and not (out / GRADEBOOK).exists():
        raise BulkInputError(f"OUT {out} is a folder with other files and no {GRADEBOOK}",
                             "Pass a new or empty folder, or the OUT folder of an earlier `rnngrade grade` run.")
    if submissions.is_dir():
        try:
            Path(out).resolve().relative_to(submissions.resolve())
        except ValueError:
            return
        raise BulkInputError(f"OUT {out} is inside SUBMISSIONS {submissions}",
                             "Put the results somewhere else, or a rerun would grade them as a student.")


class _locked:
    """An exclusive lock on OUT for the whole run (released by the OS even after SIGKILL)."""

    def __init__(self, out: Path):
        self.path = out / LOCK

    def __enter__(self):
        self.fh = open(self.path, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "?"
            self.fh.close()
            raise BulkInputError(f"another `rnngrade grade` (pid {holder}) is writing to {self.path.parent}",
                                 "Wait for it to finish, or use another OUT folder.") from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(str(os.getpid()))
        self.fh.flush()
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()
        return False


# ---------------------------------------------------------------- what people see


def _limited(lines: list[str]) -> list[str]:
    return lines[:SHOW] + ([f"... and {len(lines) - SHOW} more"] if len(lines) > SHOW else [])


def _print_recognised(console: Console, opts: BatchOptions, disc: Discovery, prepared: list[Prepared]) -> None:
    p = console.print
    n_students = len(disc.units) + len(disc.skipped)
    p(f"[bold]Recognised[/bold] {escape(str(opts.submissions))}: layout {escape(disc.layout)}, "
      f"{n_students} student{'s' if n_students != 1 else ''} ({len(disc.units)} to grade, {len(disc.skipped)} skipped)")
    if disc.skipped:
        p(f"  skipped {len(disc.skipped)}:")
        for line in _limited([f"{s.student.key}: {s.reason}" for s in disc.skipped]):
            p(f"    {escape(line)}")
    several = disc.several_files()
    if several:
        p(f"  several files for {len(several)} student{'s' if len(several) != 1 else ''} (the newest is graded):")
        for line in _limited(several):
            p(f"    {escape(line)}")
    refused = [f"{x.key}: {x.refused}" for x in prepared if x.refused]
    if refused:
        p(f"  cannot be loaded ({len(refused)}; graded as unloadable, with the reason in their reports):")
        for line in _limited(refused):
            p(f"    {escape(line)}")
    ignored = [f"{i.rel} ({i.reason})" for i in disc.ignored] + [f"{n} ({r})" for n, r in disc.left_out]
    if ignored:
        p(f"  ignored {len(ignored)}:")
        for line in _limited(ignored):
            p(f"    {escape(line)}")
    if opts.roster:
        matched = len([s for s in disc.students if s.roster_id and s.layout != "roster"])
        p(f"  roster {escape(str(opts.roster))}: {matched} matched")
        for label, people in (("not in the roster, graded under their LMS identity", disc.not_in_roster),
                              ("in the roster, no submission", disc.no_submission)):
            if people:
                names = ", ".join(s.key for s in people[:SHOW]) + (" ..." if len(people) > SHOW else "")
                p(f"    {label} ({len(people)}): {escape(names)}")


def _print_final(console: Console, opts: BatchOptions, report: BatchReport, rows, jobs: str) -> None:
    table = Table(title="Class summary", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("status")
    table.add_column("students", justify="right")
    for status in ("passed", "graded", "timeout", "unloadable", "infra_error", "not_graded", "skipped", "no_submission"):
        if report.counts.get(status):
            table.add_row(status.replace("_", " "), str(report.counts[status]))
    console.print()
    console.print(table)
    scores = sorted(r.score for r in rows if r.score is not None)
    if scores:
        top = max(r.max_score for r in rows if r.max_score is not None)
        mid = scores[len(scores) // 2] if len(scores) % 2 else (scores[len(scores) // 2 - 1] + scores[len(scores) // 2]) / 2
        console.print(f"score: mean {sum(scores) / len(scores):.1f}, median {mid:g}, of {top:g}")
    rate = report.graded_now / report.seconds if report.seconds > 0 else 0.0
    console.print(f"graded now: {report.graded_now} in {report.seconds:.1f} s ({rate:.2f} submissions/s, "
                  f"{escape(jobs)}); already graded: {report.already}")
    infra = [r for r in rows if r.status == "infra_error"]
    for r in infra[:SHOW]:
        console.print(f"[red]infrastructure error[/red] {escape(r.student)}: {escape(r.reason)}")
    out = Path(opts.out)
    console.print(f"wrote {escape(str(out / GRADES_CSV))}, {escape(str(out / SUMMARY))}, "
                  f"{escape(str(out / 'reports'))}/<student>.html, {escape(str(out / 'results'))}/<student>.json")
    if report.interrupted:
        console.print("interrupted: everything graded so far is saved; run the same command again to finish")
    elif infra:
        console.print("[red]error:[/red] some submissions have no grade because of infrastructure errors (never "
                      "a 0); run the same command again to grade them")
    elif report.counts.get("not_graded"):
        console.print("[red]error:[/red] some submissions were not graded; run the same command again")


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


__all__ = ["BatchOptions", "BatchReport", "run_batch", "default_jobs"]
