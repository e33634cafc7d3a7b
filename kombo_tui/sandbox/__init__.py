"""A Kombo-compatible server for demos, tests and benchmarks (loopback only)."""
