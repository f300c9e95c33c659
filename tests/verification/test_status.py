"""challenge_status() and the endpoint the ARS step polls."""

import pytest
from django.urls import reverse

from tests.verification.conftest import PHONE
from verification.models import Challenge
from verification.services import (
    ars_call_start,
    ars_display_code,
    ars_key_in,
    challenge_status,
)
from verification.session import (
    MAX_REMEMBERED,
    SESSION_KEY,
    remember_challenge,
    session_owns_challenge,
)

pytestmark = pytest.mark.django_db


class FakeRequest:
    def __init__(self, session):
        self.session = session


def remember(client, challenge):
    session = client.session
    remember_challenge(FakeRequest(session), challenge)
    session.save()


def status_url(challenge_id):
    return reverse("verification:challenge_status", kwargs={"challenge_id": challenge_id})


@pytest.fixture
def call(committed):
    return committed(ars_call_start, phone=PHONE, purpose="issue.ars", flow_id="flow-a")


def test_status_values(clock, call):
    assert challenge_status(challenge_id=call.pk) == "pending"
    assert challenge_status(challenge_id=str(call.pk), flow_id="flow-a") == "pending"
    assert challenge_status(challenge_id=call.pk, flow_id="flow-b") == "unknown"
    assert challenge_status(challenge_id="00000000-0000-4000-8000-000000000000") == "unknown"
    assert challenge_status(challenge_id="garbage") == "unknown"
    clock.shift(180)
    assert challenge_status(challenge_id=call.pk) == "pending"
    clock.shift(1)
    assert challenge_status(challenge_id=call.pk) == "expired"
    # ...and stored as such.
    assert Challenge.objects.get(pk=call.pk).status == Challenge.Status.EXPIRED


def test_endpoint_answers_for_the_sessions_own_challenge(client, call):
    remember(client, call)
    response = client.get(status_url(call.pk))
    assert response.status_code == 200
    assert response.json() == {"status": "pending"}
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]

    ars_key_in(challenge_id=call.pk, digits=ars_display_code(call))
    assert client.get(status_url(call.pk)).json() == {"status": "verified"}


def test_endpoint_refuses_another_sessions_challenge(client, django_user_model, call):
    from django.test import Client

    remember(client, call)
    stranger = Client()
    stranger.get("/")  # a session of its own
    response = stranger.get(status_url(call.pk))
    assert response.status_code == 404
    assert response.json() == {"status": "unknown"}


def test_endpoint_answers_an_unknown_challenge_the_same_way(client):
    unknown = "00000000-0000-4000-8000-000000000000"
    session = client.session
    session[SESSION_KEY] = [unknown]
    session.save()
    response = client.get(status_url(unknown))
    assert (response.status_code, response.json()) == (404, {"status": "unknown"})


def test_endpoint_is_get_only(client, call):
    remember(client, call)
    assert client.post(status_url(call.pk)).status_code == 405


def test_endpoint_costs_one_challenge_query(client, call, django_assert_num_queries):
    remember(client, call)
    # One query loads the session, one reads the challenge by primary key.
    with django_assert_num_queries(2) as captured:
        client.get(status_url(call.pk))
    challenge_queries = [q["sql"] for q in captured.captured_queries if "challenge" in q["sql"]]
    assert len(challenge_queries) == 1
    assert '"id" =' in challenge_queries[0]


def test_foreign_challenge_costs_no_challenge_query(
    client, call, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1) as captured:  # the session, if the client has one
        client.get(status_url(call.pk))
    assert not [q for q in captured.captured_queries if "challenge" in q["sql"]]


def test_session_remembers_only_the_last_few(client, committed):
    session = client.session
    request = FakeRequest(session)
    challenges = [
        committed(ars_call_start, phone=PHONE, purpose="issue.ars", flow_id=str(n))
        for n in range(MAX_REMEMBERED + 2)
    ]
    for challenge in challenges:
        remember_challenge(request, challenge)
    remember_challenge(request, challenges[-1])  # remembering twice keeps one entry
    assert len(session[SESSION_KEY]) == MAX_REMEMBERED
    assert not session_owns_challenge(request, challenges[0].pk)
    assert not session_owns_challenge(request, challenges[1].pk)
    assert all(session_owns_challenge(request, c.pk) for c in challenges[2:])
    assert session_owns_challenge(request, str(challenges[-1].pk))
