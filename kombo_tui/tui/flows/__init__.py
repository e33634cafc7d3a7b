"""The main screen's state machines as plain objects: where the file goes (:mod:`.target`) and
how it leaves (:mod:`.send`).

A flow takes what happened (a field edited, a pick, a request's answer) and keeps the state
records of :mod:`kombo_tui.tui.state`; it says which effects to run (a request to start,
something to say) and runs none itself. The main screen forwards its panels' messages here,
runs the workers asked for and assigns the flows' records to its reactives. Nothing here
imports Textual, so plain pytest drives every transition; the core is imported on first use.
"""
