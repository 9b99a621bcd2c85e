"""The gradebook: one SQLite file, the single source of truth of a bulk run.

WAL mode with ``synchronous=FULL``: every commit is durable when ``record`` returns, and a run
killed at any moment loses nothing that was committed. One writer only: the bulk command's main
thread; worker threads never touch the database.

A result is keyed by (student, submission sha256, grader version, configuration hash): grading
the same thing again replaces the row in place (one transaction), a changed submission or
configuration is simply a key that has no row yet. ``students`` holds who is in the current
download and which key is current for them; the ``current`` view joins the two.

Schema changes are migrations appended to ``MIGRATIONS``; ``PRAGMA user_version`` records how
many have been applied. Never edit a released migration: add a new one.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from . import BulkInputError

MIGRATIONS: list[str] = [
    # 1: runs, students, results with their per-exercise and per-check rows, the current view
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running',      -- running | finished | interrupted
        grader_version TEXT NOT NULL,
        config_hash TEXT NOT NULL,
        config_json TEXT NOT NULL,
        source TEXT NOT NULL,
        forced INTEGER NOT NULL DEFAULT 0,
        graded INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE students (
        student TEXT PRIMARY KEY,                    -- sanitised key: file names and joins
        present INTEGER NOT NULL DEFAULT 1,          -- in the latest download (or roster)
        state TEXT NOT NULL,                         -- submitted | skipped | no_submission
        layout TEXT NOT NULL,
        source_id TEXT NOT NULL,
        roster_id TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        login TEXT NOT NULL DEFAULT '',
        late INTEGER NOT NULL DEFAULT 0,
        entry TEXT NOT NULL DEFAULT '',              -- what was graded, as named in SUBMISSIONS
        note TEXT NOT NULL DEFAULT '',               -- why skipped; older versions not graded
        sha256 TEXT,                                 -- the current key ...
        grader_version TEXT,
        config_hash TEXT,
        code_hash TEXT,                              -- normalised-code fingerprint (dedupe)
        run_id INTEGER REFERENCES runs(id)
    );
    CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        student TEXT NOT NULL REFERENCES students(student),
        sha256 TEXT NOT NULL,
        grader_version TEXT NOT NULL,
        config_hash TEXT NOT NULL,
        status TEXT NOT NULL,                        -- passed | graded | timeout | unloadable | infra_error
        score REAL,                                  -- NULL for infra_error: never a 0
        max_score REAL,
        reason TEXT NOT NULL DEFAULT '',
        duration_s REAL NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 1,
        result_json TEXT,                            -- GradeResult.to_json(), = results/<student>.json
        error TEXT NOT NULL DEFAULT '',              -- infrastructure error: the traceback
        stale INTEGER NOT NULL DEFAULT 0,            -- set by --force: regrade on the next run
        run_id INTEGER REFERENCES runs(id),
        graded_at TEXT NOT NULL,
        UNIQUE (student, sha256, grader_version, config_hash)
    );
    CREATE TABLE exercise_scores (
        result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
        exercise TEXT NOT NULL,
        title TEXT NOT NULL,
        score REAL NOT NULL,
        max_score REAL NOT NULL,
        PRIMARY KEY (result_id, exercise)
    );
    CREATE TABLE checks (
        result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
        check_id TEXT NOT NULL,
        exercise TEXT NOT NULL,
        status TEXT NOT NULL,
        score REAL NOT NULL,
        max_score REAL NOT NULL,
        diagnosis TEXT,                              -- CheckResult.diagnosis.bug, when named
        seconds REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (result_id, check_id)
    );
    CREATE INDEX checks_by_check ON checks (check_id, status);
    CREATE VIEW current AS
        SELECT s.student, s.state, s.layout, s.source_id, s.roster_id, s.name, s.email, s.login, s.late,
               s.entry, s.note, s.sha256, s.code_hash, s.grader_version, s.config_hash,
               r.id AS result_id, r.status, r.score, r.max_score, r.reason, r.duration_s, r.attempts,
               r.result_json, r.error, r.stale, r.run_id, r.graded_at
        FROM students s
        LEFT JOIN results r ON r.student = s.student AND r.sha256 = s.sha256
             AND r.grader_version = s.grader_version AND r.config_hash = s.config_hash
        WHERE s.present = 1;
    """,
]


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class ResultRow:
    student: str
    sha256: str
    grader_version: str
    config_hash: str
    status: str
    score: float | None
    max_score: float | None
    reason: str = ""
    duration_s: float = 0.0
    attempts: int = 1
    result_json: str | None = None
    error: str = ""


