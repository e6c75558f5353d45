"""Benchmarks of the SCIM service: `python -m bench` (or `make bench`); see README, "Benchmarks"."""
