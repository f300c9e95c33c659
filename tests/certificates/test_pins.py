"""The PIN rules, rule by rule, for the demo customer 홍길동 (born 1990-01-01, 010-1234-5678)."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from certificates.pins import error_messages, validate_pin
from tests.conftest import PIN

pytestmark = pytest.mark.django_db


def refusal(pin, customer):
    with pytest.raises(ValidationError) as caught:
        validate_pin(pin, customer=customer)
    return caught.value.code


# The weak PINs a security review found accepted for demo1, each with the rule that now refuses it.
@pytest.mark.parametrize(
    ("pin", "code"),
    [
        ("000001", "repeated"),
        ("111222", "repeated"),
        ("123123", "sequential"),  # a repeated block too, but 123 is a run and runs come first
        ("123400", "sequential"),  # holds the phone's middle block, but 123 and 234 come first
        ("121212", "pattern"),
        ("112233", "pattern"),
        ("102030", "pattern"),  # 0 in every other place
        ("147258", "keypad"),
        ("159753", "keypad"),
        ("258369", "keypad"),
        ("199001", "birth_date"),  # YYYYMM
        ("101990", "birth_date"),  # YYYY inside
    ],
)
def test_the_reviewed_weak_pins_are_refused(customer, pin, code):
    assert refusal(pin, customer) == code


@pytest.mark.parametrize(
    "pin",
    [PIN, "246802", "482915", "730519", "861437", "604917", "975310", "891357", "129034", "980246"],
)
def test_good_pins_are_accepted(customer, pin):
    validate_pin(pin, customer=customer)


def test_every_code_has_its_own_message():
    codes = ["format", "repeated", "sequential", "pattern", "keypad", "birth_date", "phone"]
    messages = [str(error_messages[code]) for code in codes]
    assert len(set(messages)) == len(codes)


@pytest.mark.parametrize("pin", ["12345", "1234567", "12a456", "", "１３５７９０", "13579٠"])
def test_format_six_ascii_digits(customer, pin):
    assert refusal(pin, customer) == "format"


@pytest.mark.parametrize("pin", ["777777", "000482", "482000", "480004", "599948"])
def test_a_digit_three_times_in_a_row(customer, pin):
    assert refusal(pin, customer) == "repeated"


@pytest.mark.parametrize("pin", ["400481", "844801", "804840"])
def test_a_digit_twice_in_a_row_or_thrice_apart_is_not_that_rule(customer, pin):
    validate_pin(pin, customer=customer)


@pytest.mark.parametrize(
    "pin",
    [
        "345678", "543210",  # whole runs
        "890123", "901234", "789012", "098765", "109876", "210987",  # wrap-around
        "478952", "925890", "290144",  # one run of three anywhere: 789, 890, 901
        "482012", "482098", "482109",  # at the end, wrap-around included
    ],
)
def test_an_ascending_or_descending_run_of_three(customer, pin):
    assert refusal(pin, customer) == "sequential"


@pytest.mark.parametrize("pin", ["894613", "190482", "480914", "135790"])
def test_two_in_a_row_or_steps_of_two_are_not_runs(customer, pin):
    # 89 then 4, 90 then 4, 09 then 1: two consecutive digits are fine; so are steps of two.
    validate_pin(pin, customer=customer)


@pytest.mark.parametrize(
    "pin",
    [
        "396396", "474747",  # a block of three, of two
        "997755", "001100", "448866",  # three pairs
        "010203", "919293", "274757", "506070",  # one digit in every other place
    ],
)
def test_patterns(customer, pin):
    assert refusal(pin, customer) == "pattern"


@pytest.mark.parametrize("pin", ["448861", "694691", "402938"])
def test_near_patterns_are_allowed(customer, pin):
    # Two pairs then a loose digit; a block of three broken at its end; no digit every other place.
    validate_pin(pin, customer=customer)


@pytest.mark.parametrize("pin", ["147741", "369147", "580852", "357951", "852963", "159258"])
def test_pins_traced_wholly_from_keypad_lines(customer, pin):
    assert refusal(pin, customer) == "keypad"


@pytest.mark.parametrize("pin", ["135790", "159046", "602258", "146258"])
def test_one_keypad_line_inside_a_pin_is_allowed(customer, pin):
    # 357, 159, 258: one line by chance; 146 is not a line (a column is 1-4-7).
    validate_pin(pin, customer=customer)


@pytest.mark.parametrize(
    "pin",
    [
        "900101",  # YYMMDD, also the resident-number front
        "199001",  # YYYYMM
        "480101", "010148",  # MMDD = DDMM for 1 January, anywhere
        "619904", "219907",  # YYYY at either place inside
    ],
)
def test_birth_date_forms_anywhere(customer, pin):
    assert refusal(pin, customer) == "birth_date"


@pytest.fixture
def born_on_24_march(customer_factory):
    # Day and month differ, so MMDD and DDMM are told apart; phone blocks hold no run.
    return customer_factory(resident_number="910324-1975312", phone="010-9724-3816")


@pytest.mark.parametrize(
    ("pin", "form"),
    [("910324", "YYMMDD"), ("199103", "YYYYMM"), ("803241", "MMDD"), ("524039", "DDMM"),
     ("419910", "YYYY")],
)
def test_birth_date_forms_for_another_customer(born_on_24_march, pin, form):
    assert refusal(pin, born_on_24_march) == "birth_date", form


@pytest.mark.parametrize("pin", ["302491", "420391", "910342"])
def test_birth_date_digits_in_other_orders_are_allowed(born_on_24_march, pin):
    validate_pin(pin, customer=born_on_24_march)


def test_resident_number_front_is_refused_even_without_a_birth_date():
    customer = SimpleNamespace(birth_date=None, phone="+821097243816",
                               resident_number="9103241975312")
    assert refusal("910324", customer) == "birth_date"
    validate_pin("910342", customer=customer)


@pytest.mark.parametrize("pin", ["972400", "409724", "503816", "381650"])
def test_phone_middle_or_last_four_anywhere(born_on_24_march, pin):
    assert refusal(pin, born_on_24_march) == "phone"


@pytest.mark.parametrize("pin", ["972843", "381967", "097284"])
def test_three_digits_of_a_phone_block_are_allowed(born_on_24_march, pin):
    validate_pin(pin, customer=born_on_24_march)


def test_the_first_broken_rule_wins(born_on_24_march):
    # Each PIN breaks two rules; the code names the one that comes first.
    assert refusal("199199", born_on_24_march) == "pattern"  # and YYYY
    assert refusal("381678", born_on_24_march) == "sequential"  # and the phone's last four
    assert refusal("199123", born_on_24_march) == "sequential"  # and YYYY
    assert refusal("910324", born_on_24_march) == "birth_date"  # and nothing before it


def test_phones_without_a_full_block_refuse_nothing():
    # A phone too short to hold four-digit blocks must not make every PIN "contain" it.
    customer = SimpleNamespace(birth_date=date(1991, 3, 24), phone="", resident_number="9103241975312")
    validate_pin("482915", customer=customer)
