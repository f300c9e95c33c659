"""The project's form renderer writes plain <input> widgets itself: byte for byte Django's."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe

from certcenter.forms_renderer import INPUT_TEMPLATES, FormRenderer
from certificates.cloud import forms as cloud_forms
from certificates.wizard import forms as wizard_forms


def both(widget: forms.Widget, name: str, value, attrs=None) -> tuple[str, str]:
    return (widget.render(name, value, attrs, renderer=FormRenderer()),
            widget.render(name, value, attrs, renderer=DjangoTemplates()))


def test_it_is_the_sites_renderer():
    assert isinstance(get_default_renderer(), FormRenderer)


@pytest.mark.parametrize("widget", [
    forms.TextInput(), forms.PasswordInput(render_value=True), forms.NumberInput(),
    forms.EmailInput(), forms.URLInput(), forms.HiddenInput(), forms.DateInput(),
    forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                           "maxlength": 6, "required": True, "disabled": False,
                           "data-x": 'a"<b>&\'c'}),
    forms.CheckboxInput(), forms.CheckboxInput(attrs={"checked": True}),
])
@pytest.mark.parametrize("value", [None, "", "홍길동", '"><script>x</script>', 123456, 0,
                                   mark_safe("<b>safe</b>"), ("a", "b"), True])
def test_inputs_match_djangos_templates(widget, value):
    ours, django = both(widget, 'na"me', value, {"id": "id_<x>", "aria-describedby": "h"})
    assert ours == django


@pytest.mark.parametrize("widget", [
    forms.RadioSelect(choices=[("a", "<A>"), ("b", mark_safe("<i>B</i>")), (3, "셋")]),
    forms.RadioSelect(choices=[("a", "A")], attrs={"id": "x<y", "required": True}),
    forms.CheckboxSelectMultiple(choices=[("a", "A"), ("b", "B & C")]),
    forms.RadioSelect(choices=[("a", "A")], attrs={}),
])
@pytest.mark.parametrize("value", [None, "b", ["a", "b"], 3])
def test_option_groups_match_djangos_templates(widget, value):
    ours, django = both(widget, "pick", value, {"id": "id_pick"})
    assert ours == django
    # One option at a time, as includes/_radio_group.html draws them ({{ radio.tag }}, {{ radio }}).
    options = {}
    for renderer in (FormRenderer(), DjangoTemplates()):
        form = forms.Form(data={"pick": value} if value is not None else None, renderer=renderer)
        form.fields["pick"] = forms.ChoiceField(choices=widget.choices, widget=widget)
        options[type(renderer)] = [(option.tag(), str(option)) for option in form["pick"]]
    assert options[FormRenderer] == options[DjangoTemplates]


def test_other_widgets_still_render_through_the_templates():
    select = forms.Select(choices=[("a", "<A>"), ("b", "B")])
    ours, django = both(select, "s", "b")
    assert ours == django and "<option" in ours


def make_form(form_class, data=None):
    """A form of the site, with what its constructor needs beside the data."""
    from accounts.models import Customer

    customer = Customer(name="홍길동", phone="01012345678", birth_date=None)
    needs = {"IdentifyForm": ((None,), {}),
             "ExtraVerificationForm": ((), {"method_label": "KB국민인증서"}),
             "SmsIdentityForm": ((), {"customer": customer})}
    args, kwargs = needs.get(form_class.__name__, ((), {}))
    try:
        return form_class(*args, data=data, **kwargs)
    except TypeError:  # a form that needs more than data
        pytest.skip(f"{form_class.__name__} takes other arguments")


def site_forms():
    import inspect

    from certificates.banking import forms as banking_forms
    from certificates.manage import forms as manage_forms

    for module in (wizard_forms, cloud_forms, banking_forms, manage_forms):
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and issubclass(cls, forms.Form) and cls.__module__ == module.__name__:
                yield pytest.param(cls, id=name)


@pytest.mark.parametrize("form_class", list(site_forms()))
@pytest.mark.parametrize("data", [None, {"name": '"<x>', "phone": "010", "code": "12", "pin": "1",
                                         "user_id": "<u>", "rrn_front": "9", "amount": "x"}])
def test_the_sites_forms_render_as_with_djangos_templates(form_class, data):
    form = make_form(form_class, data)
    ours = [str(field) for field in form]
    form.renderer = DjangoTemplates()
    theirs = [field.as_widget() for field in form]
    assert ours == theirs


def test_the_fast_path_covers_only_templates_that_are_djangos_input(settings):
    renderer = DjangoTemplates()
    for name in INPUT_TEMPLATES:
        source = renderer.get_template(name).template.source.strip()
        assert source == '{% include "django/forms/widgets/input.html" %}' or name.endswith(
            "/input.html")


# What {% field %} replaced: includes/_field.html as it was, the markup the tag must keep.
FIELD_TEMPLATE = (
    '{# One labelled field with its help text and errors (pass field=…). #}\n'
    '<div class="field{% if field.errors %} has-error{% endif %}">\n'
    '  <label for="{{ field.id_for_label }}">{{ field.label }}</label>\n'
    '  {{ field }}\n'
    '  {% if field.help_text %}<p class="help" id="{{ field.auto_id }}_helptext">'
    '{{ field.help_text }}</p>{% endif %}\n'
    '  {% include "includes/_field_errors.html" %}\n'
    '</div>\n'
)


@pytest.mark.parametrize("form_class", list(site_forms()))
@pytest.mark.parametrize("data", [None, {"name": '"<x>', "code": "1", "pin": "1", "user_id": "<u>",
                                         "memo": "<b>" * 30, "remember": "on"}])
def test_the_field_tag_writes_what_the_field_template_did(form_class, data):
    from django.template import engines

    form = make_form(form_class, data)
    if data is not None:
        form.is_valid()
    engine = engines["django"]
    reference = engine.from_string(FIELD_TEMPLATE)
    tag = engine.from_string("{% load fields %}{% field field %}")
    for field in form:
        assert tag.render({"field": field}) == reference.render({"field": field}), field.name


def test_the_compared_forms_include_fields_with_errors_and_help():
    form = make_form(wizard_forms.IdentifyForm, {"user_id": "<u>"})
    assert not form.is_valid()
    assert any(field.errors for field in form)
    assert any(field.help_text for form_class in (cloud_forms.ConnectCodeForm,)
               for field in form_class())


def test_labels_and_help_that_are_not_text_are_localized_as_the_templates_do(settings):
    import datetime

    from django.template import engines

    settings.USE_THOUSAND_SEPARATOR = True
    form = forms.Form()
    form.fields["when"] = forms.CharField(label=datetime.date(2025, 1, 2), help_text=1234567)
    form.fields["pick"] = forms.ChoiceField(choices=[(1, datetime.date(2025, 1, 2)), (2, 7654321)],
                                            widget=forms.RadioSelect)
    engine = engines["django"]
    reference = engine.from_string(FIELD_TEMPLATE)
    tag = engine.from_string("{% load fields %}{% field field %}")
    ours = tag.render({"field": form["when"]})
    assert ours == reference.render({"field": form["when"]})
    assert "1,234,567" in ours and "2025" in ours
    options = {}
    for renderer in (FormRenderer(), DjangoTemplates()):
        form.renderer = renderer
        options[type(renderer)] = [str(option) for option in form["pick"]]
    assert options[FormRenderer] == options[DjangoTemplates]
    assert "7,654,321" in options[FormRenderer][1]


def test_the_plain_inputs_and_options_never_reach_the_templates(monkeypatch):
    """The equality tests above would pass were every widget rendered through the templates: here
    the templates of the fast path refuse to render, and the site's forms still do."""
    from certcenter.forms_renderer import OPTION_TEMPLATES

    rendered = DjangoTemplates.render

    def refuse(self, template_name, context, request=None):
        assert template_name not in INPUT_TEMPLATES | OPTION_TEMPLATES, template_name
        return rendered(self, template_name, context, request)

    monkeypatch.setattr(DjangoTemplates, "render", refuse)
    renderer = FormRenderer()
    assert 'type="text"' in forms.TextInput().render("a", "b", renderer=renderer)
    form = forms.Form(renderer=renderer)
    form.fields["pick"] = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
    assert all('type="radio"' in str(option) for option in form["pick"])
    for form_class in (wizard_forms.PinForm, wizard_forms.TermsForm):
        assert all(str(field) for field in make_form(form_class))
