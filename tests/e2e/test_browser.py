"""End to end, in a real browser: issue a 금융인증서 as the source document says, then reissue it.

The customer walks 인증센터 → 개인 → 금융인증서 → 인증서 발급/재발급 → 약관 동의 → 아이디 +
주민등록번호 → ARS 인증 → 추가 본인 확인 → KB국민인증서 인증 → 비밀번호 → 발급 완료 on a phone-sized
page, answers the ARS call on the simulated handset in a second tab and reads the SMS code there,
and downloads the certificate. Then the certificate is "lost": the reissue with reason 분실 must
revoke the first one (keyCompromise) and put it on the CRL.
"""

import re
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from certificates.models import Certificate
from certificates.services import certificate_unlock_key
from tests.conftest import PIN

pytestmark = pytest.mark.e2e

HANDSET_PATH = "/phone/01012345678/"
USER_ID, RRN_FRONT, RRN_BACK = "hong", "900101", "1234568"
NAME, BIRTH_DATE, PHONE = "홍길동", "19900101", "010-1234-5678"
FIRST_PIN, NEW_PIN = PIN, "246802"

REISSUE_REASONS = (
    "분실", "비밀번호 분실/잠김", "해킹 등 보안 문제", "개인정보 변경", "유효기간 만료",
)
SAME_PIN_REFUSED = "이전 인증서와 같은 비밀번호는 사용할 수 없습니다."

AUTO_ADVANCE_MS = 10_000  # the ARS page polls every 2 s


def shoot(page: Page, directory: Path, name: str) -> None:
    """Full-page screenshots at phone width (360 px) and desktop width (1280 px)."""
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(directory / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})


