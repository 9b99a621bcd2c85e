"""Recognise how a class's submissions are laid out, and who each one belongs to.

``scan(root)`` looks at the top level of SUBMISSIONS and turns every file or folder into an
``Entry`` carrying the identity its name (or metadata) gives, or into an ``Ignored`` note with the
reason. Recognised, per entry, in this order:

- Gradescope export: folders listed in a top-level ``submission_metadata.yml``, or folders that
  hold their own ``submission_metadata.yml`` (submitters' name, SID and e-mail; ``created_at``);
- Moodle: ``Full Name_12345_assignsubmission_file_/`` folders, or flattened files
  ``Full Name_12345_assignsubmission_file_rnn_layers.py`` (12345 is the participant id);
- Canvas: ``lastfirst_12345_67890_rnn_layers.py`` (user id, attachment id, original name),
  ``lastfirst_LATE_...`` marks a late submission, ``rnn_layers-1.py`` a renamed resubmission;
- GitHub Classroom: folders sharing one ``assignment-name-`` prefix, the rest is the GitHub user;
- anything else: one file (``.py``, ``.zip``) or folder per student, named after the student.

Nothing is read beyond names, metadata files and zip directories: files are loaded later by
``grader.loader`` and executed only in the sandboxed worker.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

JUNK_NAMES = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini", "__pycache__", ".git", ".ipynb_checkpoints"}
GRADESCOPE_METADATA = "submission_metadata.yml"
MODULE_NAME = "rnn_layers.py"

CANVAS_RE = re.compile(r"^(?P<login>[^_]+?)(?P<late>_LATE)?_(?P<uid>\d+)_(?:(?P<aid>\d+)_)?(?P<fname>.+)$")
MOODLE_RE = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assign(?:submission|feedback)_(?P<plugin>[a-z]+)_?(?P<rest>.*)$")
RESUBMISSION_RE = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.[A-Za-z0-9]+)$")


@dataclass
class Entry:
    """One top-level file or folder that belongs to a student."""

    path: Path
    rel: str  # as people see it (relative to SUBMISSIONS)
    layout: str  # canvas | moodle | gradescope | classroom | plain
    source_id: str  # the id the naming scheme gives (Canvas user id, Moodle participant id, SID, GitHub user, name)
    label: str = ""  # the readable part: Canvas login, Moodle full name, Gradescope name, folder name
    name: str = ""
    email: str = ""
    login: str = ""
    late: bool = False
    kind: str = "py"  # py | zip | folder | notebook | other
    file_name: str = ""  # canonical name of a flattened LMS file (Canvas/Moodle), "" otherwise
    order: tuple = ()  # newest-wins sort key: larger is newer
    members: list = field(default_factory=list)  # other submitters of a Gradescope group: (sid, name, email)

    @property
    def student_ref(self) -> tuple[str, str]:
        return self.layout, self.source_id


@dataclass
class Ignored:
    rel: str
    reason: str


@dataclass
class Scan:
    root: Path
    entries: list[Entry] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)

    @property
    def layouts(self) -> Counter:
        return Counter(e.layout for e in self.entries)


def scan(root: Path, display: str = "") -> Scan:
    """Classify every top-level entry of ``root``; ``display`` prefixes the names shown to people."""
    root, prefix = _descend(root, display)
    out = Scan(root)
    children = sorted(root.iterdir(), key=lambda p: p.name)
    meta = _read_metadata(root / GRADESCOPE_METADATA) if (root / GRADESCOPE_METADATA).is_file() else {}
    leftovers: list[Path] = []
    for child in children:
        rel = f"{prefix}{child.name}"
        if _is_junk(child.name):
            continue
        if child.name == GRADESCOPE_METADATA and meta:
            continue
        if child.is_symlink():
            out.ignored.append(Ignored(rel, "a symbolic link (never followed)"))
            continue
        if child.is_dir() and (child.name in meta or (child / GRADESCOPE_METADATA).is_file()):
            info = meta.get(child.name) or _read_metadata(child / GRADESCOPE_METADATA).get("", {})
            out.entries.append(_gradescope(child, rel, info))
            continue
        m = MOODLE_RE.match(child.name)
        if m:
            out.entries.append(_moodle(child, rel, m))
            continue
        m = CANVAS_RE.match(child.name)
        if m and child.is_file():
            out.entries.append(_canvas(child, rel, m))
            continue
        leftovers.append(child)
    out.entries += _classroom_or_plain(leftovers, prefix, out.ignored)
    return out


# ---------------------------------------------------------------- one scheme each


def _canvas(path: Path, rel: str, m: re.Match) -> Entry:
    fname, version = _canonical(m["fname"])
    login = m["login"]
    return Entry(path, rel, "canvas", m["uid"], label=login, login=login, late=bool(m["late"]), kind=_kind(path),
                 file_name=fname, order=(version, int(m["aid"] or 0), _mtime(path)))


def _moodle(path: Path, rel: str, m: re.Match) -> Entry:
    name = m["name"].strip()
    kind = _kind(path) if m["plugin"] == "file" else "other"  # online text, comments: nothing to grade
    file_name = "" if path.is_dir() else (m["rest"] or path.name)
    return Entry(path, rel, "moodle", m["pid"], label=name, name=name, kind=kind, file_name=file_name,
                 order=(0, 0, _mtime(path)))


def _gradescope(path: Path, rel: str, info: dict) -> Entry:
    people = info.get("submitters") or [{}]
    first = people[0]
    sid, email, name = first.get("sid", ""), first.get("email", ""), first.get("name", "")
    created = _parse_time(info.get("created_at", ""))
    return Entry(path, rel, "gradescope", sid or email or name or path.name, label=name or path.name, name=name,
                 email=email, kind=_kind(path), order=(0, 0, created if created is not None else _mtime(path)),
                 members=[(p.get("sid", ""), p.get("name", ""), p.get("email", "")) for p in people[1:]])


def _classroom_or_plain(paths: list[Path], prefix: str, ignored: list[Ignored]) -> list[Entry]:
    """Folders sharing an ``assignment-`` prefix are GitHub Classroom repositories; the rest is plain."""
    dirs = [p for p in paths if p.is_dir()]
    common = os.path.commonprefix([d.name for d in dirs]) if len(dirs) >= 2 else ""
    common = common[: common.rfind("-") + 1] if "-" in common else ""
    entries = []
    for p in paths:
        rel = f"{prefix}{p.name}"
        if p.is_dir() and common and len(p.name) > len(common):
            user = p.name[len(common):]
            entries.append(Entry(p, rel, "classroom", user, label=user, login=user, kind=_kind(p),
                                 order=(0, 0, _mtime(p))))
            continue
        kind = _kind(p)
        if kind == "other":
            ignored.append(Ignored(rel, "not a submission (expected a .py file, a .zip or a folder per student)"))
            continue
        stem = p.name if p.is_dir() else p.stem
        entries.append(Entry(p, rel, "plain", stem, label=stem, kind=kind, order=(0, 0, _mtime(p))))
    return entries


# ---------------------------------------------------------------- helpers


def _descend(root: Path, display: str) -> tuple[Path, str]:
    """A download wrapped in one folder (``export/...``): look inside it."""
    prefix = display
    while True:
        kids = [p for p in root.iterdir() if not _is_junk(p.name)]
        if len(kids) != 1 or not kids[0].is_dir() or kids[0].is_symlink():
            return root, prefix
        only = kids[0]
        direct = [p for p in only.iterdir() if p.is_file() and p.suffix.lower() in (".py", ".ipynb")]
        if direct or (only / GRADESCOPE_METADATA).is_file() or MOODLE_RE.match(only.name):
            return root, prefix
        root, prefix = only, f"{prefix}{only.name}/"


def _is_junk(name: str) -> bool:
    return name in JUNK_NAMES or name.startswith(".") or name.startswith("~$")


def _canonical(file_name: str) -> tuple[str, int]:
    """Canvas renames a resubmitted ``rnn_layers.py`` to ``rnn_layers-1.py``: undo it, keep the number."""
    m = RESUBMISSION_RE.match(file_name)
    if m:
        return m["stem"] + m["ext"], int(m["n"])
    return file_name, 0


def _kind(path: Path) -> str:
    if path.is_dir():
        names = [p.name for p in _walk(path)]
        if any(n.endswith(".py") for n in names) or not any(n.endswith(".ipynb") for n in names):
            return "folder"  # a folder with nothing gradable is reported by the loader, with its reason
        return "notebook"
    suffix = path.suffix.lower()
    if suffix == ".py":
        return "py"
    if suffix == ".ipynb":
        return "notebook"
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError):
            return "zip"  # the loader reports an unreadable zip as the student's load error
        if not any(n.endswith(".py") for n in names) and any(n.endswith(".ipynb") for n in names):
            return "notebook"
        return "zip"
    return "other"


def _walk(folder: Path):
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not _is_junk(d)]
        for f in filenames:
            if not _is_junk(f):
                yield Path(dirpath, f)


def _mtime(path: Path) -> float:
    try:
        if path.is_dir():
            return max([path.stat().st_mtime] + [p.stat().st_mtime for p in _walk(path)])
        return path.stat().st_mtime
    except OSError:
        return 0.0


_TIME_RE = re.compile(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d+))?\s*(Z|[+-]\d\d:?\d\d)?")


def _parse_time(text: str) -> float | None:
    """Gradescope's ``2024-03-01 10:00:00.123456789 -08:00`` as a POSIX timestamp."""
    m = _TIME_RE.search(str(text))
    if not m:
        return None
    dt = datetime.fromisoformat(f"{m[1]}T{m[2]}")
    if m[3]:
        dt += timedelta(microseconds=int(m[3][:6].ljust(6, "0")))
    tz = m[4] or "Z"
    if tz == "Z":
        dt = dt.replace(tzinfo=timezone.utc)
    else:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        dt = dt.replace(tzinfo=timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))))
    return dt.timestamp()


def _read_metadata(path: Path) -> dict[str, dict]:
    """The subset of Gradescope's ``submission_metadata.yml`` needed here, without a YAML library.

    Returns {folder: {"submitters": [{name, sid, email}], "created_at": str}}; a per-folder file
    (no ``submission_...:`` blocks) comes back under the key ``""``.
    """
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    blocks: dict[str, dict] = {}
    current = blocks.setdefault("", {"submitters": []})
    person: dict | None = None
    for raw in lines:
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        text = line.strip()
        if indent == 0 and not text.startswith((":", "-")) and text.endswith(":"):
            current = blocks.setdefault(text[:-1].strip().strip("'\""), {"submitters": []})
            person = None
            continue
        if text.startswith("- "):
            person = {}
            current["submitters"].append(person)
            text = text[2:].strip()
        key, sep, value = text.partition(": ")
        if not sep:
            continue
        key = key.strip().lstrip(":")
        value = value.strip().strip("'\"")
        if key in ("name", "sid", "email") and person is not None:
            person[key] = value
        elif key == "created_at":
            current["created_at"] = value
    if not blocks[""]["submitters"] and "created_at" not in blocks[""]:
        del blocks[""]
    return blocks
