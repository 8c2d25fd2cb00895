"""funcgrad's benchmarks; run them with `python benchmarks/run.py`."""
