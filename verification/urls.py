from django.urls import path, register_converter

from verification import handset, handset_api, views
from verification.converters import NationalPhoneConverter

register_converter(NationalPhoneConverter, "handset_phone")

app_name = "verification"
urlpatterns = [
    path(
        "verification/challenges/<uuid:challenge_id>/status/",
        views.challenge_status_view,
        name="challenge_status",
    ),
    path("phone/", handset.phone_list, name="handset_list"),
    path("phone/<handset_phone:phone>/", handset.phone_detail, name="handset_phone"),
    path("phone/<handset_phone:phone>/version/", handset.phone_version, name="handset_version"),
    path(
        "phone/<handset_phone:phone>/calls/<uuid:challenge_id>/key/",
        handset.call_key_in,
        name="handset_key_in",
    ),
    path(
        "phone/<handset_phone:phone>/calls/<uuid:challenge_id>/hang-up/",
        handset.call_hang_up,
        name="handset_hang_up",
    ),
]

# The handset's JSON API for automated tests (verification/handset_api.py).
urlpatterns += [
    path("phone/api/<handset_phone:phone>/", handset_api.phone_view, name="handset_api_phone"),
    path(
        "phone/api/<handset_phone:phone>/messages/",
        handset_api.messages_view,
        name="handset_api_messages",
    ),
    path("phone/api/<handset_phone:phone>/call/", handset_api.call_view, name="handset_api_call"),
    path(
        "phone/api/<handset_phone:phone>/call/keys/",
        handset_api.call_keys_view,
        name="handset_api_keys",
    ),
    path(
        "phone/api/<handset_phone:phone>/call/hang-up/",
        handset_api.call_hang_up_view,
        name="handset_api_hang_up",
    ),
    path("phone/api/<handset_phone:phone>/fraud/", handset_api.fraud_view, name="handset_api_fraud"),
]

# Fraud reports from the handset page ("본인이 요청하지 않음").
urlpatterns += [
    path(
        "phone/<handset_phone:phone>/calls/<uuid:challenge_id>/fraud/",
        handset.call_fraud,
        name="handset_call_fraud",
    ),
    path(
        "phone/<handset_phone:phone>/messages/<int:message_id>/fraud/",
        handset.sms_fraud,
        name="handset_sms_fraud",
    ),
]
