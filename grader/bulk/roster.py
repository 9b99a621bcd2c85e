"""The optional class roster: map the identities LMS file names give to the course's own ids.

A roster is a CSV with a header row: an id column and a name column are required, an e-mail
column is optional. Header names are matched loosely (``id``, ``Student ID``, ``SIS User ID``,
``username``, ``github`` ...; ``name``, ``Full name``, ``Student`` or first + last name; ``email``,
``E-mail address``), so a Canvas gradebook export or a Moodle participants export works as is.
Every other id-like column is kept as an alias to match on.

A submission is matched, in order, on its id (LMS user id, participant id, SID, GitHub user,
login) against the roster's id and aliases, then on its e-mail, then on its name (only when
exactly one roster row has that name; "Jane Doe", "Doe, Jane" and Canvas's "doejane" agree).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import BulkInputError

ID_COLUMNS = ("id", "studentid", "sid", "sisuserid", "userid", "idnumber", "studentnumber", "matriculationnumber",
              "username", "login", "loginid", "sisloginid", "github", "githubusername", "githubuser")
NAME_COLUMNS = ("name", "fullname", "student", "studentname", "displayname")
FIRST_COLUMNS = ("firstname", "givenname", "first")
LAST_COLUMNS = ("lastname", "surname", "familyname", "last")
EMAIL_COLUMNS = ("email", "emailaddress", "mail")
EXAMPLE = "id,name,email\ns1001,Jane Doe,jane.doe@example.edu"


@dataclass(frozen=True)
class RosterRow:
    id: str
    name: str
    email: str = ""
    aliases: tuple[str, ...] = ()
    line: int = 0


class Roster:
    def __init__(self, rows: list[RosterRow], path: str = ""):
        self.rows, self.path = rows, path
        self._by_id: dict[str, RosterRow] = {}
        self._by_email: dict[str, RosterRow] = {}
        by_name: dict[str, list[RosterRow]] = {}
        for row in rows:
            for key in (row.id, *row.aliases):
                self._by_id.setdefault(key.strip().lower(), row)
            if row.email:
                self._by_email.setdefault(row.email.strip().lower(), row)
            for key in name_keys(row.name):
                by_name.setdefault(key, [])
                if row not in by_name[key]:
                    by_name[key].append(row)
        self._by_name = {k: v[0] for k, v in by_name.items() if len(v) == 1}

    def match(self, ids: list[str], email: str = "", names: list[str] = ()) -> RosterRow | None:
        for i in ids:
            if i and i.strip().lower() in self._by_id:
                return self._by_id[i.strip().lower()]
        if email and email.strip().lower() in self._by_email:
            return self._by_email[email.strip().lower()]
        for n in names:
            for key in name_keys(n):
                if key in self._by_name:
                    return self._by_name[key]
        return None


def name_keys(name: str) -> list[str]:
    """Spellings of a name that Canvas, Moodle and people use: first-last and last-first, letters only."""
    if not name:
        return []
    if "," in name:
        last, _, first = name.partition(",")
        words = _words(first) + _words(last)
    else:
        words = _words(name)
    if not words:
        return []
    keys = ["".join(words)]
    if len(words) > 1:
        keys.append(words[-1] + "".join(words[:-1]))
    return keys


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", text)


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (header or "").lower())


def read_roster(path: str | Path) -> Roster:
    """Read and validate a roster CSV. Raises BulkInputError naming the cause and the fix."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise BulkInputError(f"roster {path}: no such file", "Pass the path of a CSV with columns id, name, email.") from None
    except IsADirectoryError:
        raise BulkInputError(f"roster {path} is a folder, not a CSV file", "Pass the roster's .csv file.") from None
    except OSError as exc:
        raise BulkInputError(f"roster {path}: cannot read it ({exc.strerror})", "Check the file's permissions.") from None
    except UnicodeDecodeError:
        raise BulkInputError(f"roster {path} is not UTF-8 text", "Save the roster as CSV UTF-8 (in Excel: "
                             "File > Save As > CSV UTF-8).") from None
    if not text.strip():
        raise BulkInputError(f"roster {path} is empty", f"It needs a header row and one row per student, e.g.\n{EXAMPLE}")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, [])
    cols = {_norm(h): i for i, h in reversed(list(enumerate(header))) if _norm(h)}
    id_cols = [cols[c] for c in ID_COLUMNS if c in cols]
    name_col = next((cols[c] for c in NAME_COLUMNS if c in cols), None)
    first_col = next((cols[c] for c in FIRST_COLUMNS if c in cols), None)
    last_col = next((cols[c] for c in LAST_COLUMNS if c in cols), None)
    email_col = next((cols[c] for c in EMAIL_COLUMNS if c in cols), None)
    missing = []
    if not id_cols:
        missing.append("an id column (id, Student ID, SIS User ID, username, github ...)")
    if name_col is None and (first_col is None or last_col is None):
        missing.append("a name column (name, Full name, Student, or First name + Last name)")
    if missing:
        found = ", ".join(repr(h) for h in header) or "nothing"
        raise BulkInputError(f"roster {path} needs {' and '.join(missing)}; its header row has {found}",
                             f"Give the roster a header row with columns id, name and (optional) email, e.g.\n{EXAMPLE}")
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(reader, start=2):
        rid = _cell(record, id_cols[0])
        name = _cell(record, name_col) if name_col is not None else \
            f"{_cell(record, first_col)} {_cell(record, last_col)}".strip()
        if not rid or name.lower().startswith("points possible") or not any(c.strip() for c in record):
            continue
        if rid.lower() in seen:
            raise BulkInputError(f"roster {path}: id {rid!r} appears twice (lines {seen[rid.lower()]} and {line})",
                                 "Each student must appear once; remove the duplicate row.")
        seen[rid.lower()] = line
        aliases = tuple(a for a in (_cell(record, i) for i in id_cols[1:]) if a)
        rows.append(RosterRow(rid, name, _cell(record, email_col), aliases, line))
    if not rows:
        raise BulkInputError(f"roster {path} has a header but no students",
                             f"Add one row per student under the header, e.g.\n{EXAMPLE}")
    return Roster(rows, str(path))


def _cell(record: list[str], i: int | None) -> str:
    return record[i].strip() if i is not None and i < len(record) else ""
