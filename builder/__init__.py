"""Builder for the Bengali news corpus: raw pages + Label Studio exports → typed Parquet splits."""

__version__ = "0.1.0"
