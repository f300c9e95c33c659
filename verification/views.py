"""The status endpoint the ARS step polls while the customer answers the call."""

from uuid import UUID

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from verification.outcomes import ARS_PAGE, Outcome, outcome_message
from verification.services import challenge_status
from verification.session import session_owns_challenge


@never_cache
@require_GET
def challenge_status_view(request: HttpRequest, challenge_id: UUID) -> JsonResponse:
    """``{"status": "pending"}`` etc. for a challenge this session started; 404 otherwise.

    A challenge of another session answers exactly as an unknown one, and costs no challenge query.
    """
    status = Outcome.UNKNOWN
    if session_owns_challenge(request, challenge_id):
        status = challenge_status(challenge_id=challenge_id)
    if status == Outcome.UNKNOWN:
        return JsonResponse({"status": Outcome.UNKNOWN}, status=404)
    if status in (Outcome.BUSY, Outcome.NO_ANSWER, Outcome.DROPPED):
        # The network ended the call: the page says how, in the bank's words.
        return JsonResponse({"status": status,
                             "message": outcome_message(status, audience=ARS_PAGE)})
    return JsonResponse({"status": status})
