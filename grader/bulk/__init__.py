"""Bulk grading for instructors: a class of submissions -> gradebook, reports, exports, summary.

Data flows one way, as everywhere in rnngrade (docs/bulk.md has the whole story):

    SUBMISSIONS (folder or zip)
      -> inputs.open_submissions   a folder on disk (a zip is unpacked safely, outside OUT)
      -> layouts.scan              LMS naming schemes -> entries with the identity they give
      -> identity.resolve          roster mapping, newest-wins, unique file-safe keys
      -> plan.prepare              each unit read by grader.loader (never executed): hash, fingerprint
      -> scheduler.Pool            N slot processes; work.Slot calls engine.grade, which runs the
                                   student's code in a fresh sandboxed worker per submission
         or cluster.DaskPool       (--dask) the same, on a Dask cluster: remote.grade_remote gets the
                                   files as bytes, grades them in a slot on the worker, returns JSON text
      -> batch                     files written atomically, then one commit per submission
      -> gradebook (SQLite)        the single source of truth for grades.csv, exports and summary

The trusted processes never import student code. ``cli`` holds the click commands.
"""

__all__ = ["BulkInputError"]


class BulkInputError(Exception):
    """Bad input to a bulk command: the message names the cause, the hint names the fix."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint
