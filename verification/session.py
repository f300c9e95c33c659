"""Which challenges this browser session started, so polling answers only the session's own."""

from uuid import UUID

from django.http import HttpRequest

SESSION_KEY = "verification_challenges"
# A flow needs two or three challenges at a time; older ones only have to be forgotten.
MAX_REMEMBERED = 8


def remember_challenge(request: HttpRequest, challenge) -> None:
    challenge_id = str(challenge.pk)
    remembered = [cid for cid in request.session.get(SESSION_KEY, []) if cid != challenge_id]
    remembered.append(challenge_id)
    request.session[SESSION_KEY] = remembered[-MAX_REMEMBERED:]


def session_owns_challenge(request: HttpRequest, challenge_id: UUID | str) -> bool:
    return str(challenge_id) in request.session.get(SESSION_KEY, [])
