"""The `builder` command: the only place that prints and exits."""
