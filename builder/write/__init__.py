"""The map's output: rows → Arrow/Parquet parts and exports per shard; the reduce's files (browser, plots, Croissant)."""
