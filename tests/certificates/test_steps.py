"""The step registry is the one place that knows the wizard's steps; the rest reads it."""

import pytest
from django.urls import reverse

from certificates.wizard.steps import FINAL, FIRST, ISSUE, REISSUE, STEPS, step_indicator, steps_for


def test_every_step_has_a_url_and_a_view_from_the_registry():
    for step in STEPS:
        assert reverse(f"certificates:{step.name}").endswith(f"/issue/{step.path}")
        assert step.view.__name__ == step.view_name


def test_reissue_step_only_in_a_reissue_flow():
    assert "reissue" not in [s.name for s in steps_for(ISSUE)]
    assert [s.name for s in steps_for(REISSUE)] == [s.name for s in STEPS]
    assert (FIRST, FINAL) == ("terms", "done")


def test_identity_raising_steps():
    assert {s.name for s in STEPS if s.raises_identity} == {"identify", "ars", "sms"}


@pytest.mark.parametrize(("kind", "total"), [(ISSUE, 7), (REISSUE, 8)])
def test_indicator_counts_the_final_step(kind, total):
    shown = step_indicator(kind=kind, current="identify", done={"terms"})
    assert (shown["step_number"], shown["total_steps"]) == (2, total)
    assert [item.done for item in shown["steps"][:2]] == [True, False]
    assert shown["steps"][-1].title == "발급 완료"
    assert [item.name for item in shown["steps"] if item.current] == ["identify"]


@pytest.mark.django_db
def test_page_indicator_lists_the_final_step_once(client):
    page = client.get(reverse("certificates:terms")).content.decode()
    assert page.count("발급 완료") == 1
    assert "1 / 7 약관 동의" in page
