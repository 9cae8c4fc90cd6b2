"""Development sets of our own (README.md) and their checks: `python3 bench/sets/check_sets.py`."""
