"""Fuzzing the loader with what students (or attackers) hand in: arbitrary .py bytes, folders with
odd names and symlinks, and zips with path traversal, symlink entries, lying sizes, duplicates and
compression bombs. The loader must return a ``Submission`` or raise ``LoadError`` with a message
and a hint, quickly, never follow a link or read outside the submission, never write anything,
and never crash with another exception."""

from __future__ import annotations

import io
import os
import stat
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.loader import MAX_FILE_BYTES, LoadError, Submission, analyse, load

SETTINGS = settings(max_examples=80, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])
SECRET = b"rnngrade-outside-secret"

source_text = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"-" * 200_000 + b"1", b"x" + b".a" * 100_000, b"f" + b"(1)" * 50_000, b"(" * 5000,
                     b"def rnn_forward(:\n", b"print 'py2'\n", b"\xef\xbb\xbfimport numpy as np\n",
                     b"import torch\nimport reference\nfrom grader import engine\n", b"\x00\x01\x02",
                     b"In [1]: import numpy\n", b"np.float_(1)\n" * 50]),
)
names = st.one_of(
    st.sampled_from(["rnn_layers.py", "cs231n/rnn_layers.py", "../rnn_layers.py", "/etc/passwd.py", "a/../../x.py",
                     "..\\..\\evil.py", "C:\\x.py", "a/b/c/d/e/f/g.py", ".hidden.py", "__MACOSX/rnn_layers.py",
                     "sub/rnn_layers.py", "x.py", "notes.txt", "rnn_layers.py/", "a//b.py", "./rnn_layers.py"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30)
    .map(lambda t: t + ".py"),
)


def _check(sub_or_error, started: float) -> None:
    assert time.monotonic() - started < 20, "the loader took too long"
    if isinstance(sub_or_error, LoadError):
        assert sub_or_error.message and sub_or_error.hint
        return
    sub = sub_or_error
    assert isinstance(sub, Submission) and sub.module_file in sub.files
    for rel, data in sub.files.items():
        assert not rel.startswith("/") and ".." not in Path(rel).parts, rel
        assert SECRET not in data, "read a file outside the submission"
        assert len(data) <= MAX_FILE_BYTES or rel.endswith(".ipynb")
    for p in sub.problems:
        assert p.message and p.hint


def _load(path) -> object:
    started = time.monotonic()
    try:
        out = load(path)
    except LoadError as exc:
        out = exc
    _check(out, started)
    return out


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """A file outside every submission that a symlink or a traversal entry would reach."""
    d = tmp_path_factory.mktemp("outside")
    (d / "secret.py").write_bytes(SECRET)
    return d


@SETTINGS
@given(source_text)
def test_analyse_never_raises(data):
    started = time.monotonic()
    problems = analyse(data, "rnn_layers.py")
    assert time.monotonic() - started < 20
    assert all(p.message and p.hint for p in problems)


@SETTINGS
@given(source_text)
def test_a_py_file_loads_or_is_refused_with_a_reason(tmp_path_factory, data):
    d = tmp_path_factory.mktemp("py")
    (d / "rnn_layers.py").write_bytes(data)
    _load(d / "rnn_layers.py")


@SETTINGS
@given(st.lists(st.tuples(names, source_text), max_size=6), st.booleans())
def test_folders_with_odd_names_and_symlinks(tmp_path_factory, outside, entries, with_links):
    root = tmp_path_factory.mktemp("folder")
    for rel, data in entries:
        target = (root / rel.replace("\\", "_")).resolve()
        if not str(target).startswith(str(root.resolve()) + os.sep) or rel.endswith("/"):
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.is_dir():
                target.write_bytes(data)
        except OSError:
            continue
    if with_links:
        os.symlink(outside / "secret.py", root / "rnn_layers.py") if not (root / "rnn_layers.py").exists() else None
        os.symlink(outside, root / "linked_dir")
    before = sorted(p.name for p in outside.iterdir())
    _load(root)
    assert sorted(p.name for p in outside.iterdir()) == before


def _zip(entries, symlinks=(), declared_big=False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name), data)
        for name, target in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    raw = buf.getvalue()
    return raw


@SETTINGS
@given(st.lists(st.tuples(names, source_text), max_size=6),
       st.lists(st.tuples(names, st.sampled_from(["/etc/passwd", "../../secret.py", "/"])), max_size=2))
def test_zips_with_traversal_and_symlink_entries(tmp_path_factory, outside, entries, symlinks):
    d = tmp_path_factory.mktemp("zip")
    path = d / "sub.zip"
    try:
        path.write_bytes(_zip(entries, symlinks))
    except (ValueError, UnicodeEncodeError):
        return
    before = sorted(p.name for p in d.iterdir())
    out = _load(path)
    assert sorted(p.name for p in d.iterdir()) == before, "the loader wrote next to the zip"
    if isinstance(out, Submission):
        linked = {n for n, _ in symlinks}
        assert not (set(out.files) & {n.replace("\\", "/") for n in linked} - {n for n, _ in entries})


@SETTINGS
@given(st.binary(max_size=2000), st.integers(0, 1999), st.binary(min_size=1, max_size=8))
def test_corrupted_zips_are_refused_with_a_reason(tmp_path_factory, junk, at, patch):
    d = tmp_path_factory.mktemp("bad")
    good = _zip([("rnn_layers.py", b"import numpy as np\n" * 20)])
    raw = bytearray(good if junk[:1] != b"\0" else junk)
    at %= max(len(raw), 1)
    raw[at:at + len(patch)] = patch
    (d / "sub.zip").write_bytes(bytes(raw))
    _load(d / "sub.zip")


def test_a_zip_bomb_is_refused_without_inflating_it(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("rnn_layers.py", "w", force_zip64=True) as fh:  # 64 MiB of spaces: 32 times the cap
            chunk = b" " * (1 << 20)
            for _ in range(64):
                fh.write(chunk)
    assert bomb.stat().st_size < 1 << 20
    started = time.monotonic()
    out = _load(bomb)
    assert isinstance(out, LoadError) and "bytes" in out.message
    assert time.monotonic() - started < 5


def test_a_zip_whose_declared_sizes_lie_is_read_no_further_than_the_cap(tmp_path):
    raw = bytearray(_zip([("rnn_layers.py", b"#" * (3 * MAX_FILE_BYTES))]))
    # claim 10 bytes in both headers: the reader must still stop at the cap, not trust the claim
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        i = raw.find(sig)
        off = 22 if sig == b"PK\x03\x04" else 24
        raw[i + off:i + off + 4] = (10).to_bytes(4, "little")
    (tmp_path / "lie.zip").write_bytes(bytes(raw))
    out = _load(tmp_path / "lie.zip")
    assert isinstance(out, LoadError)


def test_path_traversal_entries_are_refused(tmp_path):
    for name in ("../rnn_layers.py", "/abs/rnn_layers.py", "a/../../rnn_layers.py"):
        (tmp_path / "t.zip").write_bytes(_zip([(name, b"x = 1\n")]))
        out = _load(tmp_path / "t.zip")
        assert isinstance(out, LoadError) and "outside the archive" in out.message, name


def test_a_symlinked_solution_is_never_followed(tmp_path, outside):
    root = tmp_path / "sub"
    root.mkdir()
    os.symlink(outside / "secret.py", root / "rnn_layers.py")
    out = _load(root)
    assert isinstance(out, LoadError)
    (tmp_path / "s.zip").write_bytes(_zip([], symlinks=[("rnn_layers.py", str(outside / "secret.py"))]))
    assert isinstance(_load(tmp_path / "s.zip"), LoadError)
