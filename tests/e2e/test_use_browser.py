"""End to end, in a real browser: the 금융인증서 as a working credential.

issue → 클라우드 연결 by SMS read on the handset → 로그인 to the 모의 인터넷뱅킹 with the PIN
pad → 이체 signed (the downloaded .p7s verifies with `openssl cms -verify`) → 비밀번호 변경 →
five wrong PINs → 잠김 → 재발급 → 로그인 works with the new certificate, and the old one is on
the CRL. Screenshots at 360 and 1280 px land in test-artifacts/e2e/.
"""

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from playwright.sync_api import Page, expect

from tests.e2e.test_browser import (
    NAME,
    PHONE,
    agree_and_identify,
    answer_ars_call,
    check_done_page,
    colon_hex,
    confirm_contact,
    download,
    open_wizard,
    reload_handset,
    set_pin,
    shoot,
    sms_inbox,
    verify_by_sms,
)

pytestmark = pytest.mark.e2e

FIRST_PIN, CHANGED_PIN, REISSUED_PIN, WRONG_PIN = "135790", "246802", "482915", "975318"
BIRTH_DATE = "19900101"


def pad_enter(page: Page, pin: str) -> None:
    """Type the PIN on the on-screen keypad (shuffled: find each digit's key by its label)."""
    pad = page.locator("[data-pin-pad]").first
    expect(pad).to_be_visible()  # JavaScript shows it over the plain field
    for digit in pin:
        pad.get_by_role("button", name=f"숫자 {digit}", exact=True).click()


def newest_code(handset: Page, received_before: int) -> str:
    reload_handset(handset)
    expect(sms_inbox(handset)).to_have_count(received_before + 1)
    text = sms_inbox(handset).first.text_content() or ""
    match = re.search(r"인증번호 \[(\d{6})\]", text)
    assert match, text
    return match.group(1)


def connect_to_cloud(page: Page, handset: Page, shots: Path) -> None:
    expect(page).to_have_url(re.compile(r"/cloud/"))
    expect(page.get_by_role("heading", name="클라우드 연결", level=1)).to_be_visible()
    reload_handset(handset)
    received = sms_inbox(handset).count()
    page.get_by_label("이름", exact=True).fill(NAME)
    page.get_by_label("생년월일 (8자리)").fill(BIRTH_DATE)
    page.get_by_label("휴대폰 번호", exact=True).fill(PHONE)
    page.get_by_role("button", name="인증번호 요청").click()
    code = newest_code(handset, received)
    page.get_by_label("인증번호 6자리").fill(code)
    page.get_by_label(re.compile("자동 연결")).check()
    shoot(page, shots, "20-cloud-connect")
    page.get_by_role("button", name="확인", exact=True).click()


def bank_login(page: Page, base: str, pin: str) -> None:
    page.goto(base + "/bank/login/")
    expect(page.get_by_role("heading", name="금융인증서 로그인", level=1)).to_be_visible()
    expect(page.locator(".signed-text").first).to_contain_text("로그인")
    pad_enter(page, pin)
    page.get_by_role("button", name="로그인", exact=True).click()


