"""Customer admin: masked personal data, search, a customer created by typing the number once."""

import re

import pytest
from django.urls import reverse

from accounts.models import Customer, resident_number_hash

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_customer_changelist")
ADD = reverse("admin:accounts_customer_add")
FULL_TAIL = "1234568"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # admin_client's superuser is created with a password; the default PBKDF2 costs ~0.3 s a test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def change_url(customer):
    return reverse("admin:accounts_customer_change", args=[customer.pk])


def html(response):
    return response.content.decode()


def assert_no_secret(page, customer):
    assert FULL_TAIL not in page
    assert "9001011234568" not in page
    assert customer.resident_number_encrypted not in page
    assert customer.resident_number_encrypted.rsplit(":", 1)[1] not in page
    assert customer.resident_number_hash not in page


def listed_user_ids(response):
    return [c.user_id for c in response.context["cl"].result_list]


def add_form_data(**overrides):
    data = {
        "user_id": "newbie",
        "name": "신입고객",
        "resident_number": "850707-5123452",
        "birth_date": "",
        "phone": "010-2222-3333",
        "email": "newbie@example.com",
        "kind": "personal",
        "internet_banking_enrolled": "on",
    }
    data.update(overrides)
    return data


def test_changelist_shows_masked_data_only(admin_client, customer):
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    page = html(response)
    assert "900101-1******" in page
    assert "010-1234-****" in page
    assert "010-1234-5678" not in page
    assert_no_secret(page, customer)


def test_change_form_shows_masked_number_only(admin_client, customer):
    response = admin_client.get(change_url(customer))
    assert response.status_code == 200
    page = html(response)
    assert "900101-1******" in page
    assert_no_secret(page, customer)
    # The number input is a password field that never renders a value.
    field = re.search(r'<input[^>]*name="resident_number"[^>]*>', page).group(0)
    assert 'type="password"' in field
    assert "value=" not in field


def test_add_form(admin_client):
    response = admin_client.get(ADD)
    assert response.status_code == 200
    assert 'name="resident_number"' in html(response)