def expect_step(page: Page, title: str, url_part: str) -> None:
    page.wait_for_url(re.compile(re.escape(url_part) + r"(\?.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page).to_have_title(re.compile(re.escape(title)))
    # The step indicator, e.g. "3 / 7 ARS 인증".
    expect(page.locator("#step-count")).to_contain_text(title)


def open_wizard(page: Page, base_url: str, shots: Path | None) -> None:
    """인증센터 → 개인 → 금융인증서 → 인증서 발급/재발급, by the links a customer would press."""
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", name="인증센터", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="기업")).to_be_visible()
    if shots:
        shoot(page, shots, "00-landing")
    personal = page.get_by_role("region", name="개인")
    personal.get_by_role("link", name="금융인증서", exact=True).click()
    page.wait_for_url(base_url + "/personal/")
    expect(page.get_by_role("heading", name="금융인증서", level=1)).to_be_visible()
    page.get_by_role("link", name="인증서 발급/재발급", exact=True).click()
    expect_step(page, "약관 동의", "/personal/finance-cert/issue/")


def agree_and_identify(page: Page, shots: Path | None) -> None:
    agree_all = page.get_by_label("전체 동의")
    agree_all.check()
    # 전체 동의 ticks every item, the optional one included.
    for box in page.locator("input[data-term]").all():
        expect(box).to_be_checked()
    if shots:
        shoot(page, shots, "01-terms")
    page.get_by_role("button", name="다음", exact=True).click()

    expect_step(page, "본인 확인", "/identify/")
    page.get_by_label("아이디", exact=True).fill(USER_ID)
    page.get_by_label("주민등록번호 앞 6자리").fill(RRN_FRONT)
    back = page.get_by_label("주민등록번호 뒤 7자리")
    expect(back).to_be_focused()  # the page moves on to the back half by itself
    back.fill(RRN_BACK)
    expect(back).to_have_attribute("type", "password")
    if shots:
        shoot(page, shots, "02-identify")
    page.get_by_role("button", name="다음", exact=True).click()


def goto_handset(handset: Page, url: str) -> None:
    """Open the handset page. The page reloads itself when a call or message arrives (handset.js),
    and that reload may cut our own navigation short: then it is the page we asked for anyway."""
    for _ in range(3):
        try:
            handset.goto(url)
            return
        except PlaywrightError as exc:
            if "interrupted by another navigation" not in str(exc):
                raise
    handset.wait_for_load_state()


def reload_handset(handset: Page) -> None:
    """Reload the handset page, tolerating its own reload racing ours (see goto_handset)."""
    goto_handset(handset, handset.url)


def answer_ars_call(page: Page, handset: Page, base_url: str, shots: Path | None) -> None:
    """ARS 인증 요청, read the two digits, key them in on the handset; the page moves on alone."""
    expect_step(page, "ARS 인증", "/ars/")
    expect(page.get_by_text("010-1234-****")).to_be_visible()
    page.get_by_role("button", name="ARS 인증 요청").click()
    number = page.locator(".big-number")
    expect(number).to_have_text(re.compile(r"^\s*\d{2}\s*$"))
    digits = number.inner_text().strip()
    expect(page.locator("#ars-status")).to_contain_text("자동으로 다음 단계로")
    if shots:
        shoot(page, shots, "03-ars")

    goto_handset(handset, base_url + HANDSET_PATH)
    call = handset.get_by_role("region", name=re.compile("전화 수신 중"))
    expect(call).to_be_visible()
    expect(call).to_contain_text("KB국민은행 ARS")
    keypad = call.get_by_role("group", name="다이얼 패드")
    for digit in digits:
        keypad.get_by_role("button", name=digit, exact=True).click()
    expect(call.get_by_label("숫자 두 자리")).to_have_value(digits)
    if shots:
        shoot(handset, shots, "04-handset-call")
    call.get_by_role("button", name="입력", exact=True).click()
    expect(handset.locator(".handset-messages .success")).to_be_visible()
    expect(handset.get_by_role("region", name=re.compile("전화 수신 중"))).to_have_count(0)

    # Nobody touches the first tab: its polling sees the confirmed call and submits by itself.
    page.wait_for_url(re.compile(r"/extra/$"), timeout=AUTO_ADVANCE_MS)


def confirm_contact(page: Page, shots: Path | None) -> None:
    expect_step(page, "추가 본인 확인", "/extra/")
    expect(page.get_by_label("KB국민인증서 인증")).to_be_checked()
    email = page.get_by_label("이메일", exact=True)
    expect(email).to_have_value(re.compile(r"^h\*+@example\.com$"))
    expect(page.get_by_label("휴대폰 번호", exact=True)).to_have_value("010-1234-****")
    page.get_by_label("위 이메일과 휴대폰 번호가 본인의 연락처임을 확인합니다.").check()
    if shots:
        shoot(page, shots, "05-extra")
    page.get_by_role("button", name="다음", exact=True).click()


def sms_inbox(handset: Page):
    return handset.locator(".handset-inbox .handset-sms-body")


def newest_sms_code(handset: Page, expected_count: int) -> str:
    """Reload the handset and read the 6-digit code from the newest SMS (the inbox's first)."""
    reload_handset(handset)
    expect(sms_inbox(handset)).to_have_count(expected_count)
    newest = sms_inbox(handset).first
    expect(newest).to_have_text(re.compile(r"^\[KB국민은행\] 금융인증서 발급/재발급 인증번호 \[\d{6}\]"))
    match = re.search(r"인증번호 \[(\d{6})\]", newest.text_content() or "")
    assert match, newest.text_content()
    return match.group(1)


def verify_by_sms(page: Page, handset: Page, shots: Path | None) -> None:
    expect_step(page, "KB국민인증서 인증", "/sms/")
    reload_handset(handset)
    received = sms_inbox(handset).count()
    page.get_by_label("이름", exact=True).fill(NAME)
    page.get_by_label("생년월일 (8자리)").fill(BIRTH_DATE)
    page.get_by_label("휴대폰 번호", exact=True).fill(PHONE)
    page.get_by_role("button", name="인증번호 요청").click()
    expect(page.get_by_role("status").filter(has_text="인증번호를 보냈습니다")).to_be_visible()
    # What the customer typed is still there after the code was sent.
    expect(page.get_by_label("이름", exact=True)).to_have_value(NAME)

    code = newest_sms_code(handset, received + 1)
    if shots:
        shoot(handset, shots, "06-handset-sms")
    code_input = page.get_by_label("인증번호 6자리")
    expect(code_input).to_have_attribute("autocomplete", "one-time-code")
    code_input.fill(code)
    if shots:
        shoot(page, shots, "07-sms")
    page.get_by_role("button", name="확인", exact=True).click()


def set_pin(page: Page, pin: str) -> None:
    page.get_by_label("인증서 비밀번호 (숫자 6자리)").fill(pin)
    page.get_by_label("비밀번호 확인", exact=True).fill(pin)
    page.get_by_role("button", name="확인", exact=True).click()


def colon_hex(number: int) -> str:
    """The serial as certificate viewers show it: 01:A2:B3."""
    digits = f"{number:x}"
    digits = digits.zfill(len(digits) + len(digits) % 2).upper()
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def download(page: Page, link_name: str, directory: Path) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name, exact=True).click()
    dl = info.value
    assert dl.failure() is None
    target = directory / dl.suggested_filename
    dl.save_as(target)
    return target.read_bytes()


def check_done_page(page: Page, shots: Path, name: str, downloads: Path) -> x509.Certificate:
    """발급 완료: subject, serial, validity shown; the certificate (PEM, DER) and chain download."""
    page.wait_for_url(re.compile(r"/done/$"))
    expect(page.get_by_role("heading", name="발급 완료", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"금융인증서 (재)?발급이 완료되었습니다"))
    details = page.get_by_role("region", name="인증서 정보")
    expect(details).to_contain_text(f"CN={NAME}()")
    expect(details).to_contain_text("CertCenter Sim CA")
    shoot(page, shots, name)

    pem = download(page, "인증서 내려받기 (PEM)", downloads)
    der = download(page, "인증서 내려받기 (DER)", downloads)
    chain_pem = download(page, "CA 인증서 체인 (PEM)", downloads)
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    certificate = x509.load_pem_x509_certificate(pem)
    assert certificate.public_bytes(serialization.Encoding.DER) == der

    cn = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert NAME in cn
    issuing_ca, root_ca = x509.load_pem_x509_certificates(chain_pem)
    assert certificate.issuer == issuing_ca.subject
    issuer_cn = issuing_ca.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert "Sim" in issuer_cn
    certificate.verify_directly_issued_by(issuing_ca)
    issuing_ca.verify_directly_issued_by(root_ca)

    expect(details).to_contain_text(colon_hex(certificate.serial_number))
    return certificate


def test_issue_then_reissue_after_loss(browser_context, live_server, live_customer, e2e_settings,
                                       artifacts_dir, tmp_path):
    started = time.monotonic()
    base = live_server.url
    page = browser_context.new_page()
    handset = browser_context.new_page()  # the customer's phone, in a second tab
    handset.goto(base + "/phone/")
    expect(handset.get_by_role("heading", name="모의 휴대폰", level=1)).to_be_visible()
    page.bring_to_front()

    # --- First issuance ------------------------------------------------------------------------
    open_wizard(page, base, artifacts_dir)
    agree_and_identify(page, artifacts_dir)
    answer_ars_call(page, handset, base, artifacts_dir)
    confirm_contact(page, artifacts_dir)
    verify_by_sms(page, handset, artifacts_dir)

    expect_step(page, "비밀번호 설정", "/pin/")
    pin_input = page.get_by_label("인증서 비밀번호 (숫자 6자리)")
    expect(pin_input).to_have_attribute("type", "password")
    expect(pin_input).to_have_attribute("inputmode", "numeric")
    shoot(page, artifacts_dir, "08-pin")
    set_pin(page, FIRST_PIN)
    first = check_done_page(page, artifacts_dir, "09-done", tmp_path)
    first_serial = f"{first.serial_number:x}"

    # --- The certificate is lost: reissue -------------------------------------------------------
    page.get_by_role("link", name="인증센터 처음으로").click()
    page.wait_for_url(base + "/")
    open_wizard(page, base, None)
    agree_and_identify(page, None)

    expect_step(page, "재발급 사유 선택", "/reissue/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("재발급")
    current = page.get_by_role("region", name="현재 인증서")
    expect(current).to_contain_text(colon_hex(first.serial_number))
    expect(current).to_contain_text("정상")
    expect(current).to_contain_text("CN=홍*동()")
    reasons = page.get_by_role("group", name="재발급 사유")
    for label in REISSUE_REASONS:
        expect(reasons.get_by_label(label, exact=True)).to_be_visible()
    reasons.get_by_label("분실", exact=True).check()
    shoot(page, artifacts_dir, "10-reissue-reason")
    page.get_by_role("button", name="다음", exact=True).click()

    answer_ars_call(page, handset, base, None)
    confirm_contact(page, None)
    verify_by_sms(page, handset, None)

    expect_step(page, "비밀번호 설정", "/pin/")
    expect(page.get_by_text(SAME_PIN_REFUSED)).to_be_visible()  # the rule is announced
    set_pin(page, FIRST_PIN)  # the old PIN is refused on reissue, on the same page
    expect(page.get_by_role("alert")).to_contain_text(SAME_PIN_REFUSED)
    expect(page).to_have_url(re.compile(r"/pin/$"))
    expect(page.get_by_label("인증서 비밀번호 (숫자 6자리)")).to_have_value("")
    shoot(page, artifacts_dir, "11-pin-refused")
    set_pin(page, NEW_PIN)
    second = check_done_page(page, artifacts_dir, "12-reissue-done", tmp_path)
    assert second.serial_number != first.serial_number
    assert second.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != first.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    # --- The first certificate is on the CRL, revoked for keyCompromise ------------------------
    response = page.request.get(base + "/ca/crl.crl")
    assert response.ok
    assert response.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.body())
    issuing_ca = x509.load_pem_x509_certificates(
        page.request.get(base + "/ca/chain.pem").body()
    )[0]
    assert crl.issuer == issuing_ca.subject
    assert crl.is_signature_valid(issuing_ca.public_key())
    entry = crl.get_revoked_certificate_by_serial_number(first.serial_number)
    assert entry is not None, "the lost certificate is not on the CRL"
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.key_compromise
    assert crl.get_revoked_certificate_by_serial_number(second.serial_number) is None

    browser_context.close()  # no more requests from the browser while the test reads the DB

    old = Certificate.objects.get(serial=first_serial)
    new = Certificate.objects.get(serial=f"{second.serial_number:x}")
    assert old.status == Certificate.Status.REVOKED
    assert old.revocation_reason == Certificate.RevocationReason.KEY_COMPROMISE
    assert old.replaced_by_id == new.pk
    assert new.status == Certificate.Status.ACTIVE
    assert new.customer_id == old.customer_id == live_customer.pk
    # The new PIN opens the new key, which is the one the downloaded certificate certifies.
    key = certificate_unlock_key(certificate=new, pin=NEW_PIN)
    assert key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == second.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    print(f"\ne2e walk (issue + reissue) took {time.monotonic() - started:.1f} s")
