"""Markdown for text we do not control (messages, hints, calls and code quoted from submissions).

Student text can contain anything: ``<script>``, ``[links](...)``, ``**emphasis**``, table pipes,
newlines. Everything here renders it as the literal characters, in GitHub-flavoured Markdown
(job summaries) and Gradescope's Markdown: HTML special characters become entities, Markdown
inline Markdown punctuation is backslash-escaped, and line breaks become ``<br>`` so a value stays inside its table
cell or list item.
"""

from __future__ import annotations

import html
import re

__all__ = ["md_text", "md_code", "md_points"]

# Inline constructs only: values never start a line (line breaks become <br>), so block markers
# (#, -, +, 1.) cannot take effect; [ ] stop links and images, $ stops GitHub's math.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def md_text(text: str) -> str:
    """``text`` as literal inline Markdown (safe inside a table cell or a list item)."""
    text = html.escape(str(text), quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _NEWLINES.sub("<br>", text)


def md_code(text: str) -> str:
    """``text`` in a code font, still literal: a ``<code>`` element whose content is escaped.

    A backtick code span cannot safely hold every string (backtick runs, pipes in tables), and
    inline HTML content is still parsed as Markdown, so the content is escaped like ``md_text``.
    """
    return f"<code>{md_text(text)}</code>"


def md_points(score: float, max_score: float) -> str:
    return f"{score:g}/{max_score:g}"
