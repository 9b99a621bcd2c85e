"""Remember that the sandbox works on this machine, so `check` need not prove it again every run.

The probe (``SandboxLauncher.probe``: a sandboxed Python that imports numpy) takes ~0.18 s, longer
than the imports it runs beside, so every ``check`` waited for it. A success is remembered for a
day under a key made of everything the probe's outcome depends on: the bubblewrap binary, the
Python and numpy the worker runs, the grader's version and where it is installed, the kernel, the
user, the user-namespace sysctls and the environment variables the sandbox reads. Any of them
changing is a new key, so the probe runs again. Only successes are kept: a machine where the
sandbox fails is probed every time (a failure is quick, and may be fixed meanwhile). A sandboxed
worker that cannot start forgets the entry (``forget``), so the next run probes again.

What a wrong entry can do: make ``auto`` choose the sandbox where it does not work, so workers fail
to start and every check is an infrastructure error ("not your fault"), never a weaker isolation
(the entry only ever says "the sandbox works"). Kept in ``$RNNGRADE_CACHE_DIR/probe``, else
``$XDG_CACHE_HOME/rnngrade/probe``, else ``~/.cache/rnngrade/probe``; ``RNNGRADE_PROBE_CACHE=0``
turns it off.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

MAX_AGE_SECONDS = 24 * 3600
SYSCTLS = ("/proc/sys/kernel/unprivileged_userns_clone", "/proc/sys/user/max_user_namespaces",
           "/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
ENVIRONMENT = ("RNNGRADE_BWRAP", "RNNGRADE_UID_BASE", "RNNGRADE_UID_COUNT", "PATH")


def directory() -> Path | None:
    # the folder rules of grader/render/figure_cache.directory; not shared, because a renderer may import
    # nothing of the grader but its results (tests/test_html_report.py)
    if os.environ.get("RNNGRADE_PROBE_CACHE", "1").lower() in ("0", "no", "off", "false"):
        return None
    if os.environ.get("RNNGRADE_CACHE_DIR"):
        return Path(os.environ["RNNGRADE_CACHE_DIR"]) / "probe"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rnngrade" / "probe"


def _file_facts(path: str) -> list:
    st = os.stat(path)
    return [os.path.realpath(path), st.st_size, st.st_mtime_ns]


def key(bwrap: str) -> str | None:
    """A digest of what the probe's outcome depends on; None when a part of it cannot be read."""
    import grader

    from .bwrap import _grader_paths

    try:
        numpy = importlib.util.find_spec("numpy")
        facts = {
            "bwrap": _file_facts(bwrap), "python": _file_facts(sys.executable), "prefix": sys.prefix,
            "numpy": _file_facts(numpy.origin), "grader": [grader.__version__, _grader_paths()],
            "kernel": list(os.uname()), "uid": [os.getuid(), os.geteuid(), os.getgid()],
            "sysctl": {p: Path(p).read_text().strip() if os.path.exists(p) else None for p in SYSCTLS},
            "env": {k: os.environ.get(k) for k in ENVIRONMENT},
        }
    except (OSError, AttributeError, ImportError, ValueError):
        return None
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _entry(bwrap: str) -> Path | None:
    folder, digest = directory(), key(bwrap) if bwrap else None
    return folder / f"sandbox-works-{digest}" if folder is not None and digest else None


def known_good(bwrap: str) -> bool:
    entry = _entry(bwrap)
    try:
        return entry is not None and 0 <= time.time() - entry.stat().st_mtime < MAX_AGE_SECONDS
    except OSError:
        return False


def remember_good(bwrap: str) -> None:
    entry = _entry(bwrap)
    if entry is None:
        return
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_text("the bubblewrap sandbox worked here; see grader/sandbox/probe_cache.py\n")
    except OSError:
        pass  # not remembered: the next run probes again


def forget() -> None:
    """Drop every remembered success (a sandboxed worker failed to start)."""
    folder = directory()
    if folder is None:
        return
    for entry in folder.glob("sandbox-works-*"):
        try:
            entry.unlink()
        except OSError:
            pass
