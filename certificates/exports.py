"""CSV exports of the certificate list for staff: streamed, safe to open in Excel, on record.

The rows are whatever the admin list shows, masked as it masks them (certificates/admin.py builds
them); here are the file's form and the audit trail (``CertificateExport``).
"""

import csv
import re
from collections.abc import Iterable, Iterator

from accounts.masking import mask_name
from certcenter.clock import now
from certificates.models import CertificateExport

# Excel reads a UTF-8 file as the local code page unless it starts with a byte order mark.
BOM = "\ufeff"
# A cell that starts with one of these is a formula to a spreadsheet (OWASP "CSV injection"):
# =1+1, +cmd, -2+3, @SUM(…), and a tab or carriage return before one of them.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500


def csv_cell(value) -> str:
    """The text of one cell, a leading formula character neutralised with an apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


class _Line:
    """csv.writer's file: hands back what it was given instead of keeping it (Django's "Echo")."""

    def write(self, value: str) -> str:
        return value


def csv_stream(header: list[str], rows: Iterable[list], *, on_row=None) -> Iterator[bytes]:
    """The file as UTF-8 chunks: the BOM and header first, then ``ROWS_PER_CHUNK`` rows a chunk;
    ``on_row`` is called once per row written (the audit's count)."""
    writer = csv.writer(_Line())
    yield (BOM + writer.writerow([csv_cell(cell) for cell in header])).encode()
    chunk = []
    for row in rows:
        chunk.append(writer.writerow([csv_cell(cell) for cell in row]))
        if on_row is not None:
            on_row()
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


_PHONE_LIKE = re.compile(r"[0-9+() -]{8,}")


def masked_search_term(term: str) -> str:
    """A search term as the audit keeps it. A serial or user ID stays (the list shows both in full);
    a name or phone number an officer typed is personal data, so it is masked like the list's."""
    term = term.strip()
    if _PHONE_LIKE.fullmatch(term):
        digits_seen = 0
        masked = []
        for char in term:
            if char.isdigit():
                digits_seen += 1
                masked.append(char if digits_seen <= 7 else "*")
            else:
                masked.append(char)
        return "".join(masked)
    if not term.isascii():
        return mask_name(term)
    return term


def export_record_start(*, staff_user, client_ip: str | None, filters: dict) -> CertificateExport:
    """The export on record before its first row is sent (who, from where, which filters)."""
    filters = dict(filters)
    if filters.get("q"):
        filters["q"] = masked_search_term(filters["q"])
    return CertificateExport.objects.create(staff_user=staff_user, client_ip=client_ip or None,
                                            filters=filters, started_at=now())


def export_record_rows(export: CertificateExport, *, rows: int, finished: bool) -> None:
    """Rows sent so far (and the finish time once the last one went)."""
    changes = {"row_count": rows}
    if finished:
        changes["finished_at"] = now()
    CertificateExport.objects.filter(pk=export.pk).update(**changes)
