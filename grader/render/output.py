"""Writing reports to disk: all or nothing."""

from __future__ import annotations

import codecs
import os
import tempfile
from pathlib import Path

__all__ = ["write_text_atomic"]


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` so readers see either the old file or the whole new one.

    The text goes to a temporary file in the same folder (so ``os.replace`` is a rename on one
    file system) which then replaces ``path``; on any error the temporary file is removed and an
    existing file at ``path`` is left untouched. Parent folders are created. Returns the path.
    """
    path = Path(path)
    if not isinstance(text, str):
        raise TypeError(f"Expected text to be str but got text={text!r:.60} (type={type(text).__name__})")
    codecs.lookup(encoding)  # an unknown encoding fails here, before any file exists
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path
