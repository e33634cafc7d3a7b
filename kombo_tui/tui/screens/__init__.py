"""Screens of the terminal app: the main screen and its modals."""
