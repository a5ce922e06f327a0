"""HTML bytes → str: the declared charset (BOM, <meta>), checked; why bytes are not an HTML page.

UTF-8 is assumed when nothing is declared; bytes that do not decode, UTF-8 declared as latin-1 and
mojibake are refused with the reason, never guessed around.
"""

from __future__ import annotations

import codecs

import regex

_META_CHARSET = regex.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", regex.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CONTROL_BYTES = bytes([*range(0x01, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])  # not \t\n\f\r ESC
_MARKUP = regex.compile(r"<[A-Za-z!/?]")
# UTF-8 Bengali (E0 A6 xx / E0 A7 xx) read as windows-1252 and saved again: "à¦¬à¦¾..." mojibake.
_MOJIBAKE = ("\u00e0\u00a6", "\u00e0\u00a7")
_IANA = {"utf-8-sig": "utf-8", "cp1252": "windows-1252", "iso8859-1": "iso-8859-1",
         "utf-16-le": "utf-16le", "utf-16-be": "utf-16be"}


def declared_charset(raw: bytes) -> str | None:
    """Charset from a BOM or a <meta charset> / http-equiv Content-Type in the first 4 KB."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    m = _META_CHARSET.search(raw[:4096])
    return m.group(1).decode("ascii") if m else None


def decode_with_codec(raw: bytes) -> tuple[str | None, str, str]:
    """(text, codec, reason): decode with the declared charset (UTF-8 if none); text is None when
    that is impossible or would give mojibake."""
    declared = declared_charset(raw) or "utf-8"
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return None, "", f"declared charset {declared!r} is unknown"
    if name.startswith(("utf-16", "utf-32")) and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        name = "utf-8"  # a <meta> can only be read if the bytes are ASCII-compatible (HTML spec)
    try:
        text = raw.decode(name)
    except UnicodeDecodeError as exc:
        return None, name, f"bytes are not valid {declared} (first bad byte at {exc.start})"
    if name not in ("utf-8", "utf-8-sig") and not name.startswith("utf-16") and not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            # Non-ASCII bytes that are valid UTF-8 are almost never real latin-1/cp1252 text:
            # decoding them as declared would produce mojibake.
            return None, name, f"declared charset {declared!r} but the bytes are UTF-8"
    if sum(text.count(m) for m in _MOJIBAKE) >= 3:
        return None, name, "the text is already mojibake: UTF-8 Bengali saved as windows-1252 ('à¦…')"
    return text.lstrip("\ufeff"), name, ""


def decode_html(raw: bytes) -> tuple[str | None, str]:
    """Decode with the declared charset (UTF-8 if none); (None, reason) when that is impossible or wrong."""
    text, _, reason = decode_with_codec(raw)
    return text, reason


def content_type(codec: str) -> str:
    """Media type with the charset the page was read in, e.g. `text/html; charset=utf-8`."""
    return f"text/html; charset={_IANA.get(codec, codec)}"


def not_html(raw: bytes, text: str | None) -> str | None:
    """Why the bytes are not an HTML page (NUL or control bytes, no markup at all), or None."""
    if not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        nul = raw.find(b"\x00")
        if nul >= 0:
            return f"NUL byte at offset {nul}: binary data, or UTF-16 without a byte-order mark"
        head = raw[:65536]
        controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
        if controls > max(8, len(head) // 200):
            return f"{controls} control bytes in the first {len(head)} bytes: binary data"
    if text is not None:
        if "\x00" in text:
            return f"NUL character at offset {text.index(chr(0))}"
        if _MARKUP.search(text) is None:
            return "no markup at all"
    return None