def test_history_page_shows_no_secret(admin_client, customer):
    url = reverse("admin:accounts_customer_history", args=[customer.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert_no_secret(html(response), customer)


def staff_client(client, group):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(group, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


@pytest.fixture(params=["superuser", "officer", "reviewer"])
def role(request, client, admin_client):
    if request.param == "superuser":
        return request.param, admin_client
    return request.param, staff_client(client, {"officer": "인증서 관리자",
                                                "reviewer": "인증서 검토자"}[request.param])


@pytest.mark.parametrize(
    ("term", "who_finds"),
    [
        ("hong", {"superuser", "officer", "reviewer"}),  # the user ID, shown in full to all
        ("HONG", {"superuser", "officer", "reviewer"}),
        ("  hong ", {"superuser", "officer", "reviewer"}),
        ("홍길동", {"superuser", "officer"}),  # the exact name: officers only
        ("010-1234-5678", {"superuser", "officer"}),  # the full phone, in any spelling
        ("01012345678", {"superuser", "officer"}),
        ("+821012345678", {"superuser", "officer"}),
        # A part of a value confirms nothing for anyone.
        ("hon", set()), ("길동", set()), ("홍길", set()), ("010-1234", set()), ("+8210123", set()),
        ("h***@example.com", set()), ("hong@example.com", set()), ("900101", set()),
    ],
)
def test_search_matches_whole_values_by_role(role, customer, customer_factory, term, who_finds):
    name, client = role
    customer_factory(user_id="other", name="김철수", phone="010-9999-8888")
    response = client.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    assert listed_user_ids(response) == (["hong"] if name in who_finds else [])


def test_search_help_text_says_what_each_role_may_search(role, customer):
    name, client = role
    page = html(client.get(CHANGELIST))
    if name == "reviewer":
        assert "인터넷뱅킹 아이디로 검색 (정확히 일치)" in page
        assert "이름 또는 휴대폰 번호" not in page
    else:
        assert "인터넷뱅킹 아이디, 이름 또는 휴대폰 번호 전체로 검색" in page


def test_search_does_not_find_by_resident_number(admin_client, customer):
    response = admin_client.get(CHANGELIST, {"q": "900101-1234568"})
    assert listed_user_ids(response) == []


def test_phone_search_respects_list_filters(admin_client, customer):
    response = admin_client.get(CHANGELIST, {"q": "010-1234-5678", "kind__exact": "corporate"})
    assert listed_user_ids(response) == []


def test_add_customer_stores_the_number_encrypted(admin_client):
    response = admin_client.post(ADD, add_form_data())
    assert response.status_code == 302
    assert response.url == CHANGELIST

    made = Customer.objects.get(user_id="newbie")
    row = Customer.objects.filter(pk=made.pk).values().get()
    for value in row.values():
        assert "5123452" not in str(value)
        assert "850707" not in str(value)
    assert row["resident_number_hash"] == resident_number_hash("8507075123452")
    assert made.resident_number == "8507075123452"
    assert str(row["birth_date"]) == "1985-07-07"
    assert row["phone"] == "+821022223333"

    page = html(admin_client.get(change_url(made)))
    assert "850707-5******" in page
    assert "5123452" not in page
    assert made.resident_number_encrypted not in page


def test_add_with_matching_birth_date(admin_client):
    response = admin_client.post(ADD, add_form_data(birth_date="1985-07-07"))
    assert response.status_code == 302


def form_errors(response):
    assert response.status_code == 200
    return response.context["adminform"].form.errors.as_data()


def test_add_refuses_a_duplicate_number(admin_client, customer):
    response = admin_client.post(ADD, add_form_data(resident_number="9001011234568"))
    errors = form_errors(response)
    assert [e.code for e in errors["resident_number"]] == ["duplicate"]
    assert "이미 등록된 주민등록번호입니다." in html(response)
    assert Customer.objects.count() == 1
    assert_no_secret(html(response), customer)


def test_add_refuses_a_missing_number(admin_client):
    response = admin_client.post(ADD, add_form_data(resident_number=""))
    errors = form_errors(response)
    assert [e.code for e in errors["resident_number"]] == ["required"]
    assert "주민등록번호를 입력해 주세요." in html(response)
    assert not Customer.objects.exists()


@pytest.mark.parametrize(("number", "code"), [("901301-1234568", "date"), ("85070751", "format")])
def test_add_refuses_an_invalid_number(admin_client, number, code):
    response = admin_client.post(ADD, add_form_data(resident_number=number))
    assert [e.code for e in form_errors(response)["resident_number"]] == [code]
    assert not Customer.objects.exists()


def test_add_refuses_a_mismatched_birth_date(admin_client):
    response = admin_client.post(ADD, add_form_data(birth_date="1985-07-08"))
    assert [e.code for e in form_errors(response)["birth_date"]] == ["birth_date_mismatch"]
    assert not Customer.objects.exists()


def test_add_refuses_an_invalid_phone(admin_client):
    response = admin_client.post(ADD, add_form_data(phone="010-0234-5678"))
    assert [e.code for e in form_errors(response)["phone"]] == ["invalid"]
    assert not Customer.objects.exists()


def test_refused_form_does_not_echo_the_number(admin_client):
    response = admin_client.post(ADD, add_form_data(phone="bad"))
    assert response.status_code == 200
    assert "5123452" not in html(response)


def change_form_data(**overrides):
    # What the browser sends back from the change form: the fields as shown, the number left blank.
    return add_form_data(
        **{
            "user_id": "hong", "name": "홍길동", "resident_number": "", "birth_date": "1990-01-01",
            "phone": "010-1234-5678", "email": "hong@example.com", **overrides,
        }
    )


def test_change_form_masks_the_phone_and_prefills_the_birth_date(admin_client, customer):
    response = admin_client.get(change_url(customer))
    form = response.context["adminform"].form
    assert form.initial["phone"] == ""
    assert "010-1234-****" in response.content.decode()
    assert "010-1234-5678" not in response.content.decode()
    assert str(form.initial["birth_date"]) == "1990-01-01"


def test_change_with_a_blank_phone_keeps_the_phone(admin_client, customer):
    response = admin_client.post(change_url(customer), change_form_data(phone=""))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "+821012345678"


def test_change_without_retyping_keeps_the_number(admin_client, customer):
    data = change_form_data(name="홍길순")
    response = admin_client.post(change_url(customer), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "홍길순"
    assert customer.resident_number == "9001011234568"


def test_change_with_a_new_number_re_encrypts(admin_client, customer):
    data = change_form_data(resident_number="850707-5123452", birth_date="")
    response = admin_client.post(change_url(customer), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.resident_number == "8507075123452"
    assert customer.resident_number_hash == resident_number_hash("8507075123452")
    assert str(customer.birth_date) == "1985-07-07"


def test_change_refuses_a_birth_date_that_contradicts_the_stored_number(admin_client, customer):
    response = admin_client.post(change_url(customer), change_form_data(birth_date="1990-01-02"))
    assert [e.code for e in form_errors(response)["birth_date"]] == ["birth_date_mismatch"]


def test_change_refuses_another_customers_number(admin_client, customer, customer_factory):
    customer_factory(resident_number="850707-5123452")
    data = change_form_data(resident_number="850707-5123452", birth_date="")
    response = admin_client.post(change_url(customer), data)
    assert [e.code for e in form_errors(response)["resident_number"]] == ["duplicate"]


def test_change_with_birth_date_cleared_keeps_a_birth_date(admin_client, customer):
    response = admin_client.post(change_url(customer), change_form_data(birth_date=""))
    assert response.status_code in (200, 302)
    customer.refresh_from_db()
    assert str(customer.birth_date) == "1990-01-01"


@pytest.mark.parametrize("group", ["인증서 검토자", "인증서 관리자"])
def test_staff_groups_see_customers_masked(client, customer, group):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user("staff", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    listing = client.get(reverse("admin:accounts_customer_changelist"))
    detail = client.get(change_url(customer))
    assert listing.status_code == detail.status_code == 200
    for page in (listing, detail):
        body = page.content.decode()
        assert "900101-1******" in body and "010-1234-****" in body
        assert "1234568" not in body and "010-1234-5678" not in body
    assert "h***@example.com" in detail.content.decode()
    assert "hong@example.com" not in detail.content.decode()
    for page in (listing, detail):
        assert "홍*동" in page.content.decode() and "홍길동" not in page.content.decode()
    # View-only: no change is accepted.
    assert client.post(change_url(customer), {"name": "x"}).status_code == 403


def test_customer_admin_pages(admin_client, customer, certificate):
    changelist = admin_client.get(CHANGELIST)
    assert changelist.status_code == 200
    assert [c.pk for c in changelist.context["cl"].result_list] == [customer.pk]
    body = html(changelist)
    assert "900101-1******" in body and FULL_TAIL not in body
    change = admin_client.get(change_url(customer))
    assert change.status_code == 200
    assert FULL_TAIL not in html(change)
