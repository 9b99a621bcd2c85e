"""Integrations with the systems around a course: CI (JUnit, GitHub Actions, the score gate),
Gradescope's autograder and pytest. Renderers live in ``grader.render``; this package holds the
glue that reads the environment, writes files and builds archives. See docs/integrations.md.
"""
