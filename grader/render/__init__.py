"""Renderers: turn a ``grader.results.GradeResult`` into text for people (terminal, HTML) and for
other systems (JUnit XML, GitHub job summary and annotations, Gradescope results.json).

Renderers read results only; they never import checks, the sandbox or the reference.
"""
