"""Panels of the main screen; each gets its state from the screen and posts small messages."""
