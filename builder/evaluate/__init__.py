"""Extraction quality against golden page sets (`builder eval`)."""
