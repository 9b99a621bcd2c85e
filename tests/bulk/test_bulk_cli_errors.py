"""Bad input to `rnngrade grade` / `rnngrade export`: a message naming the cause and the fix,
exit status 2, no traceback, and nothing in an existing OUT touched."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest
from bulk_class import FAST, class_members, rnngrade, write_class, zip_bytes
from click.testing import CliRunner

from grader.cli import main


@pytest.fixture(scope="module")
def existing(tmp_path_factory):
    """A class graded once: OUT must come out of every failed command byte-for-byte the same."""
    tmp = tmp_path_factory.mktemp("existing")
    src = write_class(tmp, [class_members(13)[0]], "plain")
    out = tmp / "out"
    proc = rnngrade("grade", src, "--out", out, *FAST)
    assert proc.returncode == 0, proc.stderr
    return tmp, src, out


def snapshot(out: Path) -> dict:
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}


def invoke(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def check_error(code, stderr, message, hint):
    assert code == 2
    lines = stderr.splitlines()
    assert any(line.startswith("error: ") and message in line for line in lines), stderr
    assert any(line.startswith("hint: ") and hint in line for line in lines), stderr
    assert "Traceback" not in stderr


def _roster_without_id(tmp):
    (tmp / "bad_roster.csv").write_text("name,email\nJane,j@x.edu\n")
    return tmp / "bad_roster.csv"


CASES = {
    "missing": (lambda tmp, src: ["grade", tmp / "nope", "--out", "{out}"],
                "nope: no such file or folder", "Pass the folder or the .zip you downloaded"),
    "empty": (lambda tmp, src: ["grade", _mkdir(tmp / "empty"), "--out", "{out}"],
              "no submissions found in", "Expected an LMS download"),
    "bad_zip": (lambda tmp, src: ["grade", _write(tmp / "broken.zip", b"not a zip"), "--out", "{out}"],
                "broken.zip is not a readable zip file", "Download the submissions again"),
    "not_a_folder": (lambda tmp, src: ["grade", _write(tmp / "grades.csv", b"a,b\n"), "--out", "{out}"],
                     "grades.csv is a .csv file, not a folder or a .zip", "to grade one file use `rnngrade check`"),
    "roster_columns": (lambda tmp, src: ["grade", src, "--out", "{out}", "--roster", _roster_without_id(tmp)],
                       "needs an id column (id, Student ID", "with columns id, name and (optional) email"),
    "roster_missing": (lambda tmp, src: ["grade", src, "--out", "{out}", "--roster", tmp / "no_roster.csv"],
                       "no_roster.csv: no such file", "CSV with columns id, name, email"),
    "unknown_exercise": (lambda tmp, src: ["grade", src, "--out", "{out}", "-e", "transformer"],
                         "unknown exercise(s) transformer", "rnngrade exercises"),
    "single_submission": (lambda tmp, src: ["grade", _single(tmp), "--out", "{out}"],
                          "looks like ONE submission (it holds rnn_layers.py)", "rnngrade check"),
    "nothing_gradable": (lambda tmp, src: ["grade", _text_entries(tmp), "--out", "{out}"],
                      "nothing to grade in", "Ask for .py files"),
}


def _mkdir(p: Path) -> Path:
    p.mkdir(exist_ok=True)
    return p


def _write(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


def _single(tmp: Path) -> Path:
    folder = _mkdir(tmp / "one_student")
    (folder / "rnn_layers.py").write_text("x = 1\n")
    (folder / "helpers.py").write_text("y = 1\n")
    return folder


def _text_entries(tmp: Path) -> Path:
    folder = _mkdir(tmp / "online_text")
    (folder / "doeann_1001_5001_online_text.html").write_text("<p>my answer</p>")  # Canvas online-text entries
    (folder / "roebob_1002_5002_online_text.html").write_text("<p>my answer</p>")
    return folder


@pytest.mark.parametrize("case", CASES)
def test_bad_input_names_cause_and_fix_and_leaves_out_untouched(existing, case):
    tmp, src, out = existing
    build, message, hint = CASES[case]
    args = [str(out) if a == "{out}" else a for a in build(tmp, src)]
    before = snapshot(out)
    code, stdout, stderr = invoke(*args)
    check_error(code, stderr, message, hint)
    assert snapshot(out) == before


def test_out_that_is_a_file_or_a_foreign_folder_or_inside_submissions(existing, tmp_path):
    _, src, _ = existing
    as_file = _write(tmp_path / "out.txt", b"mine")
    check_error(*invoke("grade", src, "--out", as_file)[::2], "is a file, not a folder", "Pass a folder")
    assert as_file.read_bytes() == b"mine"
    foreign = _mkdir(tmp_path / "documents")
    (foreign / "grades.csv").write_text("my own grades")
    check_error(*invoke("grade", src, "--out", foreign)[::2], "is a folder with other files and no gradebook.sqlite",
                "Pass a new or empty folder")
    assert [p.name for p in foreign.iterdir()] == ["grades.csv"]
    inside = src / "graded"
    check_error(*invoke("grade", src, "--out", inside)[::2], "is inside SUBMISSIONS", "Put the results somewhere else")
    assert not inside.exists()


def test_a_second_run_on_the_same_out_is_refused_while_the_first_holds_it(existing):
    _, src, out = existing
    before = snapshot(out)
    with open(out / ".rnngrade.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fh.write("4242")
        fh.flush()
        code, _, stderr = invoke("grade", src, "--out", out, *FAST)
    check_error(code, stderr, "is writing to", "Wait for it to finish, or use another OUT folder")
    assert {k: v for k, v in snapshot(out).items() if k != ".rnngrade.lock"} == \
           {k: v for k, v in before.items() if k != ".rnngrade.lock"}


def test_export_errors(tmp_path, existing):
    code, _, stderr = invoke("export", tmp_path, "--format", "canvas")
    check_error(code, stderr, "has no gradebook.sqlite", "Pass the OUT folder of an `rnngrade grade` run")
    code, _, stderr = invoke("export", existing[2], "--format", "blackboard")
    assert code == 2 and "Invalid value for '--format'" in stderr


def test_grade_help_and_bad_jobs():
    code, stdout, _ = invoke("grade", "--help")
    assert code == 0 and "Grade a whole class" in stdout and "--roster" in stdout and "--budget" in stdout
    code, _, stderr = invoke("grade", ".", "--out", "x", "--jobs", "0")
    assert code == 2 and "--jobs" in stderr


def test_zip_input_is_unpacked_outside_out(tmp_path):
    src = tmp_path / "class.zip"
    src.write_bytes(zip_bytes({"ann.py": (Path(__file__).parents[2] / "examples" / "correct" / "rnn_layers.py").read_text()}))
    out = tmp_path / "out"
    code, stdout, stderr = invoke("grade", src, "--out", out, *FAST)
    assert code == 0, stderr
    names = {p.name for p in out.iterdir()}
    assert names >= {"gradebook.sqlite", "grades.csv", "reports", "results", "summary.html"}
    assert not names & {"ann.py", "submissions", "staging"}


def test_an_exercise_named_twice_is_graded_once(tmp_path):
    src = write_class(tmp_path, [class_members(13)[0]], "plain")
    out = tmp_path / "out"
    code, stdout, stderr = invoke("grade", src, "--out", out, "--jobs", 1, "-e", "clipping", "-e", "clipping",
                                  "--call-seconds", 1, "--progress", "none", "--isolation", "process")
    assert code == 0, stdout + stderr
    from bulk_class import query

    assert query(out, "SELECT exercise FROM exercise_scores") == [("clipping",)]
