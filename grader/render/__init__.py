"""Renderers: turn a ``grader.results.GradeResult`` into text for people (terminal, HTML).

Renderers read results only; they never import checks, the sandbox or the reference.
"""
