"""Project settings: refusing to start without secrets, locale and time zone, the .env writer."""

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from certcenter.envfile import generate_secrets, write_env_file

BASE_DIR = Path(__file__).resolve().parent.parent
SECRETS = [
    "SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "RRN_LOOKUP_KEY", "CA_KEY_PASSPHRASE", "PIN_PEPPER",
]


def start_django(
    env_overrides: dict[str, str], *, drop=(), code="import django; django.setup()"
) -> subprocess.CompletedProcess:
    """Run ``django.setup()`` in a fresh interpreter with the given environment."""
    env = {k: v for k, v in os.environ.items() if k not in SECRETS and k not in drop}
    env.update(
        {"DJANGO_SETTINGS_MODULE": "certcenter.settings", "PYTHONIOENCODING": "utf-8",
         **env_overrides}
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR, env=env, capture_output=True, encoding="utf-8", timeout=60,
    )


@pytest.fixture(scope="module")
def all_secrets():
    return generate_secrets() | {"DEBUG": "False"}


@pytest.mark.parametrize("missing", SECRETS)
def test_production_refuses_to_start_without_a_secret(all_secrets, missing):
    given = {k: v for k, v in all_secrets.items() if k != missing}
    result = start_django({**given, "ENV_FILE": "/nonexistent", "DEBUG": "False"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} is not set" in result.stderr


@pytest.mark.parametrize("empty", SECRETS)
def test_an_empty_secret_counts_as_missing(all_secrets, empty):
    result = start_django({**all_secrets, empty: "", "ENV_FILE": "/nonexistent"})
    assert result.returncode != 0
    assert f"{empty} is not set" in result.stderr


def test_production_starts_with_every_secret(all_secrets):
    result = start_django({**all_secrets, "ENV_FILE": "/nonexistent", "DEBUG": "False"})
    assert result.returncode == 0, result.stderr


def test_locale_and_time_zone():
    assert settings.TIME_ZONE == "Asia/Seoul"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "ko"


def test_documented_defaults(all_secrets):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.BANK_NAME, s.LOOKUP_MAX_FAILURES, s.LOOKUP_FAILURE_WINDOW)"
    )
    result = start_django(
        {**all_secrets, "ENV_FILE": "/nonexistent"},
        drop=("BANK_NAME", "LOOKUP_MAX_FAILURES", "LOOKUP_FAILURE_WINDOW"),
        code=code,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["KB국민은행", "5", "600"]


def test_write_env_file_writes_every_secret_once(tmp_path):
    path = tmp_path / ".env"
    assert write_env_file(path) is True
    text = path.read_text(encoding="utf-8")
    values = dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    for name in SECRETS:
        assert values[name], name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    assert write_env_file(path) is False
    assert path.read_text(encoding="utf-8") == text


def test_write_env_file_leaves_an_existing_file_alone(tmp_path):
    path = tmp_path / ".env"
    path.write_text("SECRET_KEY=mine\n", encoding="utf-8")
    assert write_env_file(path) is False
    assert path.read_text(encoding="utf-8") == "SECRET_KEY=mine\n"


def test_generated_secrets_differ_each_time():
    first, second = generate_secrets(), generate_secrets()
    for name in SECRETS:
        assert first[name] != second[name]


def test_generated_env_file_lets_production_start(tmp_path):
    path = tmp_path / ".env"
    write_env_file(path)
    # DEBUG=False from the environment wins over the file's DEBUG=True; the secrets come from it.
    result = start_django({"ENV_FILE": str(path), "DEBUG": "False"})
    assert result.returncode == 0, result.stderr


def test_generated_field_key_is_usable(settings):
    from accounts import crypto

    settings.FIELD_ENCRYPTION_KEYS = generate_secrets()["FIELD_ENCRYPTION_KEYS"]
    token = crypto.encrypt("9001011234568", purpose="test")
    assert crypto.decrypt(token, purpose="test") == "9001011234568"


def test_envfile_command_line(tmp_path):
    path = tmp_path / "cli.env"
    run = [sys.executable, "-m", "certcenter.envfile", str(path)]
    first = subprocess.run(run, cwd=BASE_DIR, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0
    assert "Wrote" in first.stdout
    written = path.read_text(encoding="utf-8")
    second = subprocess.run(run, cwd=BASE_DIR, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0
    assert "left as it is" in second.stdout
    assert path.read_text(encoding="utf-8") == written


def test_check_deploy_reports_only_what_a_tls_proxy_covers():
    """Under production settings (DEBUG off) only HSTS and the HTTPS redirect remain: the proxy.

    Our own deploy checks (certcenter.W001 the handset, W002 staff OTP) stay quiet by default.
    """
    # The browser test sets DJANGO_ALLOW_ASYNC_UNSAFE in this process (async.E001); a deployment doesn't.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | {"DEBUG": "False"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True,
    )
    reported = set(re.findall(r"\((\w+\.[WE]\d+)\)", result.stdout + result.stderr))
    assert reported == {"security.W004", "security.W008"}, result.stdout + result.stderr


def test_error_reports_hide_the_pin_pepper():
    from django.views.debug import get_default_exception_reporter_filter

    safe = get_default_exception_reporter_filter().get_safe_settings()
    for name in ("PIN_PEPPER", "FIELD_ENCRYPTION_KEYS", "RRN_LOOKUP_KEY", "CA_KEY_PASSPHRASE",
                 "SECRET_KEY"):
        assert set(str(safe[name])) == {"*"}, name


def test_a_maximum_age_below_the_idle_timeout_stops_start_up():
    secrets = {**generate_secrets(), "ENV_FILE": "/nonexistent"}
    refused = start_django({**secrets, "FLOW_IDLE_TIMEOUT": "600", "FLOW_MAX_AGE": "599"})
    assert refused.returncode != 0
    assert "FLOW_MAX_AGE must be at least FLOW_IDLE_TIMEOUT" in refused.stderr
    started = start_django({**secrets, "FLOW_IDLE_TIMEOUT": "600", "FLOW_MAX_AGE": "600"})
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize(("threshold", "expected"), [(None, "True 5"), ("2", "True 2"),
                                                      ("", "True None")])
def test_postgresql_prepares_statements_unless_told_not_to(all_secrets, threshold, expected):
    """DATABASE_PREPARE_THRESHOLD (default 5): empty turns psycopg's prepared statements off, as a
    transaction-mode pooler needs; server-side binding stays on. SQLite is left as it is."""
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "o = s.DATABASES['default']['OPTIONS']; "
            "print(o['server_side_binding'], o['prepare_threshold'])")
    env = {**all_secrets, "ENV_FILE": "/nonexistent",
           "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused"}
    if threshold is not None:
        env["DATABASE_PREPARE_THRESHOLD"] = threshold
    result = start_django(env, drop=("DATABASE_PREPARE_THRESHOLD",), code=code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
    sqlite = start_django({**all_secrets, "ENV_FILE": "/nonexistent",
                           "DATABASE_URL": "sqlite:////tmp/unused.sqlite3"},
                          code=code.replace("o['server_side_binding'], o['prepare_threshold']",
                                            "'server_side_binding' in o"))
    assert sqlite.stdout.strip() == "False", sqlite.stderr
