"""kombo-tui: add a file to a candidate's application in any ATS that Kombo connects."""

__version__ = "0.1.0"
