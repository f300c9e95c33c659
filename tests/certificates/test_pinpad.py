"""The PIN pad (가상 키패드): a shuffled keypad over a plain numeric password field."""

import re
import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse

from certificates.models import SealedKey
from certificates.pinpad import PinEntryForm, pad_layout
from tests.certificates.conftest import cloud_connect

pytestmark = pytest.mark.django_db


def keys_of(html: str) -> list[str]:
    return re.findall(r'data-digit="(\d)"', html)


def pad_html(form) -> str:
    return render_to_string("includes/_pin_pad.html", {"field": form["pin"], "form": form})


@pytest.fixture
def revoke_page(client, certificate):
    """The 인증서 해지 page of a connected browser: one page that shows the pad."""
    cloud_connect(client, certificate.customer)

    def get() -> str:
        response = client.get(reverse("certificates:manage_revoke"))
        assert response.status_code == 200
        return response.content.decode()

    return get


def test_the_pad_has_every_digit_once_and_its_own_order_on_every_display(revoke_page):
    orders = [keys_of(revoke_page()) for _ in range(20)]
    assert all(sorted(order) == list("0123456789") for order in orders)
    assert len({tuple(order) for order in orders}) > 1


def test_the_order_comes_from_the_system_csprng(monkeypatch):
    monkeypatch.setattr(secrets.SystemRandom, "shuffle", lambda self, keys: keys.reverse())
    assert pad_layout() == list("9876543210")
    assert keys_of(pad_html(PinEntryForm())) == list("9876543210")


def test_without_javascript_the_plain_numeric_password_field_works(revoke_page):
    body = revoke_page()
    field = re.search(r'<input[^>]*name="pin"[^>]*>', body).group(0)
    assert 'type="password"' in field and 'inputmode="numeric"' in field
    assert 'maxlength="6"' in field and 'autocomplete="off"' in field
    # The pad waits, hidden, for pinpad.js to show it.
    pad = re.search(r'<div class="pin-pad"[^>]*>', body).group(0)
    assert " hidden" in pad and 'data-pin-pad="id_pin"' in pad
    assert '<script src="/static/js/pinpad.js" defer></script>' in body


def test_every_key_is_a_labelled_button_that_does_not_submit():
    html = pad_html(PinEntryForm())
    for digit in "0123456789":
        assert f'data-digit="{digit}" aria-label="숫자 {digit}"' in html
    assert 'data-pin-action="backspace">지우기<' in html
    assert 'data-pin-action="clear">전체 지우기<' in html
    buttons = re.findall(r"<button\b[^>]*>", html)
    assert len(buttons) == 12 and all('type="button"' in b for b in buttons)
    assert 'role="group" aria-label="보안 키패드"' in html
    # The live region that says how many digits are in (pinpad.js fills it, never with digits).
    assert re.search(r'<p class="visually-hidden" aria-live="polite" data-pin-status></p>', html)


def test_the_script_announces_counts_not_digits():
    source = Path(finders.find("js/pinpad.js")).read_text(encoding="utf-8")
    assert '"자리 입력됨"' in source
    # The status text is only ever built from the field's length.
    lines = [line for line in source.splitlines() if "status.textContent" in line]
    assert lines, "pinpad.js no longer writes status.textContent"
    for line in lines:
        assert "input.value" not in line.replace("input.value.length", "")
    # announce() builds that text: it reads the field's length and nothing else of the field, and
    # every caller hands it a fixed text (or nothing), never the field.
    announce = re.search(r"function announce\(extra\) \{\n(.*?)\n\s*\}\n", source, re.S)
    assert announce, "pinpad.js has no announce(extra) function"
    body = announce.group(1)
    assert "status.textContent" in body and "input.value.length" in body
    assert "input.value" not in body.replace("input.value.length", "")
    calls = re.findall(r"announce\(([^)]*)\)", source)
    assert calls and all("input" not in args for args in calls), calls


def test_the_wrong_pin_count_is_shown_and_describes_the_field(certificate):
    SealedKey.objects.filter(pk=certificate.sealed_key_id).update(pin_failures=2)
    html = pad_html(PinEntryForm(certificate=certificate))
    assert f"비밀번호 2회 오류 ({settings.PIN_MAX_FAILURES}회 오류 시 이용 제한)" in html
    assert 'id="id_pin_failures"' in html
    assert 'aria-describedby="id_pin_failures id_pin_error"' in html


def test_no_count_line_before_a_wrong_pin(certificate):
    assert "회 오류" not in pad_html(PinEntryForm(certificate=certificate))


def test_the_count_is_read_when_the_page_is_drawn(certificate):
    form = PinEntryForm(certificate=certificate)
    SealedKey.objects.filter(pk=certificate.sealed_key_id).update(pin_failures=3)
    assert form.failures == 3


@pytest.mark.parametrize(("typed", "ok"), [
    ("135790", True), ("１３５７９０", True), ("13579a", False), ("13 579", False),
    ("٣٥٧٩٠١", False),
])
def test_only_six_digits_are_a_pin(typed, ok):
    form = PinEntryForm({"pin": typed})
    assert form.is_valid() is ok
    if ok:
        assert form.cleaned_data["pin"] == "135790"
    else:
        assert form.has_error("pin")


def test_the_pad_is_reusable_with_any_pin_form():
    # As the banking room includes it: field=form.pin form=form, several on one page if need be.
    first, second = pad_html(PinEntryForm(prefix="a")), pad_html(PinEntryForm(prefix="b"))
    assert 'data-pin-pad="id_a-pin"' in first and 'data-pin-pad="id_b-pin"' in second


def test_a_form_built_on_the_pin_entry_form_may_relabel_the_pin():
    from certificates.manage.forms import PinChangeForm

    html = pad_html(PinChangeForm())
    assert '<label for="id_pin">현재 비밀번호</label>' in html
