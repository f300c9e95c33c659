"""Text as customers type it: the one place that turns full-width digits into ASCII ones."""

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s-]")


def ascii_digits(value: str | None, *, drop_separators: bool = False) -> str:
    """``value`` with full-width digits and punctuation (１２３－) in their ASCII form.

    Some Korean IMEs type full-width forms; NFKC maps them to ASCII. Other scripts' digits (Arabic-
    Indic ٩) are left as they are, so a ``[0-9]`` check after this still refuses them. Nothing is
    trimmed: callers whose format allows no inner separators strip the ends themselves.
    ``drop_separators``: also remove every space and hyphen, for a code typed in groups ("123 456").
    """
    text = unicodedata.normalize("NFKC", value or "")
    return _SEPARATORS.sub("", text) if drop_separators else text
