"""Certificates for staff: masked, searchable, filterable, revocable, with a read-only audit trail.

Reviewers may look (view permission); officers (``certificates.revoke_certificate``) may also
revoke, suspend and resume (효력정지, 효력회복), download the PEM (its subject carries the full
name) and search by name or phone.
Nothing here shows a full resident number, a sealed key, a PIN or a code. The changelist avoids
COUNT(*) over the whole table so it stays fast with millions of rows.
"""

import html
import json
import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import (
    display_for_field,
    display_for_value,
    label_for_field,
    lookup_field,
)
from django.core.exceptions import EmptyResultSet, ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join, strip_tags
from django.utils.safestring import SafeData
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import customer_search
from accounts.masking import mask_name
from accounts.models import Customer
from certcenter.admin import ReadOnlyAdminMixin, StaffChangeListMixin, is_officer
from certcenter.clock import now
from certcenter.http import client_ip
from certificates import exports, pki
from certificates.display import format_serial, mask_subject, serial_key
from certificates.lifecycle import (
    RESUME,
    SUSPEND,
    TransitionRefused,
    certificate_resume,
    certificate_suspend,
    certificates_revoke,
)
from certificates.models import (
    Certificate,
    CertificateEvent,
    CertificateExport,
    CertificateUse,
    RenewalRun,
    RevocationList,
)
from certificates.renewal import skipped_text
from certificates.signing import error_messages

_HEX = re.compile(r"^(?:0x)?[0-9a-fA-F:]{6,}$")
# A primary key in a revoke link: ASCII digits only (str.isdigit() also takes "²", which int()
# refuses), and at most 18 of them so the number stays inside a 64-bit key column.
_ID = re.compile(r"[0-9]{1,18}")


class EstimatedCountPaginator(Paginator):
    """On PostgreSQL a large list is counted by the planner's estimate, not COUNT(*).

    Counting a million rows costs more than the whole page; staff need "about how many", and a
    small result (≤ 10,000 by the estimate) is still counted exactly.
    """

    EXACT_BELOW = 10_000

    @cached_property
    def count(self):
        if connection.vendor == "postgresql":
            try:
                sql, params = self.object_list.order_by().query.sql_with_params()
            except EmptyResultSet:  # e.g. a search that matched no customer and no serial
                return 0
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
                plan = cursor.fetchone()[0]
            if isinstance(plan, str):
                plan = json.loads(plan)
            estimate = int(plan[0]["Plan"]["Plan Rows"])
            if estimate > self.EXACT_BELOW:
                return estimate
        return super().count


class KeyTypeFilter(admin.SimpleListFilter):
    # Fixed choices: the default filter would SELECT DISTINCT over every certificate.
    title = _("키 유형")
    parameter_name = "key_type"

    def lookups(self, request, model_admin):
        return [(key_type, key_type) for key_type in pki.KEY_TYPES]

    def queryset(self, request, queryset):
        return queryset.filter(key_type=self.value()) if self.value() else queryset


class ExpiringFilter(admin.SimpleListFilter):
    # "Soon" is the renewal job's window, so staff see what the next run will take.
    title = _("만료 예정")
    parameter_name = "expiring"

    def lookups(self, request, model_admin):
        days = settings.RENEWAL_WINDOW_DAYS
        return [("soon", gettext("%(days)d일 이내 만료") % {"days": days}),
                ("past", _("유효기간 경과"))]

    def queryset(self, request, queryset):
        moment = now()
        if self.value() == "soon":
            return queryset.expiring(now=moment, within_days=settings.RENEWAL_WINDOW_DAYS)
        if self.value() == "past":
            return queryset.filter(not_after__lt=moment)
        return queryset


class CertificateEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CertificateEvent
    fk_name = "certificate"
    fields = ["created_at", "kind", "actor", "staff_user", "client_ip", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-created_at", "-id"]
    verbose_name_plural = _("이력")


class RevokeForm(forms.Form):
    # No reason is preselected: on the CRL it tells relying parties how worried to be.
    reason = forms.ChoiceField(
        label=_("폐기 사유"),
        # certificateHold is a suspension (효력정지, undone by 효력회복), not a revocation.
        choices=[("", _("— 사유를 선택하세요 —")),
                 *[(value, label) for value, label in Certificate.RevocationReason.choices
                   if value != Certificate.RevocationReason.CERTIFICATE_HOLD]],
        error_messages={"required": _("폐기 사유를 선택해 주세요.")},
    )
    note = forms.CharField(label=_("메모 (고객 요청 경위 등)"), max_length=120,
                           error_messages={"required": _("폐기 경위를 메모에 남겨 주세요.")})
    confirm = forms.BooleanField(
        label=_("폐기는 되돌릴 수 없으며 즉시 폐기 목록(CRL)에 반영됨을 확인합니다."),
        error_messages={"required": _("폐기를 확인해 주세요.")},
    )


class HoldForm(forms.Form):
    """효력정지 or 효력회복 by an officer: why (on the audit trail) and how it came about."""

    reasons = {
        "suspend": [("customer_request", _("고객 요청 (분실·도난)")),
                    ("suspected_misuse", _("부정 사용 의심")), ("other", _("기타"))],
        "resume": [("customer_request", _("고객 요청 (본인 확인 완료)")),
                   ("cleared", _("조사 결과 이상 없음")), ("other", _("기타"))],
    }
    reason = forms.ChoiceField(label=_("사유"),
                               error_messages={"required": _("사유를 선택해 주세요.")})
    note = forms.CharField(label=_("메모 (고객 요청 경위 등)"), max_length=120,
                           error_messages={"required": _("경위를 메모에 남겨 주세요.")})

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("— 사유를 선택하세요 —")), *self.reasons[action]]

    @property
    def audit_note(self) -> str:
        reason = dict(self.fields["reason"].choices)[self.cleaned_data["reason"]]
        return f"{reason}: {self.cleaned_data['note']}"


# -- Uses of a certificate (signatures asked for and checked), on its page ---------------------

class _LatestUses(forms.BaseInlineFormSet):
    def get_queryset(self):
        # A certificate signs every day: its page shows the latest uses, not years of them.
        return super().get_queryset()[:CertificateUseInline.shown]


class CertificateUseInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CertificateUse
    fk_name = "certificate"
    formset = _LatestUses
    shown = 50
    fields = ["created_at", "purpose", "result_display", "masked_customer", "client_ip",
              "content_digest"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-created_at", "-id"]
    verbose_name_plural = _("사용 기록 (최근 50건)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer")

    @admin.display(description=_("결과"))
    def result_display(self, obj):
        if obj.ok:
            return gettext("정상")
        return f"{gettext('거부')}: {obj.result} ({error_messages.get(obj.result, '-')})"

    @admin.display(description=_("고객"))
    def masked_customer(self, obj):
        # The customer who signed (for a refusal: who tried, possibly not the owner).
        return str(obj.customer)


@admin.register(Certificate)
class CertificateAdmin(StaffChangeListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # Everything here is read-only; revocation is a permission of its own.
    list_display = ["serial_display", "masked_subject", "masked_customer", "status", "key_type",
                    "not_after"]
    list_filter = ["status", KeyTypeFilter, ExpiringFilter]
    list_select_related = ["customer"]
    search_fields = ["=serial"]  # shows the search box; get_search_results decides what matches
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    ordering = ["-id"]
    actions = ["revoke_selected"]
    inlines = [CertificateEventInline, CertificateUseInline]
    fieldsets = [
        (None, {"fields": ["serial", "masked_subject", "masked_customer", "status", "key_type",
                           "not_before", "not_after", "revocation_reason", "revoked_at",
                           "renewed_from", "replaced_by", "pem_download"]}),
        (_("인증서 내용"), {"fields": ["decoded"]}),
    ]
    readonly_fields = ["serial", "masked_subject", "masked_customer", "status", "key_type",
                       "not_before", "not_after", "revocation_reason", "revoked_at",
                       "renewed_from", "replaced_by", "pem_download", "decoded"]
    change_form_template = "admin/certificates/certificate/change_form.html"
    change_list_template = "admin/certificates/certificate/change_list.html"

    def has_revoke_permission(self, request):
        return is_officer(request)

    def has_export_permission(self, request):
        # A file of the whole list leaves the admin, where each look is a page of 50: an
        # officer's right, like the PEM.
        return is_officer(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_export": self.has_export_permission(request)}
        return super().changelist_view(request, extra_context)

    def get_fieldsets(self, request, obj=None):
        if self.has_revoke_permission(request):
            return self.fieldsets
        # The PEM's subject and identity binding carry the full name: an officer's right.
        return [(title, {**options, "fields": [f for f in options["fields"] if f != "pem_download"]})
                for title, options in self.fieldsets]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_revoke_permission(request):
            actions.pop("revoke_selected", None)
        return actions

    def get_search_help_text(self, request):
        if is_officer(request):
            return _("일련번호(16진수), 인터넷뱅킹 아이디, 이름 또는 휴대폰 번호 (정확히 일치)")
        return _("일련번호(16진수) 또는 인터넷뱅킹 아이디 (정확히 일치)")

    def get_search_results(self, request, queryset, search_term):
        # Whole values only. Everyone: the serial and the user ID, which every list shows in full.
        # Officers, who act on a customer's own call, also the exact name or the full phone.
        term = search_term.strip()
        if not term:
            return queryset, False
        # Customers first (user ID, name and phone are indexed), then certificates by an indexed
        # column: an OR across the join would scan every certificate.
        customers = Customer.objects.filter(customer_search(term, officer=is_officer(request)))
        condition = Q(customer_id__in=list(customers.values_list("pk", flat=True)[:1000]))
        if _HEX.match(term):
            # Serials are typed as viewers show them (77:C0:26:…, upper case, 0x…); a term may
            # also be a user ID that happens to look like hex (cafe12), so both are searched.
            condition |= Q(serial=serial_key(term))
        return queryset.filter(condition), False

    @admin.display(description=_("일련번호"), ordering="serial")
    def serial_display(self, obj):
        return format_serial(obj.serial)

    @admin.display(description=_("주체"))
    def masked_subject(self, obj):
        return mask_subject(obj.subject)

    @admin.display(description=_("고객"))
    def masked_customer(self, obj):
        return str(obj.customer)

    @admin.display(description=_("PEM"))
    def pem_download(self, obj):
        if not obj.der:
            return "-"
        url = reverse("admin:certificates_certificate_pem", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("PEM 내려받기"))

    @admin.display(description=_("해석"))
    def decoded(self, obj):
        if not obj.der:
            return "-"
        cert = pki.load_certificate(bytes(obj.der))
        rows = [
            (_("주체"), mask_subject(cert.subject)),
            (_("발급자"), cert.issuer.rfc4514_string()),
            (_("일련번호"), format_serial(f"{cert.serial_number:x}")),
            (_("유효기간"), f"{timezone.localtime(cert.not_valid_before_utc):%Y-%m-%d %H:%M} ~ "
                         f"{timezone.localtime(cert.not_valid_after_utc):%Y-%m-%d %H:%M} (KST)"),
            (_("공개키"), pki.key_type_of(cert.public_key())),
            (_("서명 알고리즘"), cert.signature_algorithm_oid._name),
            (_("SHA-256 지문"), pki.fingerprint_sha256(cert)),
            (_("SHA-1 지문"), cert.fingerprint(pki.hashes.SHA1()).hex(":").upper()),
        ]
        for ext in cert.extensions:
            value = ext.value
            if isinstance(value, pki.x509.SubjectAlternativeName):
                binding = pki.identity_binding(cert)
                text = f"KISA identifyData: {mask_name(binding[0])}, VID ****" if binding else "-"
            else:
                text = _describe_extension(value)
            label = EXTENSION_LABELS.get(ext.oid.dotted_string, ext.oid.dotted_string)
            rows.append((f"{label}{' (critical)' if ext.critical else ''}", text))
        return format_html(
            '<dl class="cert-decoded">{}</dl>',
            format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows),
        )

    # -- revocation --------------------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<int:pk>/pem/", self.admin_site.admin_view(self.pem_view),
                 name=f"{prefix}_pem"),
            path("export/", self.admin_site.admin_view(self.export_view),
                 name=f"{prefix}_export"),
            path("<int:pk>/revoke/", self.admin_site.admin_view(self.revoke_view),
                 name=f"{prefix}_revoke"),
            path("revoke/", self.admin_site.admin_view(self.revoke_view),
                 name=f"{prefix}_revoke_many"),
            path("<int:pk>/suspend/", self.admin_site.admin_view(self.suspend_view),
                 name=f"{prefix}_suspend"),
            path("<int:pk>/resume/", self.admin_site.admin_view(self.resume_view),
                 name=f"{prefix}_resume"),
        ] + super().get_urls()

    def export_view(self, request):
        """The changelist's rows (its filters, search and order: the same query string) as CSV,
        each cell as the list shows it, streamed and on record (``CertificateExport``)."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            self.message_user(request, _("내보낼 목록의 조건이 올바르지 않습니다."), messages.ERROR)
            return redirect("admin:certificates_certificate_changelist")
        columns = [name for name in changelist.list_display if name != "action_checkbox"]
        header = [strip_tags(str(label_for_field(name, self.model, self))) for name in columns]
        # The list never shows the DER; leaving it out keeps each fetched chunk small.
        queryset = changelist.queryset.defer("der")
        export = exports.export_record_start(staff_user=request.user,
                                             client_ip=client_ip(request),
                                             filters=dict(request.GET.items()))
        language = translation.get_language()
        sent = {"rows": 0}

        def count_row():
            sent["rows"] += 1

        empty = self.get_empty_value_display()

        def rows():
            # The body is written after the view returned: keep the request's language.
            with translation.override(language):
                for obj in queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE):
                    yield [_list_cell(self, obj, name, empty) for name in columns]

        def body():
            finished = False
            try:
                yield from exports.csv_stream(header, rows(), on_row=count_row)
                finished = True
            finally:  # also when the browser breaks the download off: the rows sent so far
                exports.export_record_rows(export, rows=sent["rows"], finished=finished)

        response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime(now()).strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="certificates-{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        return response

    def pem_view(self, request, pk):
        if not self.has_revoke_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(Certificate, pk=pk, der__isnull=False)
        response = HttpResponse(pki.certificate_pem(pki.load_certificate(bytes(obj.der))),
                                content_type="application/x-pem-file")
        response["Content-Disposition"] = f'attachment; filename="{obj.serial}.pem"'
        return response

    def _refuse_too_many(self, request, limit):
        message = gettext("한 번에 %(limit)d개까지 폐기할 수 있습니다. 선택 범위를 줄여 주세요.")
        self.message_user(request, message % {"limit": limit}, messages.ERROR)

    @admin.action(description=_("선택한 인증서 폐기"))
    def revoke_selected(self, request, queryset):
        if not self.has_revoke_permission(request):
            raise PermissionDenied
        # The ids travel in the form's URL; the limit keeps it short enough for proxies.
        limit = settings.REVOKE_BATCH_LIMIT
        pks = list(queryset.values_list("pk", flat=True)[:limit + 1])
        if len(pks) > limit:
            self._refuse_too_many(request, limit)
            return None
        ids = ",".join(map(str, pks))
        return redirect(f"{reverse('admin:certificates_certificate_revoke_many')}?ids={ids}")

    def revoke_view(self, request, pk=None):
        if not self.has_revoke_permission(request):
            raise PermissionDenied
        raw = str(pk) if pk is not None else request.GET.get("ids", "")
        parts = raw.split(",") if raw else []
        if not all(_ID.fullmatch(part) for part in parts):
            self.message_user(request, _("폐기할 인증서 번호가 올바르지 않습니다."), messages.ERROR)
            return redirect("admin:certificates_certificate_changelist")
        limit = settings.REVOKE_BATCH_LIMIT
        if len(parts) > limit:
            self._refuse_too_many(request, limit)
            return redirect("admin:certificates_certificate_changelist")
        targets = list(Certificate.objects.revocable(now=now())
                       .filter(pk__in=[int(part) for part in parts]).select_related("customer"))
        form = RevokeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            revoked = certificates_revoke(
                certificates=targets, reason=form.cleaned_data["reason"],
                actor=CertificateEvent.Actor.STAFF, staff_user=request.user,
                client_ip=client_ip(request), note=form.cleaned_data["note"],
            )
            self.message_user(request, _("%(n)d개 인증서를 폐기했습니다.") % {"n": len(revoked)},
                              messages.SUCCESS)
            if pk:
                return redirect("admin:certificates_certificate_change", pk)
            return redirect("admin:certificates_certificate_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("인증서 폐기"),
            "form": form,
            "targets": [(c, self.masked_subject(c)) for c in targets],
        }
        return render(request, "admin/certificates/certificate/revoke.html", context)

    # -- suspension (효력정지) and resumption (효력회복) ------------------------------------------------

    def suspend_view(self, request, pk):
        return self._hold_view(request, pk, action="suspend")

    def resume_view(self, request, pk):
        return self._hold_view(request, pk, action="resume")

    def _hold_view(self, request, pk, *, action):
        if not self.has_revoke_permission(request):
            raise PermissionDenied
        certificate = get_object_or_404(Certificate.objects.select_related("customer"), pk=pk)
        change = certificate_suspend if action == "suspend" else certificate_resume
        title = _("인증서 효력정지") if action == "suspend" else _("인증서 효력회복")
        form = HoldForm(request.POST or None, action=action)
        if request.method == "POST" and form.is_valid():
            try:
                change(certificate=certificate, actor=CertificateEvent.Actor.STAFF,
                       staff_user=request.user, client_ip=client_ip(request),
                       note=form.audit_note)
            except TransitionRefused:
                self.message_user(request, _("지금 상태에서는 처리할 수 없는 인증서입니다."),
                                  messages.ERROR)
            else:
                self.message_user(request, gettext("%(title)s 처리했습니다.") % {"title": title},
                                  messages.SUCCESS)
            return redirect("admin:certificates_certificate_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": title, "form": form, "action": action,
            "certificate": certificate, "subject": self.masked_subject(certificate),
            "allowed": (SUSPEND if action == "suspend" else RESUME).allows(certificate.status),
        }
        return render(request, "admin/certificates/certificate/hold.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_revoke": self.has_revoke_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)


EXTENSION_LABELS = {
    "2.5.29.19": "기본 제약 (BasicConstraints)",
    "2.5.29.15": "키 용도 (KeyUsage)",
    "2.5.29.14": "주체 키 식별자 (SKI)",
    "2.5.29.35": "발급자 키 식별자 (AKI)",
    "2.5.29.32": "인증서 정책 (CertificatePolicies)",
    "2.5.29.31": "CRL 배포 지점",
    "1.3.6.1.5.5.7.1.1": "기관 정보 접근 (AIA)",
    "2.5.29.17": "주체 대체 이름 (식별번호)",
}
_KEY_USAGES = ("digital_signature", "content_commitment", "key_encipherment",
               "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign")


def _describe_extension(value) -> str:
    """What a staff member needs to read from an extension, not its Python repr."""
    x509 = pki.x509
    if isinstance(value, x509.BasicConstraints):
        return f"CA={'예' if value.ca else '아니오'}"
    if isinstance(value, x509.KeyUsage):
        names = {"content_commitment": "nonRepudiation", "digital_signature": "digitalSignature",
                 "key_cert_sign": "keyCertSign", "crl_sign": "cRLSign"}
        return ", ".join(names.get(u, u) for u in _KEY_USAGES if getattr(value, u))
    if isinstance(value, x509.SubjectKeyIdentifier):
        return value.digest.hex(":").upper()
    if isinstance(value, x509.AuthorityKeyIdentifier):
        return (value.key_identifier or b"").hex(":").upper()
    if isinstance(value, x509.CertificatePolicies):
        return ", ".join(p.policy_identifier.dotted_string for p in value)
    if isinstance(value, x509.CRLDistributionPoints):
        return ", ".join(n.value for p in value for n in (p.full_name or []))
    if isinstance(value, x509.AuthorityInformationAccess):
        return ", ".join(f"caIssuers {d.access_location.value}" for d in value)
    return re.sub(r"^<(\w+)\((.*)\)>$", r"\1: \2", repr(value), flags=re.S)[:400]


@admin.register(CertificateEvent)
class CertificateEventAdmin(StaffChangeListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "certificate_serial", "customer_user_id", "actor",
                    "staff_user", "client_ip", "reason"]
    list_filter = ["kind", "actor"]
    list_select_related = ["certificate", "customer", "staff_user"]
    search_fields = ["=certificate__serial", "=customer__user_id"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ["-created_at", "-id"]

    @admin.display(description=_("일련번호"))
    def certificate_serial(self, obj):
        return obj.certificate.serial if obj.certificate else "-"

    @admin.display(description=_("고객"))
    def customer_user_id(self, obj):
        return obj.customer.user_id if obj.customer else "-"


@admin.register(RevocationList)
class RevocationListAdmin(StaffChangeListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "this_update", "next_update", "entry_count"]
    fields = ["id", "this_update", "next_update", "entry_count"]
    readonly_fields = fields


# SealedKey is deliberately not registered: a sealed key has no business in admin.




# -- Renewal runs on record (certificates/renewal.py writes them) -----------------------------------

@admin.register(RenewalRun)
class RenewalRunAdmin(StaffChangeListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "finished_at", "outcome", "dry_run", "renewed", "skipped_total",
                    "expired", "failed", "source", "host_pid"]
    list_filter = ["outcome", "dry_run", ("started_at", admin.DateFieldListFilter)]
    ordering = ["-started_at", "-id"]
    fieldsets = [
        (None, {"fields": ["started_at", "finished_at", "outcome", "exit_status", "error",
                           "source", "host", "pid"]}),
        (_("옵션"), {"fields": ["dry_run", "window_days", "batch_size", "limit"]}),
        (_("결과"), {"fields": ["batches", "renewed", "skipped_by_reason", "expired", "failed",
                              "failure_table"]}),
    ]
    readonly_fields = ["started_at", "finished_at", "outcome", "exit_status", "error", "source",
                       "host", "pid", "dry_run", "window_days", "batch_size", "limit", "batches",
                       "renewed", "skipped_by_reason", "expired", "failed", "failure_table"]

    class Media:
        css = {"all": ["css/admin-overview.css"]}

    @admin.display(description=_("호스트 (PID)"))
    def host_pid(self, obj):
        return f"{obj.host} ({obj.pid})"

    @admin.display(description=_("보류(사유별)"))
    def skipped_by_reason(self, obj):
        if not obj.skipped:
            return "0"
        return skipped_text(obj.skipped)

    @admin.display(description=_("실패한 인증서"))
    def failure_table(self, obj):
        failures = list(obj.failure_rows.all()[:1000])
        if not failures:
            return gettext("없음")
        rows = format_html_join(
            "", '<tr><th scope="row">{}</th><td>{}</td></tr>',
            ((format_serial(failure.serial), failure.error) for failure in failures),
        )
        return format_html(
            '<table class="ops-table"><caption>{}</caption><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>',
            gettext("실패 %(n)d건") % {"n": obj.failed}, gettext("일련번호"), gettext("오류"), rows,
        )


# -- CSV export of the (filtered) certificate list ------------------------------------------------

# Rows fetched from the database at a time: memory holds one chunk, whatever the list's length.
EXPORT_CHUNK_SIZE = 2000


def _list_cell(model_admin, obj, field_name, empty: str) -> str:
    """One cell as the changelist shows it (Django's ``items_for_result``, less the HTML), so the
    export masks exactly what the list masks: the same display functions make both."""
    try:
        field, attr, value = lookup_field(field_name, obj, model_admin)
    except ObjectDoesNotExist:
        return empty
    if field is None or field.auto_created:
        shown = display_for_value(value, empty, getattr(attr, "boolean", False))
    else:
        shown = display_for_field(value, field, empty)
    if isinstance(shown, SafeData):  # built as HTML: the file wants its text
        return html.unescape(strip_tags(shown))
    return str(shown)


@admin.register(CertificateExport)
class CertificateExportAdmin(StaffChangeListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "staff_user", "client_ip", "filters_display", "row_count",
                    "finished_at"]
    list_filter = [("started_at", admin.DateFieldListFilter)]
    list_select_related = ["staff_user"]
    fields = ["started_at", "finished_at", "staff_user", "client_ip", "filters_display",
              "row_count"]
    readonly_fields = fields
    ordering = ["-started_at", "-id"]

    @admin.display(description=_("필터"))
    def filters_display(self, obj):
        return ", ".join(f"{key}={value}" for key, value in sorted(obj.filters.items())) or "-"
