"""Customers: created through the service, the number sealed, derived fields and refusals."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from accounts import crypto
from accounts.models import RRN_PURPOSE, Customer, resident_number_hash
from accounts.services import customer_update

pytestmark = pytest.mark.django_db


def stored_row(customer):
    return Customer.objects.filter(pk=customer.pk).values().get()


def test_created_customer_keeps_no_clear_number(customer):
    row = stored_row(customer)
    for value in row.values():
        text = str(value)
        assert "9001011234568" not in text
        assert "900101-1234568" not in text
        assert "1234568" not in text
    assert crypto.decrypt(row["resident_number_encrypted"], purpose=RRN_PURPOSE) == "9001011234568"
    assert row["resident_number_hash"] == resident_number_hash("9001011234568")


def test_number_without_hyphen_or_full_width_is_the_same_number(customer_factory):
    a = customer_factory(resident_number="８５０７０７－５１２３４５２")
    assert a.resident_number == "8507075123452"
    assert a.resident_number_hash == resident_number_hash("8507075123452")


@pytest.mark.parametrize("second_form", ["900101-1234568", "9001011234568", " 900101-1234568 "])
def test_resident_number_is_unique(customer, customer_factory, second_form):
    with pytest.raises(ValidationError) as excinfo:
        customer_factory(resident_number=second_form)
    assert "resident_number_hash" in excinfo.value.error_dict
    assert excinfo.value.error_dict["resident_number_hash"][0].code == "unique"
    assert Customer.objects.count() == 1


def test_user_id_is_unique(customer, customer_factory):
    with pytest.raises(ValidationError) as excinfo:
        customer_factory(user_id="hong")
    assert excinfo.value.error_dict["user_id"][0].code == "unique"


@pytest.mark.parametrize("user_id", ["Hong", "ab", "1hong", "hong-gd", "a" * 21])
def test_malformed_user_id_is_refused(customer_factory, user_id):
    with pytest.raises(ValidationError) as excinfo:
        customer_factory(user_id=user_id)
    assert excinfo.value.error_dict["user_id"][0].code in {"user_id", "max_length"}


def test_birth_date_is_derived_from_the_number(customer_factory):
    assert customer_factory(resident_number="000229-3234567").birth_date == date(2000, 2, 29)
    assert customer_factory(resident_number="850707-5123452").birth_date == date(1985, 7, 7)


def test_matching_birth_date_is_accepted(customer_factory):
    made = customer_factory(resident_number="850707-5123452", birth_date=date(1985, 7, 7))
    assert made.birth_date == date(1985, 7, 7)


def test_birth_date_mismatch_is_refused(customer_factory):
    with pytest.raises(ValidationError) as excinfo:
        customer_factory(resident_number="850707-5123452", birth_date=date(1985, 7, 8))
    assert [e.code for e in excinfo.value.error_dict["birth_date"]] == ["birth_date_mismatch"]
    assert not Customer.objects.exists()


@pytest.mark.parametrize(("value", "code"), [("901301-1234568", "date"), ("12345", "format")])
def test_invalid_number_is_refused(customer_factory, value, code):
    with pytest.raises(ValidationError) as excinfo:
        customer_factory(resident_number=value)
    assert excinfo.value.code == code
    assert not Customer.objects.exists()


@pytest.mark.parametrize("phone", ["010-2222-3333", "01022223333", "+82 10 2222 3333"])
def test_phone_is_stored_as_e164(customer_factory, phone):
    made = customer_factory(phone=phone)
    assert made.phone == "+821022223333"
    assert stored_row(made)["phone"] == "+821022223333"


@pytest.mark.parametrize("phone", ["010-0234-5678", "010-123-4567", "02-1234-5678", "전화"])
def test_invalid_phone_is_refused(customer_factory, phone):
    with pytest.raises(ValidationError) as excinfo:
        customer_factory(phone=phone)
    assert [e.code for e in excinfo.value.error_dict["phone"]] == ["invalid"]
    assert not Customer.objects.exists()


def test_masked_properties(customer):
    assert customer.masked_resident_number == "900101-1******"
    assert customer.masked_phone == "010-1234-****"
    assert customer.phone_display == "010-1234-5678"
    assert customer.masked_email == "h***@example.com"
    assert str(customer) == "hong (홍*동)"  # as admin links and audit rows show it


def test_masked_number_of_undecryptable_row_is_fully_masked(customer, settings):
    settings.FIELD_ENCRYPTION_KEYS = "k9:" + "A" * 43 + "="
    reloaded = Customer.objects.get(pk=customer.pk)
    assert reloaded.masked_resident_number == "******-*******"


def test_new_customers_use_the_newest_key(customer_factory, settings):
    newest = "knew:" + "B" * 43 + "="
    settings.FIELD_ENCRYPTION_KEYS = f"{newest},{settings.FIELD_ENCRYPTION_KEYS}"
    made = customer_factory()
    assert crypto.key_id_of(made.resident_number_encrypted) == "knew"


def test_update_re_encrypts_and_re_hashes(customer):
    old = stored_row(customer)
    customer_update(customer=customer, resident_number="850707-5123452")
    new = stored_row(customer)
    assert new["resident_number_hash"] == resident_number_hash("8507075123452")
    assert new["resident_number_encrypted"] != old["resident_number_encrypted"]
    assert new["birth_date"] == date(1985, 7, 7)
    assert Customer.objects.get(pk=customer.pk).resident_number == "8507075123452"


def test_update_to_another_customers_number_is_refused(customer, customer_factory):
    other = customer_factory(resident_number="850707-5123452")
    with pytest.raises(ValidationError) as excinfo:
        customer_update(customer=other, resident_number="900101-1234568")
    assert excinfo.value.error_dict["resident_number_hash"][0].code == "unique"


def test_kind_and_enrollment_are_kept(customer_factory):
    corp = customer_factory(kind=Customer.Kind.CORPORATE, internet_banking_enrolled=False)
    corp.refresh_from_db()
    assert corp.kind == "corporate"
    assert corp.internet_banking_enrolled is False
