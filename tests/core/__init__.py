"""Tests of kombo_tui.core (a package so the test modules can share ``zips``)."""
