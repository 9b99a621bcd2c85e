"""JUnit XML for CI systems (GitLab, Jenkins, Azure, test-report actions): one testcase per check.

Layout: ``<testsuites>`` holds one ``<testsuite>`` per exercise (name = exercise id), whose
``<properties>`` carry ``score``, ``max_score`` and the submission's identity. Each check is a
``<testcase classname="<exercise>" name="<check id>">``; a ``failed`` check has a ``<failure>``,
an ``error`` or ``timeout`` an ``<error>`` (``type`` says which), a ``skipped`` one ``<skipped>``.
The element text holds the same advice as the other reports: message, hint, call, traceback lines.

Reads ``grader.results`` only. Student text may hold characters XML 1.0 cannot carry (NUL, ANSI
escapes): they are shown as ``\\xNN`` so the file always parses.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..results import CheckResult, GradeResult
from .advice import check_details
from .output import write_text_atomic

__all__ = ["render_junit", "write_junit"]

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _testcase(parent: ET.Element, c: CheckResult) -> None:
    case = ET.SubElement(parent, "testcase", classname=c.exercise, name=c.id, time=f"{c.seconds:.3f}")
    if c.status == "passed":
        return
    message = _xml_safe(c.message or c.status)
    if c.status == "skipped":
        ET.SubElement(case, "skipped", message=message)
        return
    tag = "failure" if c.status == "failed" else "error"
    element = ET.SubElement(case, tag, message=message, type=c.status)
    element.text = _xml_safe(check_details(c))


def render_junit(result: GradeResult) -> str:
    checks = result.checks
    root = ET.Element(
        "testsuites", name="rnngrade", tests=str(len(checks)),
        failures=str(sum(c.status == "failed" for c in checks)),
        errors=str(sum(c.status in ("error", "timeout") for c in checks)),
        skipped=str(sum(c.status == "skipped" for c in checks)),
        time=f"{result.duration_s:.3f}",
    )
    for ex in result.exercises:
        suite = ET.SubElement(
            root, "testsuite", name=ex.id, tests=str(len(ex.checks)),
            failures=str(ex.count("failed")), errors=str(ex.count("error") + ex.count("timeout")),
            skipped=str(ex.count("skipped")), time=f"{sum(c.seconds for c in ex.checks):.3f}",
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (("score", f"{ex.score:g}"), ("max_score", f"{ex.max_score:g}"),
                            ("total_score", f"{result.score:g}"), ("total_max_score", f"{result.max_score:g}"),
                            ("title", ex.title), ("submission", result.submission.path),
                            ("sha256", result.submission.sha256), ("seed", str(result.seed)),
                            ("grader_version", result.grader_version)):
            ET.SubElement(props, "property", name=name, value=_xml_safe(value))
        for c in ex.checks:
            _testcase(suite, c)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(result: GradeResult, path: str | os.PathLike) -> Path:
    return write_text_atomic(path, render_junit(result))
