"""Where sweep chunks can run: worker processes on this machine, or a Dask cluster."""

EXECUTORS = ("local", "dask")