class Gradebook:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        except sqlite3.Error as exc:
            raise BulkInputError(f"cannot open the gradebook {self.path}: {exc}",
                                 "Check that OUT is a writable folder.") from None
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            have = self.version
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise BulkInputError(f"{self.path} is not a readable rnngrade gradebook ({exc})",
                                 "Use another OUT folder, or move the damaged file away.") from None
        try:
            self.migrate()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise BulkInputError(f"could not upgrade the gradebook {self.path} from schema {have} ({exc}); it was "
                                 "left as it was", "Report this to the rnngrade maintainers, with the message.") from None

    # ------------------------------------------------------------ schema

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        have = self.version
        if have > len(MIGRATIONS):
            raise BulkInputError(f"{self.path} was written by a newer rnngrade (schema {have}, this one knows "
                                 f"{len(MIGRATIONS)})", "Upgrade rnngrade (pip install -U rnngrade).")
        for number, script in enumerate(MIGRATIONS[have:], start=have + 1):
            # one transaction per migration: DDL and user_version commit together or not at all
            try:
                self.db.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------ runs and students

    def begin_run(self, grader_version: str, config_hash: str, config_json: str, source: str, forced: bool) -> int:
        with self._tx():
            cur = self.db.execute(
                "INSERT INTO runs (started_at, grader_version, config_hash, config_json, source, forced) "
                "VALUES (?, ?, ?, ?, ?, ?)", (now(), grader_version, config_hash, config_json, source, int(forced)))
        return cur.lastrowid

    def finish_run(self, run_id: int, status: str, graded: int) -> None:
        with self._tx():
            self.db.execute("UPDATE runs SET finished_at = ?, status = ?, graded = ? WHERE id = ?",
                            (now(), status, graded, run_id))

    def sync_students(self, rows: list[dict], run_id: int) -> None:
        """Make ``rows`` the present students (one transaction); others stay, marked absent."""
        cols = ("student", "state", "layout", "source_id", "roster_id", "name", "email", "login", "late", "entry",
                "note", "sha256", "grader_version", "config_hash", "code_hash")
        sets = ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
        with self._tx():
            self.db.execute("UPDATE students SET present = 0")
            self.db.executemany(
                f"INSERT INTO students ({', '.join(cols)}, present, run_id) VALUES ({', '.join('?' * len(cols))}, 1, ?) "
                f"ON CONFLICT (student) DO UPDATE SET {sets}, present = 1, run_id = excluded.run_id",
                [tuple(r.get(c) for c in cols) + (run_id,) for r in rows])

    def mark_stale(self) -> int:
        """--force: every current result is to be regraded (also by a later run if this one is killed)."""
        with self._tx():
            cur = self.db.execute(
                "UPDATE results SET stale = 1 WHERE id IN (SELECT result_id FROM current WHERE result_id IS NOT NULL)")
        return cur.rowcount

    # ------------------------------------------------------------ results

    def record(self, row: ResultRow, result=None, run_id: int | None = None) -> int:
        """Store one result (replacing the same key) with its exercise and check rows: one transaction."""
        with self._tx():
            self.db.execute("DELETE FROM results WHERE student = ? AND sha256 = ? AND grader_version = ? AND config_hash = ?",
                            (row.student, row.sha256, row.grader_version, row.config_hash))
            cur = self.db.execute(
                "INSERT INTO results (student, sha256, grader_version, config_hash, status, score, max_score, reason, "
                "duration_s, attempts, result_json, error, run_id, graded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (row.student, row.sha256, row.grader_version, row.config_hash, row.status, row.score, row.max_score,
                 row.reason, row.duration_s, row.attempts, row.result_json, row.error, run_id, now()))
            rid = cur.lastrowid
            if result is not None:
                self.db.executemany(
                    "INSERT INTO exercise_scores VALUES (?, ?, ?, ?, ?)",
                    [(rid, e.id, e.title, e.score, e.max_score) for e in result.exercises])
                self.db.executemany(
                    "INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(rid, c.id, c.exercise, c.status, c.score, c.max_score,
                      getattr(getattr(c, "diagnosis", None), "bug", None), c.seconds) for c in result.checks])
        return rid

    def current(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM current ORDER BY student").fetchall()

    def exercise_scores(self) -> dict[int, dict[str, sqlite3.Row]]:
        out: dict[int, dict[str, sqlite3.Row]] = {}
        for r in self.db.execute("SELECT e.* FROM exercise_scores e JOIN current c ON c.result_id = e.result_id"):
            out.setdefault(r["result_id"], {})[r["exercise"]] = r
        return out

    def last_run(self) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()

    def close(self) -> None:
        self.db.close()

    def _tx(self):
        return _Transaction(self.db)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any error)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        return False
