"""Reading the repository's inputs: raw/sources.csv, the committed texts, the Label Studio exports."""
