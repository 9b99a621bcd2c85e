"""The loader reads submissions without executing them and explains what it cannot read."""

import os
import zipfile

import pytest

from grader.loader import LoadError, analyse, load

GOOD = b"import numpy as np\n\ndef rnn_step_forward(x, prev_h, Wx, Wh, b):\n    return np.tanh(x @ Wx + prev_h @ Wh + b), None\n"


def test_single_file(tmp_path):
    p = tmp_path / "anything.py"
    p.write_bytes(GOOD)
    sub = load(p)
    assert (sub.kind, sub.module_file, sub.loadable) == ("file", "anything.py", True)
    assert len(sub.sha256) == 64


def test_loading_executes_nothing(tmp_path):
    marker = tmp_path / "ran"
    p = tmp_path / "rnn_layers.py"
    p.write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    load(p)
    assert not marker.exists()


def test_folder_prefers_rnn_layers_and_keeps_helpers(tmp_path):
    (tmp_path / "rnn_layers.py").write_bytes(GOOD)
    (tmp_path / "helpers.py").write_bytes(b"X = 1\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "junk.py").write_bytes(b"")
    sub = load(tmp_path)
    assert sub.module_file == "rnn_layers.py" and set(sub.files) == {"rnn_layers.py", "helpers.py"}


def test_cs231n_layout(tmp_path):
    (tmp_path / "cs231n").mkdir()
    (tmp_path / "cs231n" / "rnn_layers.py").write_bytes(GOOD)
    (tmp_path / "cs231n" / "layers.py").write_bytes(b"")
    assert load(tmp_path).module_file == "cs231n/rnn_layers.py"


def test_zip_of_a_folder_is_unwrapped(tmp_path):
    z = tmp_path / "sub.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("alice_hw3/rnn_layers.py", GOOD)
        zf.writestr("alice_hw3/notes.txt", b"ignored")
        zf.writestr("__MACOSX/alice_hw3/._rnn_layers.py", b"junk")
    sub = load(z)
    assert (sub.kind, sub.module_file, list(sub.files)) == ("zip", "rnn_layers.py", ["rnn_layers.py"])


def test_zip_path_traversal_is_refused(tmp_path):
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../../etc/rnn_layers.py", GOOD)
    with pytest.raises(LoadError, match="points outside the archive"):
        load(z)


def test_zip_bomb_is_refused_without_inflating_it(tmp_path):
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("rnn_layers.py", b"#" * (3 * 1024 * 1024))
    with pytest.raises(LoadError, match="bytes"):
        load(z)


def test_symlinks_are_not_followed(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_bytes(b"SECRET = 1\n")
    d = tmp_path / "sub"
    d.mkdir()
    (d / "rnn_layers.py").write_bytes(GOOD)
    os.symlink(secret, d / "link.py")
    assert set(load(d).files) == {"rnn_layers.py"}


@pytest.mark.parametrize(
    "make, message, hint",
    [
        (lambda p: p / "missing.py", "no such file or folder", "Check the path"),
        (lambda p: (p / "x.txt").write_text("hi") and p / "x.txt", "cannot grade a .txt file", "Pass a .py file"),
        (lambda p: (p / "bad.zip").write_bytes(b"PK nope") and p / "bad.zip", "not a readable zip", "Re-create the zip"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "no Python file found", "rnn_layers.py"),
    ],
)
def test_unreadable_submissions_name_cause_and_fix(tmp_path, make, message, hint):
    with pytest.raises(LoadError) as info:
        load(make(tmp_path))
    assert message in info.value.message and hint in info.value.hint


def test_two_candidate_modules_is_an_error(tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "rnn_layers.py").write_bytes(GOOD)
    with pytest.raises(LoadError, match="several rnn_layers.py"):
        load(tmp_path)


def test_non_utf8_is_fatal_with_a_fix():
    [p] = analyse(b"x = '\xff'\n", "rnn_layers.py")
    assert p.code == "not-utf8" and p.fatal and "UTF-8" in p.hint


def test_python2_except_syntax():
    [p] = analyse(b"try:\n    pass\nexcept ValueError, e:\n    pass\n", "f.py")
    assert p.code == "python2" and p.line == 3


def test_numpy_private_module_import_is_flagged():
    [p] = analyse(b"from numpy.lib.function_base import diff\n", "f.py")
    assert p.code == "numpy2-removed" and "private in NumPy 2" in p.message


def test_forbidden_imports_are_configurable():
    src = b"import jax.numpy as jnp\nimport scipy\n"
    assert [p.code for p in analyse(src, "f.py")] == ["forbidden-import"]
    assert [p.message for p in analyse(src, "f.py", blocked_imports=("scipy",))] == ["f.py, line 2: imports scipy, which this exercise does not allow"]
