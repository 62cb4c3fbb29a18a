"""Benchmarks, run by `make bench`; each compares with a baseline measured in the same run."""
