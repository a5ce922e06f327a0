"""The dataset folder as released: the build, the card (rendered and checked), publishing to the Hub."""
