"""The Textual app: the only package of kombo-tui that imports textual."""
