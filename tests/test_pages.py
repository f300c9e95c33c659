"""The certificate center's menu pages and the base layout every page shares."""

import re

import pytest

pytestmark = pytest.mark.django_db

SIMULATION_NOTICE = "실제 은행 서비스가 아닙니다"


def get_page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def header_of(page):
    return re.search(r"<header\b.*?</header>", page, re.S).group(0)


@pytest.mark.parametrize("url", ["/", "/personal/", "/corporate/"])
def test_every_page_has_the_base_layout(client, settings, url):
    page = get_page(client, url)
    for landmark in ("<main", "<header", "<footer", "<nav"):
        assert landmark in page
    assert SIMULATION_NOTICE in page
    assert settings.BANK_NAME in header_of(page)
    assert '<html lang="ko">' in page


def test_home_shows_the_certificate_center_menu(client, settings):
    page = get_page(client, "/")
    for text in ("인증센터", "개인", "기업", "금융인증서", settings.BANK_NAME):
        assert text in page
    assert 'href="/personal/"' in page
    assert 'href="/corporate/"' in page


def test_personal_page_offers_issue_and_reissue(client):
    page = get_page(client, "/personal/")
    assert "인증서 발급/재발급" in page
    assert "금융인증서" in page


def test_corporate_page_says_no_online_issuance(client):
    assert "온라인으로 발급하지 않습니다" in get_page(client, "/corporate/")


def test_bank_name_comes_from_settings(client, settings):
    settings.BANK_NAME = "모의저축은행"
    header = header_of(get_page(client, "/"))
    assert "모의저축은행" in header
    assert "KB국민은행" not in header


def test_pages_say_the_configured_validity(client, settings):
    settings.CERTIFICATE_VALIDITY_DAYS = 1095
    assert "유효기간은 3년이며" in get_page(client, "/personal/")
