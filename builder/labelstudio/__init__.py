"""The annotators' side: a real Label Studio server, its project, gold specs, predictions, pulls."""
