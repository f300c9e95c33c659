"""``{% field form.x %}``: one labelled form field with its help text and errors.

What ``includes/_field.html`` was, written in Python: a wizard page has up to five fields, and each
``{% include %}`` of that template (and of ``_field_errors.html`` inside it) cost more than the rest
of the field (``bench.py pages``). The markup is the same, byte for byte
(``tests/test_forms_renderer.py`` renders every form of the site both ways); ``_field_errors.html``
stays for the PIN pad's field.
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from certcenter.forms_renderer import as_html

register = template.Library()


def field_errors(bound) -> str:
    """``includes/_field_errors.html``."""
    errors = bound.errors
    if not errors:
        return "\n\n"
    items = "".join(f"<li>{conditional_escape(error)}</li>" for error in errors)
    return (f'\n<ul class="errorlist" id="{conditional_escape(bound.auto_id)}_error" role="alert">'
            f"{items}</ul>\n")


@register.simple_tag
def field(bound):
    help_text = ""
    if bound.help_text:
        help_text = (f'<p class="help" id="{conditional_escape(bound.auto_id)}_helptext">'
                     f"{as_html(bound.help_text)}</p>")
    return mark_safe(  # noqa: S308 (every value is escaped; the widget's HTML is Django's own)
        f'\n<div class="field{" has-error" if bound.errors else ""}">\n'
        f'  <label for="{conditional_escape(bound.id_for_label)}">{as_html(bound.label)}'
        f"</label>\n  {bound}\n  {help_text}\n  {field_errors(bound)}\n</div>\n"
    )
