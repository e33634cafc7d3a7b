"""The UI-free core of kombo-tui: models, sniffing, payloads, the client, settings, history.

Nothing in here imports textual; scripts and notebooks can use it directly.
"""
