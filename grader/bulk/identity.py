"""From scanned entries to students: roster mapping, newest-wins, and unique file-safe keys.

A student's *key* names their files (``reports/<key>.html``) and their gradebook rows, so it must
be safe as a file name, unique (also on case-insensitive file systems) and the same on every run
over the same download: it is the roster id when the roster matched, otherwise built from the
naming scheme (``doejane_12345`` for Canvas, ``Jane_Doe_12345`` for Moodle, the SID for
Gradescope, the GitHub user for Classroom, the file or folder name otherwise). Keys that would
collide get a short hash of the identity they stand for, never a position-dependent counter.

Several entries of one student: the files of one LMS submission (Canvas and Moodle flatten them)
are graded together; of several versions of one file (Canvas's ``rnn_layers-1.py``) or several
submissions, the newest is graded and the others are reported as not graded.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .layouts import Entry, Ignored, Scan
from .roster import Roster

GRADABLE = ("py", "zip", "folder", "notebook")
MAX_KEY = 64
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


@dataclass
class Student:
    key: str
    layout: str
    source_id: str
    label: str = ""
    name: str = ""
    email: str = ""
    login: str = ""
    late: bool = False
    roster_id: str = ""
    members: list = field(default_factory=list)


@dataclass
class Unit:
    """What is graded for one student: one or more entries taken together."""

    student: Student
    entries: list[Entry]
    superseded: list[Entry] = field(default_factory=list)
    ignored: list[Entry] = field(default_factory=list)

    @property
    def rel(self) -> str:
        return ", ".join(e.rel for e in self.entries)


@dataclass
class Skipped:
    student: Student
    reason: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Discovery:
    root: Path
    layouts: Counter
    units: list[Unit] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    no_submission: list[Student] = field(default_factory=list)  # in the roster, nothing submitted
    not_in_roster: list[Student] = field(default_factory=list)  # submitted, not matched in the roster
    left_out: list[tuple[str, str]] = field(default_factory=list)  # zip members not unpacked

    @property
    def students(self) -> list[Student]:
        return [u.student for u in self.units] + [s.student for s in self.skipped] + self.no_submission

    @property
    def layout(self) -> str:
        if not self.layouts:
            return "none"
        if len(self.layouts) == 1:
            return next(iter(self.layouts))
        return "mixed (" + ", ".join(f"{k} {v}" for k, v in self.layouts.most_common()) + ")"

    def several_files(self) -> list[str]:
        """One line per student whose download held more than what was graded."""
        lines = []
        for u in self.units:
            if u.superseded or u.ignored:
                parts = [f"graded {u.rel}" + (" (newest)" if u.superseded else "")]
                if u.superseded:
                    parts.append("not graded (older): " + ", ".join(e.rel for e in u.superseded))
                if u.ignored:
                    parts.append("not graded (not gradable): " + ", ".join(e.rel for e in u.ignored))
                lines.append(f"{u.student.key}: " + "; ".join(parts))
        return lines


def resolve(scan: Scan, roster: Roster | None = None) -> Discovery:
    out = Discovery(scan.root, scan.layouts, ignored=list(scan.ignored))
    by_ref: dict[tuple, list[Entry]] = defaultdict(list)
    for e in scan.entries:
        by_ref[e.student_ref].append(e)
    people: dict[tuple, tuple[Student, list[Entry]]] = {}
    matched_rows = set()
    for ref, entries in by_ref.items():
        student = _student(entries)
        row = None
        if roster is not None:
            row = roster.match([student.source_id, student.login], student.email, [student.name, student.label])
            if row is None:
                out.not_in_roster.append(student)
            else:
                matched_rows.add(row.id)
                student.roster_id = row.id
                student.name = row.name or student.name
                student.email = row.email or student.email
        who = ("roster", row.id) if row else ref
        if who in people:
            people[who][1].extend(entries)
        else:
            people[who] = (student, list(entries))
    for student, entries in people.values():
        graded, superseded, others = _choose(entries)
        if graded:
            out.units.append(Unit(student, graded, superseded, others))
        else:
            out.skipped.append(Skipped(student, _skip_reason(others), others))
    if roster is not None:
        for row in roster.rows:
            if row.id not in matched_rows:
                out.no_submission.append(Student("", "roster", row.id, row.name, row.name, row.email, roster_id=row.id))
    _assign_keys(out.students)
    out.units.sort(key=lambda u: u.student.key)
    out.skipped.sort(key=lambda s: s.student.key)
    out.no_submission.sort(key=lambda s: s.key)
    return out


def _student(entries: list[Entry]) -> Student:
    newest = max(entries, key=lambda e: e.order)
    name = next((e.name for e in sorted(entries, key=lambda e: e.order, reverse=True) if e.name), "")
    email = next((e.email for e in entries if e.email), "")
    return Student("", newest.layout, newest.source_id, newest.label, name, email, newest.login,
                   late=newest.late, members=list(newest.members))


def _choose(entries: list[Entry]) -> tuple[list[Entry], list[Entry], list[Entry]]:
    """(graded together, older versions, not gradable) for one student's entries."""
    gradable = [e for e in entries if e.kind in GRADABLE]
    others = [e for e in entries if e.kind not in GRADABLE]
    if not gradable:
        return [], [], others
    flattened = [e for e in gradable if e.file_name and e.kind == "py"]
    candidates = [[e] for e in gradable if e not in flattened]
    superseded: list[Entry] = []
    if flattened:
        by_name: dict[str, list[Entry]] = defaultdict(list)
        for e in flattened:
            by_name[e.file_name].append(e)
        files = []
        for versions in by_name.values():
            versions.sort(key=lambda e: e.order)
            files.append(versions[-1])
            superseded += versions[:-1]
        candidates.append(sorted(files, key=lambda e: e.file_name))
    candidates.sort(key=lambda c: max(e.order for e in c))
    for older in candidates[:-1]:
        superseded += older
    return candidates[-1], sorted(superseded, key=lambda e: e.rel), others


def _skip_reason(entries: list[Entry]) -> str:
    names = ", ".join(e.rel for e in entries)
    return f"nothing gradable (expected a .py file, a notebook, a .zip or a folder): {names}"


def _base_key(s: Student) -> str:
    if s.roster_id:
        return s.roster_id
    if s.layout == "canvas":
        return f"{s.login}_{s.source_id}"
    if s.layout == "moodle":
        return f"{s.name}_{s.source_id}"
    return s.source_id or s.label


def sanitise(text: str) -> str:
    """A file-name-safe form of an id: ASCII letters, digits, ``._-``; no separators, no ``..``."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", text)
    text = re.sub(r"\.{2,}", ".", text).strip("._-")[:MAX_KEY].strip("._-")
    if not text:
        return "student"
    if text.split(".")[0].lower() in _RESERVED:
        text = f"_{text}"
    return text


def _assign_keys(students: list[Student]) -> None:
    wanted = [(s, sanitise(_base_key(s))) for s in students]
    refs = defaultdict(set)
    for s, key in wanted:
        refs[key.lower()].add((s.layout, s.source_id, s.roster_id))
    for s, key in wanted:
        if len(refs[key.lower()]) > 1:
            digest = hashlib.sha1(f"{s.layout}\0{s.source_id}\0{s.roster_id}".encode()).hexdigest()[:6]
            key = f"{key[:MAX_KEY - 7]}-{digest}"
        s.key = key
