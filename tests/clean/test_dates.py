"""Month-table date parser: both seed formats, meridiem words, prefixes, weekdays, invalid dates."""

from datetime import date, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from builder.clean.dates import DHAKA, YEAR_DIGITS, parse_date, parse_labelled, search_date


def _dt(y: int, mo: int, d: int, h: int, mi: int) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=DHAKA)


def test_bss_format_24h() -> None:
    assert parse_date("১৩ আগস্ট ২০২৫, ১৩:২১") == _dt(2025, 8, 13, 13, 21)


def test_amar_format_month_first_with_pm() -> None:
    value = parse_date("আগস্ট ১৫, ২০২২, ০১:৪২ পিএম")
    assert value == _dt(2022, 8, 15, 13, 42)
    assert isinstance(value, datetime) and value.utcoffset() == timedelta(hours=6)
    assert value.isoformat() == "2022-08-15T13:42:00+06:00"


def test_meridiem_words() -> None:
    assert parse_date("১৫ আগস্ট ২০২২, ১:৪২ পিএম") == _dt(2022, 8, 15, 13, 42)
    assert parse_date("আগস্ট ১৫, ২০২২, ০১:৪২ অপরাহ্ণ") == _dt(2022, 8, 15, 13, 42)
    assert parse_date("১৫ আগস্ট ২০২২, ১০:০৫ পূর্বাহ্ণ") == _dt(2022, 8, 15, 10, 5)
    assert parse_date("১৫ আগস্ট ২০২২, ১২:০৫ এএম") == _dt(2022, 8, 15, 0, 5)
    assert parse_date("১৫ আগস্ট ২০২২, ১২:০৫ পিএম") == _dt(2022, 8, 15, 12, 5)
    assert parse_date("১৫ আগস্ট ২০২২, বিকাল ৩:৩০") == _dt(2022, 8, 15, 15, 30)
    assert parse_date("১৫ আগস্ট ২০২২, রাত ৯:০৫") == _dt(2022, 8, 15, 21, 5)
    assert parse_date("১৫ আগস্ট ২০২২, সকাল ৮:০০") == _dt(2022, 8, 15, 8, 0)


def test_ascii_digits_and_latin_pm() -> None:
    assert parse_date("15 আগস্ট 2022, 01:42 PM") == _dt(2022, 8, 15, 13, 42)


def test_prefixes_and_weekday() -> None:
    assert parse_date("প্রকাশ: ১৩ আগস্ট ২০২৫, ১৩:২১") == _dt(2025, 8, 13, 13, 21)
    assert parse_date("প্রকাশিত: বুধবার, ১৩ আগস্ট ২০২৫, ১৩:২১") == _dt(2025, 8, 13, 13, 21)
    assert parse_labelled("আপডেট: ১৩ আগস্ট ২০২৫, ১৪:০০") == ("আপডেট", _dt(2025, 8, 13, 14, 0))
    assert parse_labelled("১৩ আগস্ট ২০২৫, ১৪:০০") == (None, _dt(2025, 8, 13, 14, 0))


def test_date_only_gives_date() -> None:
    value = parse_date("শুক্রবার, ০১ আগস্ট, ২০২৫")
    assert value == date(2025, 8, 1) and not isinstance(value, datetime)


def test_every_month_and_spellings() -> None:
    months = ["জানুয়ারি", "ফেব্রুয়ারি", "মার্চ", "এপ্রিল", "মে", "জুন", "জুলাই", "আগস্ট",
              "সেপ্টেম্বর", "অক্টোবর", "নভেম্বর", "ডিসেম্বর"]
    for number, name in enumerate(months, start=1):
        assert parse_date(f"১ {name} ২০২৪") == date(2024, number, 1), name
    assert parse_date("১ জানুয়ারী ২০২৪") == date(2024, 1, 1)
    assert parse_date("১ আগষ্ট ২০২৪") == date(2024, 8, 1)


def test_precomposed_ya_in_input_still_matches() -> None:
    # U+09DF is excluded from NFC composition; the parser NFCs its input and its keys.
    assert parse_date("১ জানু\u09dfারি ২০২৪") == date(2024, 1, 1)
    assert parse_date("১ জানু\u09af\u09bcারি ২০২৪") == date(2024, 1, 1)


def test_invalid_dates_are_none() -> None:
    assert parse_date("৩১ ফেব্রুয়ারি ২০২৪") is None
    assert parse_date("২৯ ফেব্রুয়ারি ২০২৩") is None
    assert parse_date("২৯ ফেব্রুয়ারি ২০২৪") == date(2024, 2, 29)
    assert parse_date("১৩ আগস্ট ২০২৫, ২৫:০০") is None
    assert parse_date("১৩ আগস্ট ২০২৫, ১৩:২১ এএম") is None
    assert parse_date("কোনো তারিখ নেই") is None
    assert parse_date("") is None


def test_search_inside_text_gives_offsets() -> None:
    text = "ঢাকা, ১৩ আগস্ট, ২০২৫ (বাসস) : রাশিয়ার"
    found = search_date(text)
    assert found is not None and found.value == date(2025, 8, 13)
    assert text[found.start : found.end] == "১৩ আগস্ট, ২০২৫"
    labelled = search_date("বাসস প্রকাশ: ১৩ আগস্ট ২০২৫, ১৩:২১")
    assert labelled is not None and labelled.prefix == "প্রকাশ"
    later = search_date("৩১ ফেব্রুয়ারি ২০২৪ এবং ১ মার্চ ২০২৪")
    assert later is not None and later.value == date(2024, 3, 1)


_PIECES = ["প্রকাশ", "আপডেট", ":", " ", ",", "|", "১৩", "২০২৫", "২০২", "13", "2025", "আগস্ট", "Aug", "বুধবার", "১:২১", "পিএম", "pm", "ই", "-", "/"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=12))
@example(["১৩", " ", "আগস্ট", " ", "২০২৫"])
@example(["প্রকাশ", ":", " ", "১৩", " ", "আগস্ট", " ", "২০২৫", ",", " ", "১:২১", " ", "পিএম"])
@example(["১৩", " ", "আগস্ট", " ", "১৩"])  # a two-digit year is no date
def test_a_string_without_four_digits_in_a_row_is_never_a_date(pieces: list[str]) -> None:
    """builder.clean.capture skips both date checks for a line without YEAR_DIGITS: safe only if no date
    pattern can match such a line."""
    text = "".join(pieces)
    if parse_labelled(text) is not None or parse_date(text) is not None or search_date(text) is not None:
        assert YEAR_DIGITS.search(text)
