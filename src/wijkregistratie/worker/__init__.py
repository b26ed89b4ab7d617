"""The worker process: `runner` runs the jobs every part of the record registers in its `jobs.py`."""
