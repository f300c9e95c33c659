from django.urls import path, register_converter

from verification import handset, views
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
    # simulator controls: channel faults from the handset
    path("phone/<handset_phone:phone>/faults/", handset.phone_fault_set, name="handset_fault_set"),
    path("phone/<handset_phone:phone>/faults/clear/", handset.phone_fault_clear,
         name="handset_fault_clear"),
]