def openssl_verifies(p7s: Path, content: Path, chain: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["openssl", "cms", "-verify", "-CAfile", str(chain), "-content", str(content),
         "-inform", "DER", "-binary", "-in", str(p7s), "-out", "/dev/null"],
        capture_output=True, text=True, check=False,
    )


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_use_the_certificate_sign_in_transfer_change_pin_lock_and_reissue(
    browser_context, live_server, live_customer, e2e_settings, artifacts_dir, tmp_path,
    published_crl,  # as init_ca leaves it: the bank checks the CRL on every signature
):
    started = time.monotonic()
    base = live_server.url
    page = browser_context.new_page()
    handset = browser_context.new_page()
    handset.goto(base + "/phone/")
    page.bring_to_front()

    # --- Issue ------------------------------------------------------------------------------------
    open_wizard(page, base, None)
    agree_and_identify(page, None)
    answer_ars_call(page, handset, base, None)
    confirm_contact(page, None)
    verify_by_sms(page, handset, None)
    set_pin(page, FIRST_PIN)
    first = check_done_page(page, artifacts_dir, "19-issued", tmp_path)

    # --- 인증서 관리 asks for a cloud connection first ---------------------------------------------
    page.goto(base + "/personal/")
    page.get_by_role("link", name="인증서 관리", exact=True).click()
    connect_to_cloud(page, handset, artifacts_dir)
    expect(page).to_have_url(re.compile(r"/manage/$"))
    expect(page.locator("main")).to_contain_text(colon_hex(first.serial_number))
    shoot(page, artifacts_dir, "21-manage")

    # --- 로그인 to the relying party with the PIN pad ---------------------------------------------
    bank_login(page, base, FIRST_PIN)
    expect(page.get_by_role("heading", name=re.compile(f"{NAME}님, 로그인되어 있습니다"))).to_be_visible()
    shoot(page, artifacts_dir, "22-bank-home")

    # --- 이체: the exact text shown is what is signed ---------------------------------------------
    page.get_by_role("link", name="이체", exact=True).click()
    page.get_by_label("받는 분 은행").select_option(index=1)
    page.get_by_label("받는 분 계좌번호").fill("123-456-789012")
    page.get_by_label("금액 (원)").fill("50000")
    page.get_by_label("메모 (선택)").fill("월세")
    page.get_by_role("button", name="다음", exact=True).click()
    expect(page.get_by_role("heading", name="이체 확인", level=1)).to_be_visible()
    shown = page.locator(".signed-text").first.text_content()
    assert "\n금액: 50,000원\n" in shown, shown
    pad_enter(page, FIRST_PIN)
    shoot(page, artifacts_dir, "23-transfer-confirm")
    page.get_by_role("button", name="이체 승인", exact=True).click()
    expect(page.get_by_role("heading", name="이체 완료", level=1)).to_be_visible()
    shoot(page, artifacts_dir, "24-receipt")
    p7s = tmp_path / "transfer.p7s"
    p7s.write_bytes(download(page, "전자서명 내려받기 (.p7s)", tmp_path))
    content = tmp_path / "transfer.txt"
    content.write_bytes(download(page, "서명 원문 내려받기 (.txt)", tmp_path))
    chain = tmp_path / "chain.pem"
    chain.write_bytes(download(page, "CA 인증서 체인 (PEM)", tmp_path))
    assert content.read_text(encoding="utf-8").strip() == shown.strip()
    verified = openssl_verifies(p7s, content, chain)
    assert verified.returncode == 0, verified.stderr
    tampered = tmp_path / "tampered.txt"
    tampered.write_bytes(content.read_bytes().replace(b"50,000", b"90,000")
                         .replace(b"50000", b"90000"))
    assert tampered.read_bytes() != content.read_bytes()
    assert openssl_verifies(p7s, tampered, chain).returncode != 0

    # --- 비밀번호 변경: the same key under a new PIN ------------------------------------------------
    page.goto(base + "/personal/finance-cert/manage/pin/")
    pad_enter(page, FIRST_PIN)
    page.get_by_label("새 비밀번호", exact=False).first.fill(CHANGED_PIN)
    page.get_by_label(re.compile("새 비밀번호 확인")).fill(CHANGED_PIN)
    shoot(page, artifacts_dir, "25-change-pin")
    page.get_by_role("button", name="비밀번호 변경", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("비밀번호")

    # --- Five wrong PINs in a row lock it (each wrong PIN pauses the next check 1, 2, 4, 8 s) -----
    for attempt in range(1, 6):
        bank_login(page, base, WRONG_PIN)
        if attempt < 5:
            expect(page.get_by_text(f"비밀번호 {attempt}회 오류")).to_be_visible()
            time.sleep(2 ** (attempt - 1) + 0.3)
    expect(page.get_by_role("heading", name="인증서 이용이 제한되었습니다")).to_be_visible()
    shoot(page, artifacts_dir, "26-locked")
    page.get_by_role("link", name=re.compile("재발급")).first.click()

    # --- 재발급 (비밀번호 분실/잠김, pre-selected for a locked certificate) ---------------------------
    agree_and_identify(page, None)
    reasons = page.get_by_role("group", name="재발급 사유")
    expect(reasons.get_by_label("비밀번호 분실/잠김", exact=True)).to_be_checked()
    page.get_by_role("button", name="다음", exact=True).click()
    answer_ars_call(page, handset, base, None)
    confirm_contact(page, None)
    verify_by_sms(page, handset, None)
    set_pin(page, REISSUED_PIN)
    second = check_done_page(page, artifacts_dir, "27-reissued", tmp_path)

    # --- 로그인 works with the new certificate; the old one is on the CRL -------------------------
    bank_login(page, base, REISSUED_PIN)
    home = page.locator("main")
    expect(home).to_contain_text(re.compile(f"{NAME}님, 로그인되어 있습니다"))
    expect(home).to_contain_text(colon_hex(second.serial_number))
    shoot(page, artifacts_dir, "28-bank-home-new-certificate")
    crl = x509.load_der_x509_crl(page.request.get(base + "/ca/crl.crl").body())
    assert crl.get_revoked_certificate_by_serial_number(first.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(second.serial_number) is None
    print(f"\ne2e walk (use, change PIN, lock, reissue) took {time.monotonic() - started:.1f} s")
