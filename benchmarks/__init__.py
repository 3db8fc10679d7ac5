"""Benchmarks: each prints its figures and ratios; run with `make bench`."""
