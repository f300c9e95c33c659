"""Error pages speak Korean (DEBUG is off under the test runner)."""

import pytest


@pytest.mark.django_db
def test_not_found_page_is_korean(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "페이지를 찾을 수 없습니다" in response.content.decode()


def test_server_error_page_is_korean():
    from django.template.loader import render_to_string

    assert "일시적인 오류가 발생했습니다" in render_to_string("500.html")


@pytest.mark.django_db
def test_csrf_failure_page_is_korean(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/personal/finance-cert/issue/", {"agree_all": "on"})
    assert response.status_code == 403
    assert "보안 확인 정보가 만료되었습니다" in response.content.decode()
