"""GitHub Actions: a Markdown job summary and ``::error`` / ``::warning`` workflow commands.

Pure functions over ``grader.results``: nothing here reads the environment or writes files
(``grader.integrations.ci`` does that). Every piece of student-controlled text is escaped: in the
summary for Markdown and HTML (``grader.render.markdown``), in workflow commands as the runner
requires (``%``, CR and LF in the message; additionally ``:`` and ``,`` in properties), so a
message can neither break out of its annotation nor start a command of its own.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from ..results import CheckResult, Frame, GradeResult
from .markdown import md_code, md_points, md_text

__all__ = ["escape_data", "escape_property", "workflow_commands", "job_summary", "annotation_path"]

OPEN = ("failed", "error", "timeout")
_CELL = re.compile(r"cell \d+")
ICON = {"passed": "✔", "failed": "✘", "error": "!", "timeout": "⧗", "skipped": "–"}


def escape_data(text: str) -> str:
    """The message part of a workflow command (after ``::``)."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value of a workflow command (``file=``, ``title=`` ...)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, message: str, **props) -> str:
    given = ",".join(f"{k}={escape_property(v)}" for k, v in props.items() if v not in (None, ""))
    return f"::{level}{' ' + given if given else ''}::{escape_data(message)}"


def annotation_path(result: GradeResult, frame_file: str, submission_path: str,
                    workspace: str | None = None) -> str | None:
    """The path GitHub should annotate for a traceback frame, or None when there is no such file.

    Frames name files relative to the submission; ``submission_path`` is the path the user passed
    to ``rnngrade check``. A file submission maps its module to that path, a folder joins the
    frame's file to it; a zip has no file in the repository to point at. The result is relative to
    ``workspace`` (the repository checkout) when the file lies inside it.
    """
    sub = result.submission
    if sub.kind == "notebook":
        return _notebook_path(result, frame_file, submission_path, workspace)
    rel = PurePosixPath(frame_file)
    if rel.is_absolute() or ".." in rel.parts or not frame_file:
        return None
    if sub.kind == "file":
        if frame_file != sub.module_file:
            return None
        target = Path(submission_path)
    elif sub.kind == "folder":
        target = Path(submission_path, *rel.parts)
    else:
        return None
    return _relative(target, workspace)


def _notebook_path(result: GradeResult, place: str, submission_path: str, workspace: str | None) -> str | None:
    """A notebook's frames name a cell ("cell 3"); the annotation goes on the .ipynb file itself
    (its JSON lines are not the cell's lines, so the cell and line go into the message instead)."""
    if not _CELL.fullmatch(place or ""):
        return None
    if submission_path.lower().endswith(".ipynb"):
        target = Path(submission_path)
    elif Path(submission_path).is_dir():
        rel = PurePosixPath(result.submission.module_file)
        if rel.is_absolute() or ".." in rel.parts:
            return None
        target = Path(submission_path, *rel.parts)
    else:  # a zip: nothing in the repository to point at
        return None
    return _relative(target, workspace)


def _relative(target: Path, workspace: str | None) -> str:
    if workspace:
        try:
            return Path(os.path.abspath(target)).relative_to(os.path.abspath(workspace)).as_posix()
        except ValueError:
            pass
    return target.as_posix()


def _place(result: GradeResult, path: str | None, file: str, line: int) -> tuple[int | None, str]:
    """(line for the annotation, prefix for the message): a notebook's place is named in the message."""
    if not path:
        return None, ""
    if result.submission.kind == "notebook":
        return None, f"{file}, line {line}: " if line and line > 0 else f"{file}: "
    return (line if line and line > 0 else None), ""


def _advice(c: CheckResult) -> str:
    text = c.message
    if c.hint:
        text += f"\nhint: {c.hint}"
    return text


def workflow_commands(result: GradeResult, submission_path: str, workspace: str | None = None) -> list[str]:
    """``::error`` at the student's line for every open check whose traceback names one,
    ``::warning`` for the others; identical advice at the same place is reported once."""
    groups: dict[tuple, list[CheckResult]] = {}
    for c in result.checks:
        if c.status not in OPEN:
            continue
        frame: Frame | None = c.traceback[-1] if c.traceback else None
        path = annotation_path(result, frame.file, submission_path, workspace) if frame else None
        line, prefix = _place(result, path, frame.file, frame.line) if frame else (None, "")
        key = ("error", path, line) if path else ("warning", None, None)
        groups.setdefault(key + (prefix + _advice(c),), []).append(c)
    lines = []
    for (level, path, line, advice), checks in sorted(groups.items(), key=lambda kv: kv[0][0] != "error"):
        first = checks[0]
        title = f"{first.id}: {first.status} ({md_points(first.score, first.max_score)})"
        if len(checks) > 1:
            title += f" and {len(checks) - 1} more check{'s' if len(checks) > 2 else ''}"
        lines.append(_command(level, advice, file=path, line=line, title=title))
    for note in result.load_problems:
        if note.fatal:  # every check carries it, with its line, already
            continue
        path = annotation_path(result, note.file, submission_path, workspace) if note.file else None
        line, prefix = _place(result, path, note.file, note.line)
        lines.append(_command("warning", f"{prefix}{note.message}\nhint: {note.hint}", file=path, line=line,
                              title=f"rnngrade: {note.code}"))
    return lines


def _counts(checks) -> str:
    order = ("passed", "failed", "error", "timeout", "skipped")
    return ", ".join(f"{n} {s}" for s in order if (n := sum(c.status == s for c in checks)))


def job_summary(result: GradeResult) -> str:
    """The Markdown job summary: the score, a table per exercise, then what to fix."""
    sub = result.submission
    out = [
        f"## rnngrade: {md_points(result.score, result.max_score)} points",
        "",
        f"{md_code(sub.path)} (sha256 {md_code(sub.sha256[:12])}), rnngrade {md_text(result.grader_version)}, "
        f"seed {result.seed}, {result.duration_s:.2f} s: **{_counts(result.checks) or 'no checks'}**",
        "",
    ]
    for note in result.load_problems:
        where = f" ({md_code(f'{note.file}:{note.line}')})" if note.file and note.line else ""
        out.append(f"> **{'error' if note.fatal else 'warning'}**{where}: {md_text(note.message)}<br>"
                   f"hint: {md_text(note.hint)}")
        out.append("")
    for ex in result.exercises:
        out += [f"### {md_text(ex.title)}: {md_points(ex.score, ex.max_score)}", "",
                "| check | status | points |", "|---|---|--:|"]
        for c in ex.checks:
            out.append(f"| {md_code(c.id)} | {ICON[c.status]} {c.status} | {md_points(c.score, c.max_score)} |")
        out.append("")
    problems = [c for c in result.checks if c.status in OPEN]
    if problems:
        out += ["### What to fix", ""]
        for c in problems:
            item = f"- {ICON[c.status]} **{c.status}** {md_code(c.id)} ({md_points(c.score, c.max_score)}): " \
                   f"{md_text(c.message)}"
            if c.traceback:
                f = c.traceback[-1]
                item += f"<br>at {md_code(f'{f.file}:{f.line}')}: {md_code(f.code.strip())}"
            if c.hint:
                item += f"<br>hint: {md_text(c.hint)}"
            out.append(item)
        out.append("")
    return "\n".join(out) + "\n"
