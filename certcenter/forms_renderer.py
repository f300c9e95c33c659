"""Django's form renderer, with the one-line ``<input>`` widgets rendered in Python.

Every ``{{ field }}`` on a wizard or 인증서 관리 page renders its widget through Django's
``django/forms/widgets/input.html`` (included from ``text.html``, ``password.html`` and the rest), then
``attrs.html``: three template loads and a loop per input, about a fifth of a form page's CPU when
measured (``bench.py pages``). The HTML those templates produce is fixed by Django, so for them this
renderer writes the same bytes with string formatting (and so for the options of radio and checkbox
groups, ``input_option.html``); any other widget template (selects, radio
groups, a project override of Django's template) goes through the templates as before.
``tests/test_forms_renderer.py`` checks the output against Django's own templates, byte for byte.
"""

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, mark_safe

# The widget templates that are exactly {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "password", "number", "email", "url", "tel", "search", "date",
                 "datetime", "time", "hidden", "checkbox", "color", "file")
)

# The options of radio and checkbox groups: {% include "django/forms/widgets/input_option.html" %}.
OPTION_TEMPLATES = frozenset(f"django/forms/widgets/{name}.html"
                             for name in ("input_option", "radio_option", "checkbox_option"))
_DJANGOS = {"input": ("django/forms/widgets/input.html", "django/forms/widgets/attrs.html"),
            "option": ("django/forms/widgets/input_option.html", "django/forms/widgets/input.html",
                       "django/forms/widgets/attrs.html")}


def _as_text(value) -> str:
    """``{{ value|stringformat:'s' }}`` under autoescaping."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)  # noqa: UP031 (the filter's own)
    return text if isinstance(value, SafeData) else escape(text)


def as_html(value) -> str:
    """``{{ value }}``: text escaped; anything else (a date, a number) localized first, as the
    template would."""
    if isinstance(value, str | Promise):
        return conditional_escape(value)
    return render_value_in_context(value, Context())


def render_input(widget: dict) -> str:
    """Django's ``input.html`` + ``attrs.html`` for one widget context."""
    kind, name = conditional_escape(widget["type"]), conditional_escape(widget["name"])
    parts = [f'<input type="{kind}" name="{name}"']
    if widget["value"] is not None:
        parts.append(f' value="{_as_text(widget["value"])}"')
    for attribute, value in widget["attrs"].items():
        if value is False:
            continue
        attribute = conditional_escape(attribute)
        parts.append(f" {attribute}" if value is True else f' {attribute}="{_as_text(value)}"')
    parts.append(">")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


def render_option(widget: dict) -> str:
    """Django's ``input_option.html``: one radio or checkbox of a group, its label around it or
    not (``wrap_label``)."""
    tag = render_input(widget)
    if not widget.get("wrap_label"):
        return tag
    option_id = widget["attrs"].get("id")
    target = f' for="{conditional_escape(option_id)}"' if option_id else ""
    # The newline is input.html's own last byte, kept inside the label by the include.
    return mark_safe(f"<label{target}>{tag}\n {as_html(widget['label'])}</label>")  # noqa: S308


class FormRenderer(DjangoTemplates):
    """``FORM_RENDERER``: Django's template renderer but for the plain ``<input>`` widgets."""

    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES and not self._overridden(template_name, "input"):
            return render_input(context["widget"])
        if template_name in OPTION_TEMPLATES and not self._overridden(template_name, "option"):
            return render_option(context["widget"])
        return super().render(template_name, context, request=request)

    def _overridden(self, template_name: str, kind: str) -> bool:
        """Whether a project template replaces Django's for this widget (then it is rendered)."""
        cache = self.__dict__.setdefault("_overrides", {})
        if template_name not in cache:
            origins = {self.get_template(name).origin.name
                       for name in (template_name, *_DJANGOS[kind])}
            cache[template_name] = any("/django/forms/templates/" not in origin.replace("\\", "/")
                                       for origin in origins)
        return cache[template_name]
