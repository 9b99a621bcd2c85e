"""Find submissions whose code is the same once cosmetic differences are removed.

The source is only tokenised and parsed (``tokenize``, ``ast``), never executed. Normalising drops
comments, docstrings and other bare string statements, blank lines and spacing, and renames every
identifier to its order of first appearance within its top-level statement (``v1``, ``v2``, ...),
so renaming variables or re-commenting a copy does not hide it, and one function's names do not
shift another's. Attribute names after a dot (``np.tanh``), imported module
names and builtins are kept: two solutions calling different functions stay different.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import io
import keyword
import tokenize
from collections import defaultdict

_BUILTINS = set(dir(builtins))
_DROP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER, tokenize.TYPE_COMMENT}


def normalise(source: str) -> str | None:
    """The normalised token stream as text, or None when the source does not tokenise/parse."""
    try:
        tree = ast.parse(source)
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (SyntaxError, tokenize.TokenError, IndentationError, ValueError):
        return None
    bare_strings = _bare_string_spans(tree)
    names: dict[str, str] = {}
    out: list[str] = []
    previous, level = "", 0
    for tok in tokens:
        if tok.type in _DROP:
            continue
        if tok.type == tokenize.INDENT:
            level += 1
        elif tok.type == tokenize.DEDENT:
            level -= 1
        if level == 0 and tok.type in (tokenize.NEWLINE, tokenize.DEDENT):
            names = {}  # numbering restarts with every top-level statement (def, class, import ...)
        if tok.type == tokenize.STRING and _inside(tok.start, bare_strings):
            continue
        if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string) \
                and previous not in (".", "import", "from") and tok.string not in _BUILTINS:
            text = names.setdefault(tok.string, f"v{len(names) + 1}")
        elif tok.type == tokenize.INDENT:
            text = "<indent>"
        elif tok.type == tokenize.DEDENT:
            text = "<dedent>"
        elif tok.type == tokenize.NEWLINE:
            text = "<nl>"
        else:
            text = tok.string
        if text == "<nl>" and (not out or out[-1] in ("<nl>", "<indent>", "<dedent>")):
            continue  # what is left of a removed docstring line
        out.append(text)
        previous = tok.string
    return " ".join(out)


def fingerprint(source: str) -> str | None:
    norm = normalise(source)
    return None if norm is None else hashlib.sha256(norm.encode()).hexdigest()


def identical_groups(fingerprints: dict[str, str | None], exclude: set[str] = frozenset()) -> list[list[str]]:
    """Groups (two or more keys each) of equal fingerprints, largest first; ``exclude`` drops e.g. the starter."""
    groups: dict[str, list[str]] = defaultdict(list)
    for key, fp in fingerprints.items():
        if fp and fp not in exclude:
            groups[fp].append(key)
    found = [sorted(keys) for keys in groups.values() if len(keys) > 1]
    return sorted(found, key=lambda g: (-len(g), g))


def _bare_string_spans(tree: ast.AST) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where docstrings and other string-only statements sit: (start, end) as (line, col)."""
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            spans.append(((node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)))
    return spans


def _inside(pos: tuple[int, int], spans) -> bool:
    return any(start <= pos < end for start, end in spans)
