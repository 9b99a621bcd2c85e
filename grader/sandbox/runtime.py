"""What a worker needs from the host, shared by the isolation levels.

- ``worker_dir()``: a private copy of ``worker.py`` and ``wire.py`` (world-readable, owned by the
  grader). Workers run this copy, never the grader package itself, so the sandbox binds one small
  folder instead of the grader's source tree, and a worker running as an unprivileged uid can read
  its script even when the grader is installed somewhere only root can reach.
- ``runtime_paths()``: the folders the interpreter needs (prefixes, the executable's folder).
- ``package_dirs(name)``: where an importable package (numpy, or one the instructor allowed)
  lives, with the folders of its vendored shared libraries (``numpy.libs``).
- ``reachable_by_others(path)``: whether a uid that is neither the owner nor in the group can
  traverse to ``path`` (``/root`` is usually ``0700``: a pyenv Python under it is not).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

SANDBOX_WORKER_DIR = "/rnngrade"  # where the worker copy appears inside the bubblewrap sandbox
_SOURCES = ("worker.py", "wire.py")


@functools.lru_cache(maxsize=None)
def worker_dir() -> str:
    """The copy of the worker script and its wire module, shared by every grader process of this
    user and this grader version: ``$TMPDIR/rnngrade-rt-<uid>-<hash of the two files>``.

    Shared, because bulk slots end with ``os._exit`` (no atexit clean-up) and a copy per process
    piled up in /tmp. A folder of that name is only used when it is ours, not a symlink, not
    writable by others and holds exactly the expected bytes; otherwise a private copy is made.
    """
    here = Path(__file__).parent
    sources = {name: (here / name).read_bytes() for name in _SOURCES}
    digest = hashlib.sha256(b"".join(hashlib.sha256(sources[n]).digest() for n in _SOURCES)).hexdigest()[:16]
    final = os.path.join(tempfile.gettempdir(), f"rnngrade-rt-{os.geteuid()}-{digest}")
    if _is_ours(final, sources):
        return final
    staging = tempfile.mkdtemp(prefix="rnngrade-rt-new-")
    for name, data in sources.items():
        target = Path(staging, name)
        target.write_bytes(data)
        os.chmod(target, 0o644)
    os.chmod(staging, 0o755)  # readable by the workers' uids; writable by the grader only
    try:
        os.rename(staging, final)  # atomic; fails if another process made it first
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    if _is_ours(final, sources):
        return final
    private = tempfile.mkdtemp(prefix="rnngrade-rt-")  # someone else's folder sits there: do not trust it
    for name, data in sources.items():
        Path(private, name).write_bytes(data)
        os.chmod(Path(private, name), 0o644)
    os.chmod(private, 0o755)
    return private


def _is_ours(folder: str, sources: dict) -> bool:
    try:
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
            return False
        if sorted(os.listdir(folder)) != sorted(sources):
            return False
        for name, data in sources.items():
            fst = os.lstat(os.path.join(folder, name))
            if not stat.S_ISREG(fst.st_mode) or fst.st_uid != os.geteuid() or fst.st_mode & 0o022:
                return False
            if Path(folder, name).read_bytes() != data:
                return False
    except OSError:
        return False
    return True


def worker_script() -> str:
    return os.path.join(worker_dir(), "worker.py")


def _outermost(paths) -> list[str]:
    """Real paths, without those inside another one of the list."""
    real = sorted({os.path.realpath(p) for p in paths if p and os.path.exists(p)})
    out: list[str] = []
    for p in real:
        if not any(p == q or p.startswith(q.rstrip("/") + "/") for q in out):
            out.append(p)
    return out


def runtime_paths() -> list[str]:
    """Folders the interpreter needs: its prefixes and the folder of the real executable."""
    exe = os.path.realpath(sys.executable)
    return _outermost([sys.base_prefix, sys.prefix, os.path.dirname(os.path.dirname(exe))])


def package_dirs(name: str) -> list[str]:
    """The package folder of an importable top-level package plus its vendored-library folders.

    Uses ``find_spec`` (no import). Empty when the package is not installed.
    """
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        dirs = [os.path.realpath(p) for p in spec.submodule_search_locations]
    elif spec.origin and os.path.isabs(spec.origin):
        dirs = [os.path.realpath(spec.origin)]  # a single-file module
    else:
        return []
    extra = []
    for d in dirs:
        parent = os.path.dirname(d)
        for sibling in (f"{name}.libs", f"{name}_libs", f".{name}.libs"):
            candidate = os.path.join(parent, sibling)
            if os.path.isdir(candidate):
                extra.append(os.path.realpath(candidate))
    return dirs + extra


def site_dirs() -> list[str]:
    """Every folder where third-party packages may live on this host (to be masked in a sandbox)."""
    import glob
    import site

    found = set(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    for pattern in ("/usr/lib/python3*/site-packages", "/usr/lib/python3*/dist-packages",
                    "/usr/local/lib/python3*/site-packages", "/usr/local/lib/python3*/dist-packages",
                    "/usr/lib/python3/dist-packages", "/usr/lib64/python3*/site-packages"):
        found.update(glob.glob(pattern))
    return sorted({os.path.realpath(p) for p in found if os.path.isdir(p)})


def first_blocked_ancestor(path: str) -> str | None:
    """The outermost folder on the way to ``path`` that other uids cannot traverse, or None.

    "Other" means not the owner and not in the group: the per-slot uids are neither.
    """
    real = Path(os.path.realpath(path))
    for current in [*reversed(real.parents), real]:
        try:
            st = os.stat(current)
        except OSError:
            return str(current)
        if stat.S_ISDIR(st.st_mode) and not st.st_mode & stat.S_IXOTH:
            return str(current)
    return None


def reachable_by_others(path: str) -> bool:
    return first_blocked_ancestor(path) is None
