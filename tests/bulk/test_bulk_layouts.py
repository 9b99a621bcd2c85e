"""Discovery: every LMS layout, identities, newest-wins, skipped and ignored entries, the roster.

No grading here (discovery only reads names, metadata and zip directories), so the whole 50+
class is checked in every layout, as a folder and as a zip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bulk_class import (
    LAYOUTS,
    class_members,
    roster_csv,
    student_key,
    write_class,
    zip_bytes,
)

from grader.bulk import BulkInputError
from grader.bulk.identity import resolve, sanitise
from grader.bulk.inputs import open_submissions
from grader.bulk.layouts import _read_metadata, scan
from grader.bulk.roster import name_keys, read_roster

MEMBERS = class_members(52)


def discover(path: Path, tmp_path: Path, roster=None):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    root, left_out = open_submissions(path, work)
    disc = resolve(scan(root), read_roster(roster) if roster else None)
    disc.left_out = left_out
    return disc


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_finds_every_student_under_a_stable_key(tmp_path, layout, as_zip):
    src = write_class(tmp_path / "src", MEMBERS, layout, as_zip)
    disc = discover(src, tmp_path)
    assert disc.layout == layout
    graded = {u.student.key for u in disc.units}
    skipped = {s.student.key: s.reason for s in disc.skipped}
    assert graded == {student_key(m, layout) for m in MEMBERS}  # the notebook student included
    assert skipped == {}
    assert any(u.student.key == student_key(MEMBERS[-1], layout) for u in disc.units)
    assert not disc.ignored  # .DS_Store and the Gradescope metadata are not "submissions"
    assert len(disc.units) >= 50


def test_identity_fields_come_from_the_naming_scheme(tmp_path):
    m = MEMBERS[3]  # late in Canvas
    by_layout = {}
    for layout in LAYOUTS:
        disc = discover(write_class(tmp_path / layout, MEMBERS[:14], layout), tmp_path / layout)
        by_layout[layout] = {u.student.key: u.student for u in disc.units}
    canvas = by_layout["canvas"][student_key(m, "canvas")]
    assert (canvas.source_id, canvas.login, canvas.late) == (str(m.uid), m.user, True)
    moodle = by_layout["moodle"][student_key(m, "moodle")]
    assert (moodle.source_id, moodle.name) == (str(m.uid), m.name)
    gradescope = by_layout["gradescope"][str(m.uid)]
    assert (gradescope.name, gradescope.email) == (m.name, m.email)
    assert by_layout["classroom"][m.user].login == m.user


def test_canvas_resubmission_newest_wins_and_is_reported(tmp_path):
    disc = discover(write_class(tmp_path / "src", MEMBERS[:3], "canvas"), tmp_path)
    first = next(u for u in disc.units if u.student.key == student_key(MEMBERS[0], "canvas"))
    assert [e.rel for e in first.entries] == [f"{MEMBERS[0].user}_{MEMBERS[0].uid}_60000_rnn_layers-1.py"]
    assert [e.rel for e in first.superseded] == [f"{MEMBERS[0].user}_{MEMBERS[0].uid}_50000_rnn_layers.py"]
    assert first.entries[0].file_name == "rnn_layers.py"
    (line,) = disc.several_files()
    assert "rnn_layers-1.py (newest); not graded (older): " in line


def test_canvas_files_of_one_submission_are_graded_together(tmp_path):
    multi = MEMBERS[12]  # rnn_layers.py + utils.py
    disc = discover(write_class(tmp_path / "src", [multi], "canvas"), tmp_path)
    (unit,) = disc.units
    assert sorted(e.file_name for e in unit.entries) == ["rnn_layers.py", "utils.py"]
    assert not unit.superseded


def test_several_submissions_in_a_plain_folder_newest_by_time(tmp_path):
    src = tmp_path / "class"
    src.mkdir()
    (src / "alice.py").write_text("old = 1\n")
    (src / "alice.zip").write_bytes(zip_bytes({"rnn_layers.py": "new = 1\n"}))
    os.utime(src / "alice.py", (1e9, 1e9))
    (src / "bob.py").write_text("x = 1\n")
    (src / "notes.txt").write_text("not a submission")
    disc = discover(src, tmp_path)
    alice = next(u for u in disc.units if u.student.key == "alice")
    assert [e.rel for e in alice.entries] == ["alice.zip"] and [e.rel for e in alice.superseded] == ["alice.py"]
    assert [(i.rel, "not a submission" in i.reason) for i in disc.ignored] == [("notes.txt", True)]


def test_moodle_online_text_and_flattened_files(tmp_path):
    src = tmp_path / "moodle"
    (src / "Jane Doe_31_assignsubmission_file_").mkdir(parents=True)
    (src / "Jane Doe_31_assignsubmission_file_" / "rnn_layers.py").write_text("x = 1\n")
    (src / "Jane Doe_31_assignsubmission_onlinetext_").mkdir()
    (src / "Jane Doe_31_assignsubmission_onlinetext_" / "onlinetext.html").write_text("<p>hi</p>")
    (src / "Li Wei_32_assignsubmission_file_rnn_layers.py").write_text("y = 1\n")
    (src / "Sam Roe_33_assignsubmission_onlinetext_onlinetext.html").write_text("<p>only text</p>")
    disc = discover(src, tmp_path)
    units = {u.student.key: u for u in disc.units}
    assert set(units) == {"Jane_Doe_31", "Li_Wei_32"}
    assert [e.rel for e in units["Jane_Doe_31"].ignored] == ["Jane Doe_31_assignsubmission_onlinetext_"]
    assert units["Li_Wei_32"].entries[0].file_name == "rnn_layers.py"
    (skipped,) = disc.skipped
    assert skipped.student.key == "Sam_Roe_33" and "nothing gradable" in skipped.reason


def test_gradescope_metadata_parsed_without_yaml_library(tmp_path):
    src = tmp_path / "gradescope"
    src.mkdir()
    meta = src / "submission_metadata.yml"
    meta.write_text(
        "submission_101:\n"
        "  :submitters:\n"
        "  - :name: Jane Doe\n"
        "    :sid: '12345'\n"
        "    :email: jane@example.edu\n"
        "  - :name: \"Li Wei\"\n"
        "    :sid: '67890'\n"
        "    :email: li@example.edu\n"
        "  :created_at: 2024-03-01 10:00:00.123456789 -08:00\n"
        "  :score: 3.0\n"
        "submission_102:\n"
        "  :submitters:\n"
        "  - :name: Sam Roe\n"
        "    :email: sam@example.edu\n"
        "  :created_at: 2024-03-02 09:00:00 +00:00\n")
    data = _read_metadata(meta)
    assert data["submission_101"]["submitters"][1] == {"name": "Li Wei", "sid": "67890", "email": "li@example.edu"}
    assert data["submission_102"]["created_at"].startswith("2024-03-02")
    for folder in ("submission_101", "submission_102"):
        (src / folder).mkdir()
        (src / folder / "rnn_layers.py").write_text("x = 1\n")
    disc = discover(src, tmp_path)
    keys = {u.student.key: u.student for u in disc.units}
    assert set(keys) == {"12345", "sam_example.edu"}
    assert keys["12345"].members == [("67890", "Li Wei", "li@example.edu")]


def test_a_download_wrapped_in_one_folder_is_looked_into(tmp_path):
    src = write_class(tmp_path / "src" / "export_2024", MEMBERS[:4], "moodle")
    disc = discover(tmp_path / "src", tmp_path)
    assert disc.layout == "moodle" and len(disc.units) == 4
    assert all(u.rel.startswith(f"export_2024/{src.name}/") for u in disc.units)


def test_zip_members_outside_the_archive_are_left_out_and_reported(tmp_path):
    bad = tmp_path / "class.zip"
    bad.write_bytes(zip_bytes({"alice.py": "x = 1\n", "../evil.py": "y = 1\n", "/abs.py": "z = 1\n"}))
    disc = discover(bad, tmp_path)
    assert [u.student.key for u in disc.units] == ["alice"]
    assert sorted(n for n, _ in disc.left_out) == ["../evil.py", "/abs.py"]
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "work" / "evil.py").exists()


# ---------------------------------------------------------------- keys


@pytest.mark.parametrize("raw, key", [
    ("doejane_123", "doejane_123"),
    ("../../etc/passwd", "etc_passwd"),
    ("a/b\\c", "a_b_c"),
    ("José Núñez", "Jose_Nunez"),
    ("..", "student"),
    ("CON", "_CON"),
    ("x" * 200, "x" * 64),
    ("a..b", "a.b"),
])
def test_sanitise_makes_safe_file_names(raw, key):
    assert sanitise(raw) == key
    assert "/" not in key and ".." not in key


def test_colliding_keys_get_a_stable_hash_suffix(tmp_path):
    src = tmp_path / "class"
    src.mkdir()
    for name in ("José.py", "Jose.py", "jose.py", "ann.py"):
        (src / name).write_text("x = 1\n")
    keys1 = sorted(u.student.key for u in discover(src, tmp_path).units)
    keys2 = sorted(u.student.key for u in discover(src, tmp_path).units)
    assert keys1 == keys2 and len(set(k.lower() for k in keys1)) == 4
    assert "ann" in keys1 and all(k.startswith(("Jose-", "jose-")) for k in keys1 if k != "ann")


# ---------------------------------------------------------------- roster


def test_roster_maps_every_layout_to_roster_ids(tmp_path):
    members = MEMBERS[:13]
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_csv(members, extra=[("s42", "Never Submitted", "nobody@example.edu")]))
    for layout in LAYOUTS:
        disc = discover(write_class(tmp_path / layout, members, layout), tmp_path / layout, roster)
        by_key = {u.student.key: u.student for u in disc.units}
        assert set(by_key) == {f"s{m.uid}" for m in members}, layout
        assert by_key[f"s{members[2].uid}"].email == members[2].email
        assert [s.key for s in disc.no_submission] == ["s42"]
        assert disc.not_in_roster == []


def test_roster_matches_canvas_lastfirst_and_reports_unmatched(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student ID;Full name;E-mail address\nu1;Jane Doe;jane@x.edu\nu2;Doe, John;john@x.edu\n")
    src = tmp_path / "canvas"
    src.mkdir()
    (src / "doejane_501_1_rnn_layers.py").write_text("x = 1\n")
    (src / "doejohn_502_2_rnn_layers.py").write_text("x = 1\n")
    (src / "stranger_503_3_rnn_layers.py").write_text("x = 1\n")
    disc = discover(src, tmp_path, roster)
    assert sorted(u.student.key for u in disc.units) == ["stranger_503", "u1", "u2"]
    assert [s.key for s in disc.not_in_roster] == ["stranger_503"]
    assert name_keys("Doe, John") == ["johndoe", "doejohn"]


@pytest.mark.parametrize("text, message", [
    ("name,email\nJane,j@x\n", "needs an id column (id, Student ID"),
    ("id,email\n1,j@x\n", "needs a name column (name, Full name"),
    ("", "is empty"),
    ("id,name\n1,A\n1,B\n", "id '1' appears twice (lines 2 and 3)"),
    ("id,name\n", "has a header but no students"),
])
def test_roster_errors_name_the_cause_and_the_fix(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(BulkInputError) as err:
        read_roster(path)
    assert message in err.value.message
    assert err.value.hint


def test_roster_reads_a_canvas_gradebook_export(tmp_path):
    path = tmp_path / "canvas_export.csv"
    path.write_text("Student,ID,SIS User ID,SIS Login ID,Section,HW1 (12)\n"
                    "    Points Possible,,,,,10\n"
                    '"Doe, Jane",501,s001,jdoe,A,9\n')
    (row,) = read_roster(path).rows
    assert (row.id, row.name, row.aliases) == ("501", "Doe, Jane", ("s001", "jdoe"))
