"""Fixtures for the simulator controls: switched on, a staff member allowed to use them."""

import pytest
from django.contrib.auth.models import Permission, User


@pytest.fixture
def controls(settings):
    """SIMULATOR_CONTROLS_ENABLED on, whatever the .env says (the clock starts and ends at real
    time anyway: tests/conftest.py's empty_cache)."""
    settings.SIMULATOR_CONTROLS_ENABLED = True
    return settings


@pytest.fixture
def controls_off(settings):
    settings.SIMULATOR_CONTROLS_ENABLED = False
    return settings


@pytest.fixture
def controller(db):
    """Staff (not a superuser) holding simulator.control_simulator."""
    user = User.objects.create_user("trainer", password="x-unused-x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="control_simulator"))
    return user


@pytest.fixture
def controller_client(client, controller):
    client.force_login(controller)
    return client


@pytest.fixture
def simulated_phone(settings):
    """SMS and ARS through the simulated backend (where faults apply), the handset on."""
    settings.SMS_BACKEND = "verification.backends.simulated.SimulatedBackend"
    settings.ARS_BACKEND = "verification.backends.simulated.SimulatedBackend"
    settings.SIMULATED_PHONE_ENABLED = True
    return settings
