"""Benchmarks: `make bench` (`python -m bench.run`) prints the tables of bench/README.md."""
