"""builder.clean.credits: wire names found where they are printed."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from builder.clean import credits

_PIECES = sorted(credits.WIRE_NAMES) + ["বার্তা সংস্থা ", "সংবাদসংস্থা ", "বার্তা", "র", "ের", "কে", "’", "-", " ", "\n", ",", "।",
                                         "ক", "A", "x", "১", "7"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25), st.integers(min_value=0, max_value=40))
@example(["বার্তা সংস্থা ", "এএফপি", "কে", " ", "রয়টার্স", "ের"], 0)
@example(["ক", "এপি", " ", "AP", " ", "APx"], 1)
def test_wire_mentions_are_what_the_regex_finds_everywhere(pieces: list[str], start: int) -> None:
    """wire_mentions tries the regex only where a match can begin: the same matches as trying everywhere."""
    text = "".join(pieces)
    expected = [(m.span(), m.group(0), m["name"]) for m in credits._WIRE.finditer(text, start)]
    assert [(m.span(), m.group(0), m["name"]) for m in credits.wire_mentions(text, start)] == expected
