"""Audit tools: the labelling round trip (export CSV, checked human labels, labelled CSV)."""
