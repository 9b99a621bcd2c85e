"""A generated class of 50+ submissions graded end to end by `rnngrade grade`, then read back:
statuses, files, grades.csv, every export format, the summary's numbers, and an idempotent rerun.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from bulk_class import (
    FAST,
    LAYOUTS,
    assert_files_match,
    class_members,
    current,
    grade_in_process,
    query,
    rnngrade,
    roster_csv,
    student_key,
    write_class,
)

from grader.render.html import render_html
from grader.results import GradeResult


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    members = class_members(52, text_entry=True)
    src = write_class(tmp, members, "canvas", as_zip=True)
    out = tmp / "out"
    proc = rnngrade("grade", src, "--out", out, "--jobs", 2, *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    keys = {student_key(m, "canvas"): m for m in members}
    return SimpleNamespace(members=members, keys=keys, src=src, out=out, proc=proc)


def test_recognition_is_printed_before_grading(graded):
    out = graded.proc.stdout
    assert f"Recognised {graded.src}: layout canvas, 54 students (53 to grade, 1 skipped)" in out
    assert ("textkim_1999: nothing gradable (expected a .py file, a notebook, a .zip or a folder): "
            "textkim_1999_60530_online_text.html") in out
    m = graded.members[0]
    assert (f"{m.user}_{m.uid}: graded {m.user}_{m.uid}_60000_rnn_layers-1.py (newest); not graded (older): "
            f"{m.user}_{m.uid}_50000_rnn_layers.py") in out
    assert "cannot be loaded (4; graded as unloadable" in out and "no rnn_layers.py among 2 Python files" in out
    assert out.index("Recognised") < out.index("Gradebook") < out.index("Class summary")
    assert "0 already graded and unchanged, 53 to grade, 2 jobs" in out
    assert "rnngrade-bulk-" not in out  # no temporary paths in messages
    assert re.search(r"graded 53/53  failed 24  remaining 0  [\d.]+/s  ETA 0s", graded.proc.stderr)


def test_every_student_gets_exactly_one_result_with_the_expected_status(graded):
    rows = {r["student"]: r for r in current(graded.out)}
    assert set(rows) == set(graded.keys)
    for key, m in graded.keys.items():
        r = rows[key]
        want = m.expect
        got = r["state"] if r["state"] != "submitted" else r["status"]
        assert got == want, (key, m.files.keys(), r["reason"])
        if want == "skipped":
            assert r["result_id"] is None
        else:
            assert r["score"] is not None and r["max_score"] == 11
        if want == "passed":
            assert r["score"] == 11
    assert query(graded.out, "SELECT COUNT(*), COUNT(DISTINCT student) FROM results")[0] == (53, 53)


def test_one_misbehaving_submission_never_affects_another(graded):
    rows = {r["student"]: r for r in current(graded.out)}
    for key, m in graded.keys.items():
        if m.expect == "timeout":  # only the looping function timed out; the rest was graded normally
            result = json.loads(rows[key]["result_json"])
            statuses = {c["id"]: c["status"] for e in result["exercises"] for c in e["checks"]}
            assert list(statuses.values()).count("timeout") == 1
            assert statuses["tbptt.rnn_backward_truncated.matches_reference"] == "passed"
            assert rows[key]["reason"].startswith("timed out: clipping.clip_grad_")
        if m.expect == "unloadable":
            assert rows[key]["score"] == 0 and rows[key]["reason"]
    assert all(rows[k]["score"] == 11 for k, m in graded.keys.items() if m.expect == "passed")


def test_files_match_the_gradebook_and_reports_are_the_check_report(graded):
    assert_files_match(graded.out)
    key = student_key(graded.members[1], "canvas")
    data = json.loads((graded.out / "results" / f"{key}.json").read_text())
    assert (graded.out / "reports" / f"{key}.html").read_text() == render_html(GradeResult.from_dict(data))
    assert data["submission"]["path"] == f"{graded.members[1].user}_{graded.members[1].uid}_60010_rnn_layers.py"


def test_grades_csv_has_one_row_per_student_and_one_column_per_exercise(graded):
    rows = list(csv.DictReader((graded.out / "grades.csv").open()))
    assert list(rows[0]) == ["student", "name", "email", "score", "max_score", "clipping", "tbptt", "status", "reason",
                             "late", "submission", "report"]
    db = {r["student"]: r for r in current(graded.out)}
    assert {r["student"] for r in rows} == set(db)
    for r in rows:
        d = db[r["student"]]
        if d["score"] is None:
            assert r["score"] == "" and r["status"] == "skipped"
        else:
            assert float(r["score"]) == d["score"] and r["status"] == d["status"]
            assert float(r["clipping"]) + float(r["tbptt"]) == d["score"]
            assert r["report"] == f"reports/{r['student']}.html"
        assert (r["late"] == "yes") == graded.keys[r["student"]].late


# ---------------------------------------------------------------- exports


def _export(out: Path, fmt: str, *extra) -> Path:
    proc = rnngrade("export", out, "--format", fmt, *extra)
    assert proc.returncode == 0, proc.stderr
    assert "students with a score, 1 left blank (no score: see grades.csv)" in proc.stdout
    return Path(proc.stdout.strip().rsplit(" -> ", 1)[1])


def test_export_canvas_gradebook_import_csv(graded):
    path = _export(graded.out, "canvas", "--assignment", "RNN layers (4821)")
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "RNN layers (4821)"]
    assert rows[1][0] == "Points Possible" and rows[1][5] == "11"
    db = {r["source_id"]: r for r in current(graded.out)}
    assert len(rows) - 2 == len(db)
    for row in rows[2:]:
        d = db[row[1]]  # the Canvas user id from the file names
        assert row[5] == ("" if d["score"] is None else f"{d['score']:g}")


def test_export_moodle_grading_worksheet(graded):
    rows = list(csv.DictReader(_export(graded.out, "moodle").open()))
    assert list(rows[0]) == ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade",
                             "Last modified (grade)", "Feedback comments"]
    db = {r["student"]: r for r in current(graded.out)}
    for row in rows:
        d = db[row["Identifier"]]
        if d["score"] is None:
            assert row["Grade"] == "" and row["Last modified (grade)"] == ""
            continue
        assert float(row["Grade"]) == d["score"] and float(row["Maximum Grade"]) == 11
        datetime.strptime(row["Last modified (grade)"], "%A, %d %B %Y, %I:%M %p")
        assert row["Feedback comments"].startswith(f"rnngrade: {d['score']:g} / 11 (clipping ")


def test_export_gradescope_results_json_per_student(graded):
    folder = _export(graded.out, "gradescope")
    db = {r["student"]: r for r in current(graded.out) if r["result_json"]}
    assert {p.parent.name for p in folder.glob("*/results.json")} == set(db)
    for key, d in db.items():
        data = json.loads((folder / key / "results.json").read_text())
        assert data["score"] == d["score"]
        assert sum(t["score"] for t in data["tests"]) == d["score"]
        assert {t["status"] for t in data["tests"]} <= {"passed", "failed"}
        assert all(t["visibility"] == "visible" and t["output_format"] == "text" for t in data["tests"])
        assert len(data["tests"]) == len(json.loads(d["result_json"])["exercises"][0]["checks"]) + len(
            json.loads(d["result_json"])["exercises"][1]["checks"])


def test_export_csv_and_jsonl(graded):
    assert _export(graded.out, "csv").read_text() == (graded.out / "grades.csv").read_text()
    lines = _export(graded.out, "jsonl").read_text().splitlines()
    db = {r["student"]: r for r in current(graded.out)}
    assert len(lines) == len(db)
    for line in lines:
        item = json.loads(line)
        d = db[item["student"]]
        assert item["score"] == d["score"] and item["status"] in (d["status"], d["state"])
        assert (item["result"] is None) == (d["result_json"] is None)
        if item["result"]:
            assert item["result"]["score"] == d["score"]


def test_export_to_a_chosen_path(graded, tmp_path):
    target = tmp_path / "elsewhere" / "canvas.csv"
    proc = rnngrade("export", graded.out, "--format", "canvas", "-o", target)
    assert proc.returncode == 0 and target.is_file()


# ---------------------------------------------------------------- summary


class _Data(HTMLParser):
    def __init__(self):
        super().__init__()
        self.items: list[dict] = []
        self.links: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        data = {k[5:]: v for k, v in attrs.items() if k.startswith("data-")}
        if data:
            self.items.append(data)
        for k in ("href", "src"):
            if attrs.get(k):
                self.links.append(attrs[k])


def _summary(out: Path) -> _Data:
    parser = _Data()
    parser.feed((out / "summary.html").read_text())
    return parser


def _pick(items, key):
    return {i[key]: i for i in items if key in i}


def test_summary_numbers_match_the_gradebook(graded):
    out, s = graded.out, _summary(graded.out)
    rows = current(out)
    scores = [r["score"] for r in rows if r["score"] is not None]
    stats = {i["stat"]: i for i in s.items if "stat" in i}
    assert stats.keys() >= {"students", "scored", "mean", "median", "full_marks"}
    text = (out / "summary.html").read_text()
    assert f'data-stat="students">{len(rows)}<' in text and f'data-stat="scored">{len(scores)}<' in text
    assert f'data-stat="mean">{round(statistics.fmean(scores), 2):g}<' in text
    assert f'data-stat="median">{statistics.median(scores):g}<' in text
    counts = dict(query(out, "SELECT COALESCE(status, state), COUNT(*) FROM current GROUP BY 1"))
    for status, n in counts.items():
        assert f'data-count="{status}">{n}<' in text
    bins = [i for i in s.items if "bin" in i and "n" in i]
    assert sum(int(b["n"]) for b in bins[:10]) == len(scores)  # the class histogram comes first

    checks = _pick(s.items, "check")
    sql = ("SELECT k.check_id, SUM(k.status = 'passed'), COUNT(*) FROM checks k JOIN current c ON c.result_id = k.result_id "
           "WHERE c.status NOT IN ('unloadable', 'infra_error') GROUP BY k.check_id")
    db_checks = {cid: (passed, total) for cid, passed, total in query(out, sql)}
    assert set(checks) == set(db_checks)
    for cid, (passed, total) in db_checks.items():
        assert (int(checks[cid]["passed"]), int(checks[cid]["total"])) == (passed, total), cid

    bugs = _pick(s.items, "bug")
    db_bugs = dict(query(out, "SELECT k.diagnosis, COUNT(DISTINCT c.student) FROM checks k JOIN current c "
                              "ON c.result_id = k.result_id WHERE k.diagnosis IS NOT NULL GROUP BY k.diagnosis"))
    assert {b: int(v["n"]) for b, v in bugs.items()} == db_bugs
    assert db_bugs == {"clip-per-tensor": 4, "tbptt-off-by-one": 4}

    unloadable = {i["unloadable"] for i in s.items if "unloadable" in i}
    assert unloadable == {r["student"] for r in rows if r["status"] == "unloadable"}
    timeouts = {i["timeout"] for i in s.items if "timeout" in i}
    assert timeouts == {r[0] for r in query(out, "SELECT DISTINCT c.student FROM checks k JOIN current c "
                                                 "ON c.result_id = k.result_id WHERE k.status = 'timeout'")}
    slow = [(i["slow"], float(i["seconds"])) for i in s.items if "slow" in i]
    db_slow = query(out, "SELECT student, duration_s FROM current WHERE result_json IS NOT NULL "
                         "ORDER BY duration_s DESC, student LIMIT 10")
    assert [k for k, _ in slow] == [k for k, _ in db_slow]
    assert {i["skipped"] for i in s.items if "skipped" in i} == {"textkim_1999"}


def test_summary_groups_identical_code_and_links_reports(graded):
    out, s = graded.out, _summary(graded.out)
    text = (out / "summary.html").read_text()
    groups = re.findall(r'<li data-group="\d+" data-size="(\d+)">\d+ submissions: (.*?)</li>', text)
    members_of = [set(re.findall(r">([^<]+)</a>", g)) for _, g in groups]
    original = {k for k, m in graded.keys.items() if "def clip_grad_value(grads, clip_value):\n    return {k: np.clip" in
                m.files.get("rnn_layers.py", "")}
    renamed = {k for k, m in graded.keys.items() if "def clip_grad_value(gradients, limit):" in m.files.get("rnn_layers.py", "")}
    assert original and renamed
    assert any(original | renamed <= g for g in members_of)  # renamed, re-commented copies are caught
    for link in s.links:
        assert not link.startswith(("http:", "https:", "//"))
        if link.startswith("reports/"):
            assert (out / link).is_file(), link
    assert "script" not in s.tags and "link" not in s.tags


# ---------------------------------------------------------------- rerun


def _snapshot(out: Path) -> dict:
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in out.rglob("*") if p.is_file() and p.suffix in (".json", ".html", ".csv")
            and "exports" not in p.parts}


def test_rerun_is_idempotent_no_regrading_same_outputs(graded):
    before = _snapshot(graded.out)
    results_before = query(graded.out, "SELECT id, student, graded_at, run_id FROM results ORDER BY id")
    proc = rnngrade("grade", graded.src, "--out", graded.out, "--jobs", 2, *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "53 already graded and unchanged, 0 to grade" in proc.stdout
    assert "graded now: 0" in proc.stdout
    assert query(graded.out, "SELECT id, student, graded_at, run_id FROM results ORDER BY id") == results_before
    assert _snapshot(graded.out) == before  # same bytes, not even rewritten
    assert query(graded.out, "SELECT status, graded FROM runs ORDER BY id") == [("finished", 53), ("finished", 0)]


# ---------------------------------------------------------------- the other layouts, end to end


@pytest.mark.parametrize("layout", [x for x in LAYOUTS if x != "canvas"])
def test_each_layout_grades_end_to_end(tmp_path, layout):
    members = [class_members(13)[i] for i in (1, 4, 12)]  # buggy, syntax error, two files
    src = write_class(tmp_path, members, layout, as_zip=layout == "plain")
    roster = None
    if layout == "moodle":
        roster = tmp_path / "roster.csv"
        roster.write_text(roster_csv(members))
    report, printed = grade_in_process(src, tmp_path / "out", roster=roster)
    assert report.exit_code == 0, printed
    assert f"layout {layout}, 3 students (3 to grade, 0 skipped)" in printed
    rows = list(csv.DictReader((tmp_path / "out" / "grades.csv").open()))
    key = (lambda m: f"s{m.uid}") if layout == "moodle" else (lambda m: student_key(m, layout))
    assert {r["student"]: r["status"] for r in rows} == {key(m): m.expect for m in members}
    if layout == "moodle":
        assert {r["email"] for r in rows} == {m.email for m in members}
        assert {r["name"] for r in rows} == {m.name for m in members}
    assert_files_match(tmp_path / "out")
