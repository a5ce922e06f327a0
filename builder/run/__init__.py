"""The map per document and reduce per corpus: engines (datatrove local, Ray, Slurm), shard cache, progress."""
