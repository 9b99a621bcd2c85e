"""SUBMISSIONS as given on the command line -> a folder on disk, or a clear error.

A folder is used as it is (read only). A zip (an LMS bulk download) is unpacked into a private
temporary folder with the same care as a student's zip: no absolute paths or ``..``, no symlinks,
caps on every file and on the total, and modification times kept (newest-wins uses them).
Nothing is executed and nothing in OUT is touched here.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
import zipfile
from pathlib import Path, PurePosixPath

from . import BulkInputError

MAX_MEMBER_BYTES = 64 * 1024 * 1024  # one file inside a bulk download
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024  # the whole unpacked download
MAX_MEMBERS = 100_000


def open_submissions(path: str | os.PathLike, workdir: Path) -> tuple[Path, list[tuple[str, str]]]:
    """Return (folder to scan, [(name, reason)] of zip members left out). Raises BulkInputError."""
    p = Path(path)
    if not p.exists():
        raise BulkInputError(f"{path}: no such file or folder",
                             "Pass the folder or the .zip you downloaded from your LMS (Canvas, Moodle, Gradescope, "
                             "GitHub Classroom) or a folder with one file or folder per student.")
    if p.is_dir():
        try:
            next(iter(p.iterdir()), None)
        except OSError as exc:
            raise BulkInputError(f"{path}: cannot read the folder ({exc.strerror})",
                                 "Check the folder's permissions.") from None
        return p, []
    if p.suffix.lower() != ".zip":
        raise BulkInputError(f"{path} is a {p.suffix or 'extension-less'} file, not a folder or a .zip",
                             "Pass the folder or the .zip of all submissions (to grade one file use `rnngrade check`).")
    target = workdir / "submissions"
    target.mkdir(parents=True)
    return target, _unzip(p, target)


def _unzip(path: Path, target: Path) -> list[tuple[str, str]]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BulkInputError(f"{path} is not a readable zip file ({exc})",
                             "Download the submissions again from your LMS, or unzip them yourself and pass the folder.") from None
    left_out: list[tuple[str, str]] = []
    total = 0
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise BulkInputError(f"{path} has {len(infos)} entries (more than {MAX_MEMBERS})",
                                 "Unzip it yourself and pass the folder.")
        for info in infos:
            name = info.filename.replace("\\", "/")
            rel = PurePosixPath(name)
            if not name or rel.is_absolute() or ".." in rel.parts or (rel.parts and ":" in rel.parts[0]):
                left_out.append((name, "points outside the archive"))
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                left_out.append((name, "a symbolic link (never followed)"))
                continue
            dest = target.joinpath(*rel.parts)
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                left_out.append((name, f"larger than {MAX_MEMBER_BYTES // (1024 * 1024)} MiB"))
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                size = _copy_member(zf, info, dest)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
                dest.unlink(missing_ok=True)
                left_out.append((name, f"could not be unpacked ({exc})"))
                continue
            if size is None:
                left_out.append((name, f"expands beyond {MAX_MEMBER_BYTES // (1024 * 1024)} MiB"))
                continue
            total += size
            if total > MAX_TOTAL_BYTES:
                shutil.rmtree(target, ignore_errors=True)
                raise BulkInputError(f"{path} unpacks to more than {MAX_TOTAL_BYTES // 1024 ** 3} GiB",
                                     "Unzip it yourself and pass the folder.")
            stamp = _zip_time(info)
            os.utime(dest, (stamp, stamp))
    return left_out


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> int | None:
    """Copy one member, never reading more than the cap (declared sizes can lie)."""
    size = 0
    with zf.open(info) as src, open(dest, "wb") as out:
        while True:
            chunk = src.read(1024 * 1024)
            if not chunk:
                return size
            size += len(chunk)
            if size > MAX_MEMBER_BYTES:
                out.close()
                dest.unlink(missing_ok=True)
                return None
            out.write(chunk)


def _zip_time(info: zipfile.ZipInfo) -> float:
    try:
        return time.mktime(info.date_time + (0, 0, -1))
    except (OverflowError, ValueError):
        return 0.0
