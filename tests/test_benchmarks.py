"""benchmarks/run.py --quick: the suite runs end to end and writes every section to its JSON.

No timing is asserted (the machines are shared and noisy); only that each figure is there, has
the right type and that the correct example graded cleanly.
"""

import json
import subprocess
import sys
from numbers import Number

from zoo_helpers import ROOT


def _num(x) -> bool:
    return isinstance(x, Number) and not isinstance(x, bool) and x >= 0


def test_quick_run_writes_every_section(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for title in ("(a) rnngrade check", "(a) worker start", "(b) finite-difference", "(c) rnngrade grade",
                  "(d) peak memory", "(e) dynamics", "Summary against the targets"):
        assert title in proc.stdout
    data = json.loads(out.read_text())
    assert data["format"] == "rnngrade-benchmarks/1" and data["quick"] is True

    m = data["machine"]
    assert m["cores"] >= 1 and m["cpu"] and m["python"] and m["numpy"]
    assert m["speed_probe_start_s"] > 0 and data["speed_probe_end_s"] > 0 and "speed probe" in proc.stdout

    c = data["check"]
    assert c["score"] == c["max_score"] > 0 and c["checks"] > 0 and c["isolation"] in ("process", "sandbox")
    assert len(c["walls_s"]) == c["runs"] and _num(c["median_s"]) and c["min_s"] <= c["median_s"] <= c["max_s"]
    assert len(c["cold_walls_s"]) == len(c["one_job_walls_s"]) == c["runs"]
    assert _num(c["cold_median_s"]) and _num(c["one_job_median_s"])
    for phase in ("interpreter_start", "imports", "load", "grading"):
        assert _num(c["phases_s"][phase]), phase
    assert isinstance(c["phases_s"]["after_grading"], Number)  # may be negative: the pieces are timed apart
    for work in ("isolation_probe", "render_terminal", "render_json", "render_html"):
        assert _num(c["alongside_s"][work]), work
    for kind in ("worker_start", "forward", "gradient", "fd", "property", "total"):
        assert _num(c["timings_s"][kind]), kind

    assert "process" in data["worker_start"]
    for level, w in data["worker_start"].items():
        assert "skipped" in w or (_num(w["median_s"]) and len(w["start_s"]) == w["runs"]), level

    fd = {r["function"]: r for r in data["fd"]}
    assert {"rnn_step_backward", "rnn_backward"} <= set(fd)
    for r in fd.values():
        assert r["forward_calls"] >= 3 and r["backward_calls"] >= 1  # the cache, then two per joint direction
        assert _num(r["check_s"]) and r["pair_s"] > 0 and _num(r["ratio"])

    b = data["bulk"]
    assert set(b["jobs"]) == {"1", "2"}
    for v in b["jobs"].values():
        assert v["graded"] == b["students"] and _num(v["per_s_end_to_end"]) and _num(v["per_s_grading"])

    mem = data["memory"]
    assert mem["parent_peak_mib"] > 10 and mem["worker_peak_mib"] > 10 and mem["how"]

    assert [r["T"] for r in data["dynamics"]] == [20, 50]
    assert all(_num(r["total_s"]) and _num(r["per_100_steps_s"]) for r in data["dynamics"])

    judged = {s["key"]: s["ok"] for s in data["summary"] if s["target"]}
    assert set(data["targets"]) == {"check_median_s", "worker_start_s", "fd_forward_calls", "bulk_jobs2_per_s"}
    assert set(judged) == set(data["targets"]) | {"check_cold_median_s"}  # the first run, against the same target
    assert all(ok in (True, False) for ok in judged.values())
    # the docs are written from the same JSON; a --quick run is never published
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert "| `rnn_backward` |" in run.markdown(data) and "docs/performance.md" in run.headline(data)
    again = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--from-json", str(out), "--update-docs"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert again.returncode != 0 and "smoke test" in again.stderr and "Summary against the targets" in again.stdout


def test_compare_runs_both_sides_interleaved_and_removes_its_worktree(tmp_path):
    import pytest

    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("benchmarks/compare.py compares git revisions: this checkout is not a git work tree")
    before = subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True).stdout
    out = tmp_path / "cmp.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), "--base", "HEAD", "--runs", "1",
                           "-e", "clipping", "--json", str(out)], capture_output=True, text=True, cwd=tmp_path,
                          timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "working tree / base: x" in proc.stdout
    data = json.loads(out.read_text())
    assert set(data["walls_s"]) == {"base", "working tree"} and all(len(w) == 1 for w in data["walls_s"].values())
    assert data["graded"]["base"]["score"] == data["graded"]["base"]["max_score"] > 0
    assert _num(data["ratio"]) and data["exercises"] == ["clipping"]
    assert subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True).stdout == before


def test_compare_refuses_a_revision_that_does_not_exist(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), "--base", "no-such-rev-xyz"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode != 0 and "no-such-rev-xyz" in proc.stderr


def test_compare_refuses_a_submission_that_does_not_exist(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), "--base", "HEAD",
                           "--submission", str(tmp_path / "missing.py")], capture_output=True, text=True, cwd=tmp_path,
                          timeout=60)
    assert proc.returncode == 2 and "missing.py" in proc.stderr and "--submission" in proc.stderr
