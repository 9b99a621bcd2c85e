"""Exercise metadata (``*.toml``) and the student starter (``rnn_layers.py``).

This is a package only so the files ship with rnngrade; nothing here is imported at grading time
except to find this folder. ``rnn_layers.py`` is DATA for students, never imported by the grader.
"""
