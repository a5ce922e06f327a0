"""A joined document → tokens, sentences, its split and one row per config."""
