"""Benchmarks of cfsync against the sandbox: `make bench`, never part of `make test`. See bench/RESULTS.md."""
