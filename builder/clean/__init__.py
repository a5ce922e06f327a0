"""Captured pages (text captures, HTML) → the cleaned, NFC text annotators see, with a byte map back."""
