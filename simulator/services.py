"""What the 시뮬레이터 제어 page does: move the clock, run renewal, set channel faults; each logged.

Every function refuses (ValidationError "controls_off") unless ``SIMULATOR_CONTROLS_ENABLED``. The
work is done by the apps' own services — the clock's offset by ``certcenter.services``, renewal by
the same ``certificates_renew`` the cron command runs, faults by ``verification.faults`` — so what
a trainer shows is what the bank's system does.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certcenter import clock
from certcenter.services import clock_offset_set
from certificates.ocsp import signer_renew
from certificates.publication import crl_publish
from certificates.renewal import RenewalReport, certificates_renew
from simulator.models import SimulatorAction

logger = logging.getLogger(__name__)

# The CA's issuing certificate lasts 10 years; five leave room for a renewed certificate's year.
MAX_OFFSET_DAYS = 5 * 365

error_messages = {
    "controls_off": gettext_lazy("시뮬레이터 제어가 꺼져 있습니다 (SIMULATOR_CONTROLS_ENABLED)."),
    "days": gettext_lazy("1일에서 %(max)d일 사이로 입력하세요."),
    "past": gettext_lazy(
        "시계는 앞으로만 옮길 수 있습니다. 현재 시뮬레이터 날짜(%(today)s) 이후의 날짜를 고르세요. "
        "처음으로 돌아가려면 ‘실제 시간으로’를 누르세요."
    ),
    "too_far": gettext_lazy("실제 날짜로부터 %(max)d일 이내의 날짜를 고르세요."),
}


def controls_enabled() -> bool:
    return settings.SIMULATOR_CONTROLS_ENABLED


def _require_controls() -> None:
    if not controls_enabled():
        raise ValidationError(error_messages["controls_off"], code="controls_off")


def action_log(*, kind: str, detail: str, user=None) -> SimulatorAction:
    """One row of the page's log, and the same as a log line (no personal data in either)."""
    logger.info("simulator %s: %s", kind, detail)
    return SimulatorAction.objects.create(
        kind=kind, detail=detail[:255], staff_user=user, simulated_at=clock.now()
    )


# --- the clock -----------------------------------------------------------------------------------


@dataclass
class ClockChange:
    offset: timedelta
    today: date
    warnings: list[str] = field(default_factory=list)


def clock_status() -> dict:
    """What the page shows about the clock: real and simulated time, and the offset in days."""
    return {
        "real_now": timezone.now(),
        "simulated_now": clock.now(),
        "offset_days": clock.offset().days,
        "moved": bool(clock.offset()),
    }


def clock_move_forward(*, days: int, user=None) -> ClockChange:
    """Move the clock ``days`` further ahead (the time of day stays)."""
    _require_controls()
    offset = clock.offset() + timedelta(days=days)
    if not 1 <= days <= MAX_OFFSET_DAYS or offset.days > MAX_OFFSET_DAYS:
        raise ValidationError(error_messages["days"] % {"max": MAX_OFFSET_DAYS}, code="days")
    return _clock_set(offset, user=user, detail=f"+{days}일 이동")


def clock_move_to(*, day: date, user=None) -> ClockChange:
    """Move the clock to ``day`` (Asia/Seoul), a day not before the simulated today."""
    _require_controls()
    if day <= clock.today():
        raise ValidationError(error_messages["past"] % {"today": clock.today().isoformat()},
                              code="past")
    days = (day - timezone.localdate()).days
    if days > MAX_OFFSET_DAYS:
        raise ValidationError(error_messages["too_far"] % {"max": MAX_OFFSET_DAYS}, code="too_far")
    return _clock_set(timedelta(days=days), user=user, detail=f"{day.isoformat()}(으)로 이동")


def clock_reset(*, user=None) -> ClockChange:
    """Back to real time. Records made under the moved clock keep their simulated dates."""
    _require_controls()
    return _clock_set(timedelta(0), user=user, detail="실제 시간으로")


def _clock_set(offset: timedelta, *, user, detail: str) -> ClockChange:
    change = ClockChange(offset=offset, today=timezone.localdate(timezone.now() + offset))
    with transaction.atomic():
        clock_offset_set(offset=offset, user=user)
        action_log(kind=SimulatorAction.Kind.CLOCK,
                   detail=f"{detail} → {change.today.isoformat()} (실제 +{offset.days}일)", user=user)
        # After the offset is published (its own on-commit hook runs first): signed at the new time.
        transaction.on_commit(lambda: change.warnings.extend(status_services_refresh()))
    return change


def status_services_refresh() -> list[str]:
    """What cron would have done in the days skipped: a fresh CRL (the old one's nextUpdate has
    passed, or lies in the future after a move back) and an OCSP responder certificate valid now.

    Returns warnings for the page rather than failing the move (e.g. no CA yet)."""
    warnings = []
    try:
        crl_publish()
    except Exception as exc:  # the clock moved anyway; the page says what to run
        logger.warning("simulator: CRL not published after the clock moved: %s", exc)
        warnings.append(_("CRL을 새로 발행하지 못했습니다 (manage.py publish_crl --force): %(error)s")
                        % {"error": exc})
    try:
        signer_renew(force=True)
    except Exception as exc:
        logger.warning("simulator: OCSP signer not renewed after the clock moved: %s", exc)
        warnings.append(_("OCSP 응답 인증서를 갱신하지 못했습니다 (manage.py renew_ocsp_signer "
                          "--force): %(error)s") % {"error": exc})
    return warnings


# --- renewal -------------------------------------------------------------------------------------


def renewal_run(*, user=None, dry_run: bool = False) -> RenewalReport:
    """Run the nightly renewal job now, on the simulator's clock: ``certificates_renew``, exactly
    what ``manage.py renew_certificates`` runs (default window and batch size)."""
    _require_controls()
    report = certificates_renew(dry_run=dry_run, source="simulator")
    action_log(kind=SimulatorAction.Kind.RENEWAL, detail=report.summary(), user=user)
    return report


# --- channel faults ------------------------------------------------------------------------------


def fault_changed_log(sender, *, description: str, user=None, **kwargs) -> None:
    """Receiver of ``verification.signals.channel_fault_changed``: the page's log."""
    action_log(kind=SimulatorAction.Kind.FAULT, detail=description, user=user)
