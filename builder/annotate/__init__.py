"""Label Studio annotations → spans checked against the text, re-anchored, adjudicated, joined."""
