"""Reliability suite: load and fault injection on the local stack over real HTTP (loopback only).

`python -m tests.reliability --events 10000 --faults` runs it from the repository root; the pytest files here run
short versions of each scenario. docs/reliability.md has the figures of the last full run.
"""
