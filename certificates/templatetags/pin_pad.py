"""The PIN pad's template tag: a freshly shuffled key order for every pad drawn."""

from django import template

from certificates.pinpad import pad_layout

register = template.Library()


@register.simple_tag
def pin_pad_layout() -> list[str]:
    """``{% pin_pad_layout as keys %}``: the ten digits in a new random order."""
    return pad_layout()
