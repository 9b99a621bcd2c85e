"""The terminal summary: one table per exercise, then every problem with its message and hint.

Reads ``grader.results`` only. Uses rich for layout and colour; colour is dropped automatically
when the output is not a terminal or ``NO_COLOR`` is set, and status words are always spelled
out so nothing depends on colour alone.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..results import CheckResult, GradeResult

STYLE = {"passed": "green", "failed": "red", "error": "dark_orange", "timeout": "magenta", "skipped": "bright_black"}
ICON = {"passed": "✔", "failed": "✘", "error": "!", "timeout": "⧗", "skipped": "–"}


def _points(score: float, max_score: float) -> str:
    return f"{score:g}/{max_score:g}"


def render_terminal(result: GradeResult, console: Console | None = None, verbose: bool = False) -> None:
    console = console or Console(highlight=False, soft_wrap=True)  # long messages wrap in the terminal, not mid-index
    sub = result.submission
    console.print(f"[bold]rnngrade[/bold] {escape(sub.path)}  [dim](sha256 {sub.sha256[:12]}, isolation "
                  f"{result.isolation}, seed {result.seed}, {result.duration_s:.2f} s)[/dim]")
    if getattr(result, "mode", "full") == "public":
        console.print("[cyan]public checks only[/cyan] (they need no reference solution; the hidden checks run when "
                      "your submission is graded)")
    for note in result.load_problems:
        colour = "red" if note.fatal else "yellow"
        console.print(f"[{colour}]{'error' if note.fatal else 'warning'}:[/{colour}] {escape(note.message)}")
        console.print(f"  [cyan]hint:[/cyan] {escape(note.hint)}")
    for ex in result.exercises:
        if all(_skipped_quietly(c) or c.kind == "api" for c in ex.checks):
            console.print(f"\n[bold]{escape(ex.title)}[/bold]  {_points(ex.score, ex.max_score)}  "
                          f"[bright_black]– not attempted ({', '.join(dict.fromkeys(c.function for c in ex.checks))})[/bright_black]")
            continue
        table = Table(title=f"{escape(ex.title)}  [bold]{_points(ex.score, ex.max_score)}[/bold]",
                      title_justify="left", show_edge=False, pad_edge=False, expand=False)
        table.add_column("function")
        table.add_column("check")
        table.add_column("status")
        table.add_column("points", justify="right")
        for function in dict.fromkeys(c.function for c in ex.checks):
            checks = [c for c in ex.checks if c.function == function]
            if all(_skipped_quietly(c) or c.kind == "api" for c in checks):
                total = sum(c.max_score for c in checks)
                table.add_row(function, "(all)", f"[bright_black]{ICON['skipped']} not attempted[/bright_black]",
                              _points(0, total))
                continue
            for c in checks:
                if c.status == "passed" and not c.max_score and not verbose:
                    continue  # passed checks worth nothing (api, most properties): --verbose lists them
                st = STYLE[c.status]
                table.add_row(c.function, c.id.rsplit(".", 1)[-1], f"[{st}]{ICON[c.status]} {c.status}[/{st}]",
                              _points(c.score, c.max_score))
        console.print()
        console.print(table)
    problems = [c for c in result.checks if c.status != "passed" and not _skipped_quietly(c)]
    if problems:
        console.print()
        console.print("[bold]What to fix[/bold]")
        explained: set[str] = set()
        for c in problems:
            _problem(console, c, explained)
    warnings = sorted({(c.function, a) for c in result.checks for a in c.metrics.get("mutated_inputs", [])})
    for function, arg in warnings:
        console.print(f"[yellow]note:[/yellow] {function} modifies its argument {arg} in place; the grader passed a "
                      "copy so your values were graded, but callers may not expect it: copy before +=.")
    console.print()
    total = f"{result.score:g} / {result.max_score:g}"
    if result.all_passed:
        console.print(f"[bold green]All checks passed: {total}[/bold green]")
    else:
        counts = ", ".join(f"{n} {s}" for s in STYLE if (n := sum(c.status == s for c in result.checks)))
        console.print(f"[bold]Score {total}[/bold]  ({counts})")


def _skipped_quietly(c: CheckResult) -> bool:
    """Not-attempted functions are listed once in the table; repeating them as problems is noise."""
    return c.status == "skipped" and "not attempted" in c.message


def _problem(console: Console, c: CheckResult, explained: set[str]) -> None:
    s = STYLE[c.status]
    console.print(f"[{s}]{ICON[c.status]} {c.status}[/{s}] [bold]{c.id}[/bold] ({_points(c.score, c.max_score)})")
    console.print(f"  {escape(c.message)}")
    if c.diagnosis and c.diagnosis.bug in explained:
        console.print(f"  [bold]diagnosis:[/bold] {escape(c.diagnosis.title)} (explained above)")
    elif c.diagnosis:
        explained.add(c.diagnosis.bug)
        console.print(f"  [bold]diagnosis:[/bold] {escape(c.diagnosis.title)}: {escape(c.diagnosis.explanation)}")
    if c.counterexample:
        console.print("  [bold]smallest failing input[/bold] (paste next to your file to reproduce):")
        for line in c.counterexample.get("snippet", "").splitlines():
            console.print(f"    [dim]{escape(line)}[/dim]")
    for f in c.traceback[-3:]:
        console.print(f"  [dim]{escape(f.file)}:{f.line} in {escape(f.func)}:[/dim] {escape(f.code.strip())}")
    if c.hint:
        console.print(f"  [cyan]hint:[/cyan] {escape(c.hint)}")
