"""Report figures drawn once are kept on disk, so re-running ``rnngrade check`` skips matplotlib.

A student re-runs ``check`` dozens of times an evening and most exercises come out the same each
time; drawing a report's figures costs about a second of CPU (importing matplotlib included), as
much as grading one half of the exercises. Each figure is stored under a hash of everything that
determines its bytes: the drawing function and its exact arguments (plain numbers from the
results), this grader's version, the source of ``plots.py`` and matplotlib's version.

Only ``rnngrade check`` turns the cache on (``enable()``); bulk grading, the pytest plugin and
library calls never read or write it. ``RNNGRADE_FIGURE_CACHE=0`` turns it off; the folder is
``$RNNGRADE_CACHE_DIR/figures``, else ``$XDG_CACHE_HOME/rnngrade/figures``, else
``~/.cache/rnngrade/figures``; at most ``MAX_ENTRIES`` figures are kept (least recently used go).

A cached figure is inserted into the report as it is, and at the ``process`` isolation level a
submission can write to the grader user's files, this folder included. So every entry is read
back through ``safe_svg``: one ``<svg>`` element made only of the elements and attributes
matplotlib's SVG output uses, no comment, processing instruction or CDATA, no event handler, no
link or CSS ``url()`` outside the figure. An entry that fails is ignored and drawn again. A
tampered entry can at worst show a wrong picture, never run script (docs/security.md).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
from pathlib import Path

MAX_ENTRIES = 2000
MAX_BYTES = 4 << 20  # one figure; matplotlib's are 20-80 KB

_enabled = False


def enable(on: bool = True) -> None:
    global _enabled
    _enabled = on


def directory() -> Path | None:
    """The cache folder, or None when the cache is off."""
    if not _enabled or os.environ.get("RNNGRADE_FIGURE_CACHE", "1").lower() in ("0", "no", "off", "false"):
        return None
    if os.environ.get("RNNGRADE_CACHE_DIR"):
        return Path(os.environ["RNNGRADE_CACHE_DIR"]) / "figures"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rnngrade" / "figures"


@functools.lru_cache(maxsize=1)
def _version_tag() -> str:
    from importlib import metadata

    versions = []
    for package in ("rnngrade", "matplotlib"):
        try:
            versions.append(metadata.version(package))
        except metadata.PackageNotFoundError:
            versions.append("?")
    plots = hashlib.sha256(Path(__file__).with_name("plots.py").read_bytes()).hexdigest()[:16]
    return "/".join([*versions, plots])


def _path(folder: Path, key: str) -> Path:
    return folder / (hashlib.sha256(f"{_version_tag()}\n{key}".encode()).hexdigest() + ".svg")


def get(key: str) -> str | None:
    """The stored figure for ``key`` if there is one and it passes ``safe_svg``; else None."""
    folder = directory()
    if folder is None:
        return None
    path = _path(folder, key)
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not safe_svg(text):
        return None
    try:
        os.utime(path)  # recently used: kept when the folder is pruned
    except OSError:
        pass
    return text


def put(key: str, svg: str) -> None:
    """Store a figure (atomically; any failure only means it is drawn again next time)."""
    folder = directory()
    if folder is None or len(svg) > MAX_BYTES:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".svg")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(svg)
        os.replace(tmp, _path(folder, key))
        _prune(folder)
    except OSError:
        pass


def _prune(folder: Path) -> None:
    entries = []
    for entry in os.scandir(folder):
        if entry.name.endswith(".svg") and not entry.name.startswith(".tmp-"):
            try:
                entries.append((entry.stat().st_mtime, entry.path))
            except OSError:
                pass
    if len(entries) <= MAX_ENTRIES:
        return
    for _, path in sorted(entries)[: len(entries) - MAX_ENTRIES * 3 // 4]:
        try:
            os.unlink(path)
        except OSError:
            pass


# ---------------------------------------------------------------- what may be inserted into a report

ELEMENTS = frozenset({"svg", "g", "path", "use", "defs", "clipPath", "rect", "text", "tspan", "pattern", "line",
                      "polyline", "polygon", "circle", "ellipse"})
_TAG = re.compile(r'<(/?)([A-Za-z][A-Za-z0-9:-]*)((?:\s+[A-Za-z][A-Za-z0-9:-]*="[^"<>]*")*)\s*(/?)>')
_ATTR = re.compile(r'([A-Za-z][A-Za-z0-9:-]*)="([^"<>]*)"')
_ENTITY = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9A-Fa-f]{1,6});)")
_URL = re.compile(r"url\s*\(", re.I)
_LOCAL_URL = re.compile(r"url\(#[A-Za-z0-9_.:-]+\)")


def safe_svg(text: str) -> bool:
    """True when ``text`` is one balanced ``<svg>`` element of matplotlib's vocabulary (see module doc)."""
    text = text.strip()
    if not text.startswith("<svg") or _ENTITY.search(text):
        return False
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        lt = text.find("<", pos)
        if lt < 0:
            return False  # text after the closing </svg>
        if lt > pos and not stack:
            return False  # text outside the element
        m = _TAG.match(text, lt)
        if m is None:
            return False  # a comment, processing instruction, CDATA, doctype or a broken tag
        closing, name, attrs, selfclosing = m.groups()
        outermost = not stack if not closing else stack == ["svg"]
        if name not in ELEMENTS or (name == "svg") != outermost:
            return False  # <svg> only around everything, everything else only inside it
        if closing:
            if attrs or selfclosing or not stack or stack.pop() != name:
                return False
        else:
            if not _safe_attributes(attrs):
                return False
            if not selfclosing:
                stack.append(name)
        pos = m.end()
        if not stack:
            return pos == len(text)
    return False


def _safe_attributes(attrs: str) -> bool:
    for name, value in _ATTR.findall(attrs):
        lowered = name.lower()
        if lowered.startswith("on") or lowered in ("src", "srcdoc", "formaction", "xml:base"):
            return False
        if lowered in ("href", "xlink:href") and not re.fullmatch(r"#[A-Za-z0-9_.:-]+", value):
            return False
        if "javascript:" in value.lower().replace(" ", "") or "expression(" in value.lower():
            return False
        if len(_URL.findall(value)) != len(_LOCAL_URL.findall(value)):
            return False  # only url(#id) of this figure
    return True
