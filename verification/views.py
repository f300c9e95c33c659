"""The status endpoint the ARS step polls while the customer answers the call."""

from uuid import UUID

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from verification.outcomes import Outcome
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
    return JsonResponse({"status": status})
