"""Settings for CertCenter, all read from the environment (and an optional local ``.env``).

With DEBUG off every secret must be set explicitly: a missing one stops start-up with a message that
names it. ``make run`` writes a development ``.env`` with fresh secrets (``python -m certcenter.envfile``).
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
ENV_FILE = Path(os.environ.get("ENV_FILE", BASE_DIR / ".env"))
if ENV_FILE.is_file():
    env.read_env(str(ENV_FILE))

DEBUG = env.bool("DEBUG", default=False)


def _required_secret(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Set it in the environment or in {ENV_FILE} "
            "(`python -m certcenter.envfile` writes a development .env with fresh secrets)."
        )
    return value


SECRET_KEY = _required_secret("SECRET_KEY")
FIELD_ENCRYPTION_KEYS = _required_secret("FIELD_ENCRYPTION_KEYS")
RRN_LOOKUP_KEY = _required_secret("RRN_LOOKUP_KEY")
CA_KEY_PASSPHRASE = _required_secret("CA_KEY_PASSPHRASE")
PIN_PEPPER = _required_secret("PIN_PEPPER")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "certcenter.apps.StaffAdminConfig",  # django.contrib.admin with the staff sign-in site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "certcenter.apps.CertCenterConfig",
    "accounts",
    "verification",
    "certificates",
    "simulator",  # last: the controls depend on every other app, none on it
]

MIDDLEWARE = [
    "certcenter.health.ProbeMiddleware",  # first: /healthz and /readyz answer any Host, over HTTP
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: it turns a lockout into the page
]

ROOT_URLCONF = "certcenter.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "certcenter.context_processors.site",
            ],
        },
    },
]

# Django's, with plain <input> widgets written in Python (same bytes; certcenter/forms_renderer.py).
FORM_RENDERER = "certcenter.forms_renderer.FormRenderer"

WSGI_APPLICATION = "certcenter.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once, and let readers run beside it (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameter binding, and psycopg's prepared statements for a statement a connection
    # runs a fifth time: the wizard's hot statements are then parsed and planned once per
    # connection instead of once per request. (Behind a transaction-mode PgBouncer, set
    # DATABASE_PREPARE_THRESHOLD to an empty value: it cannot keep prepared statements.)
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("server_side_binding", True)
    threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="5")
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold",
                                               int(threshold) if threshold else None)
if not DATABASES["default"].get("CONN_MAX_AGE"):
    # Keep connections open: a new one per request costs ~4.5 ms on PostgreSQL here, and
    # on SQLite (the file opened and WAL set again: ~0.6 ms), more than a whole OCSP answer.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://certcenter"),
    # {% cache %} fragments: what every visitor sees alike (the header, the step list, the terms),
    # varying only on the values each tag names. Kept in each process's memory: no round trip,
    # nothing to share, and bounded (MAX_ENTRIES) however many values a fragment varies on.
    "template_fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "certcenter-template-fragments",
        "TIMEOUT": None,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}

SESSION_ENGINE = "certcenter.sessions"  # database sessions; see certcenter/sessions.py
# Bank sessions are short and end with the browser; `manage.py clearsessions` (cron) removes them.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
DEFAULT_EXCEPTION_REPORTER_FILTER = "certcenter.reporting.SecretsFilter"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# TLS is terminated by the proxy in front of gunicorn; it sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies in front append to X-Forwarded-For (0: none, use the socket's peer).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
# No inline script or style anywhere (tests/test_templates.py scans for them): everything is a
# static file. `data:` images for the blank favicon; forms post only here; no site may frame us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features this site never uses are switched off for it and anything it embeds.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "bluetooth", "browsing-topics", "camera", "display-capture",
        "encrypted-media", "fullscreen", "geolocation", "gyroscope", "hid", "magnetometer",
        "microphone", "midi", "payment", "publickey-credentials-get", "screen-wake-lock", "serial",
        "usb", "xr-spatial-tracking",
    )
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in before any password check
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어")]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# LOG_FORMAT=json: one JSON object a line (certcenter/logs.py); text otherwise. Event lines
# (logger certcenter.events) carry ids, serials and outcomes, never personal data (README "Logs").
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be 'text' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"()": "certcenter.logs.TextFormatter",
                 "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "certcenter.logs.JSONFormatter", "timestamp": True,
                 "format": "%(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes.apps: its start-up banner would open every management command's output.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes.apps": {"level": "WARNING"}},
}

# --- CertCenter ------------------------------------------------------------------------------
BANK_NAME = env.str("BANK_NAME", default="KB국민은행")
BANK_CODE = env.str("BANK_CODE", default="004")
BANK_CALL_CENTER = env.str("BANK_CALL_CENTER", default="1588-9999")  # named in fraud notices
CERTIFICATE_ORGANIZATION = env.str("CERTIFICATE_ORGANIZATION", default="CertCenter Sim")
# Where the app is reachable from outside; used in certificates' CRL and AIA URLs.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# accounts: customer lookup throttle (failures per window, per client IP and per user ID).
LOOKUP_MAX_FAILURES = env.int("LOOKUP_MAX_FAILURES", default=5)
LOOKUP_FAILURE_WINDOW = env.int("LOOKUP_FAILURE_WINDOW", default=600)

# verification
SMS_BACKEND = env.str("SMS_BACKEND", default="verification.backends.simulated.SimulatedBackend")
ARS_BACKEND = env.str("ARS_BACKEND", default="verification.backends.simulated.SimulatedBackend")
SIMULATED_PHONE_ENABLED = env.bool("SIMULATED_PHONE_ENABLED", default=DEBUG)
# The 시뮬레이터 제어 admin page (a movable clock, channel faults, training scenarios): with it off
# the clock is real time and every control URL is a 404 (DESIGN §10).
SIMULATOR_CONTROLS_ENABLED = env.bool("SIMULATOR_CONTROLS_ENABLED", default=DEBUG)
# The handset's JSON API (/phone/api/…) asks for "Authorization: Bearer <token>" when this is set.
SIMULATED_PHONE_TOKEN = env.str("SIMULATED_PHONE_TOKEN", default="")
# A "본인이 요청하지 않음" report blocks issuance and reissue for the customer this many hours.
FRAUD_BLOCK_HOURS = env.int("FRAUD_BLOCK_HOURS", default=24)
SMS_CODE_TTL = env.int("SMS_CODE_TTL", default=180)
SMS_MAX_ATTEMPTS = env.int("SMS_MAX_ATTEMPTS", default=5)
SMS_RESEND_COOLDOWN = env.int("SMS_RESEND_COOLDOWN", default=60)
SMS_MAX_SENDS = env.int("SMS_MAX_SENDS", default=5)
SMS_SEND_WINDOW = env.int("SMS_SEND_WINDOW", default=600)
ARS_CALL_TTL = env.int("ARS_CALL_TTL", default=180)
ARS_MAX_ATTEMPTS = env.int("ARS_MAX_ATTEMPTS", default=3)
ARS_RECALL_COOLDOWN = env.int("ARS_RECALL_COOLDOWN", default=30)
ARS_MAX_CALLS = env.int("ARS_MAX_CALLS", default=5)  # per SMS_SEND_WINDOW

# certificates
CERTIFICATE_VALIDITY_DAYS = env.int("CERTIFICATE_VALIDITY_DAYS", default=365)
CERTIFICATE_KEY_TYPE = env.str("CERTIFICATE_KEY_TYPE", default="rsa-2048")
CERTIFICATE_POLICY_OID = env.str("CERTIFICATE_POLICY_OID", default="1.2.410.200005.1.1.1.10")
# Lint each certificate (pkilint + the profile's checks) before the CA key signs it; off only to measure.
CERTIFICATE_LINT_BEFORE_SIGNING = env.bool("CERTIFICATE_LINT_BEFORE_SIGNING", default=True)
RENEWAL_WINDOW_DAYS = env.int("RENEWAL_WINDOW_DAYS", default=30)
REVOKE_BATCH_LIMIT = env.int("REVOKE_BATCH_LIMIT", default=500)  # certificates per admin revocation
CA_DIR = Path(env.str("CA_DIR", default=str(BASE_DIR / "var" / "ca")))
PIN_MAX_FAILURES = env.int("PIN_MAX_FAILURES", default=5)
PIN_SCRYPT_N = env.int("PIN_SCRYPT_N", default=2**14)
FLOW_IDLE_TIMEOUT = env.int("FLOW_IDLE_TIMEOUT", default=600)

# Staff sign-in to admin (README "Staff login"): django-axes locks a user name, and separately a client
# IP, after AXES_FAILURE_LIMIT failures; counters live in the database, so every app server agrees.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "certcenter.http.client_ip"
AXES_LOCKOUT_CALLABLE = "certcenter.staff.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]  # masked in stored form data
# A TOTP code besides the password (django-otp); off with DEBUG so `make run` lets a new user straight in.
STAFF_OTP_REQUIRED = env.bool("STAFF_OTP_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = "CertCenter"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the secret is shown once, by `staff_enrol_totp`, never in admin

# Limits that add up (DESIGN §3): wrong codes per customer per day (Asia/Seoul) across all SMS and
# ARS challenges, 0 for none; and a wizard flow's whole life, however busy it is kept.
VERIFICATION_DAILY_MAX_FAILURES = env.int("VERIFICATION_DAILY_MAX_FAILURES", default=10)
FLOW_MAX_AGE = env.int("FLOW_MAX_AGE", default=30 * 60)
if FLOW_MAX_AGE < FLOW_IDLE_TIMEOUT:
    raise ImproperlyConfigured("FLOW_MAX_AGE must be at least FLOW_IDLE_TIMEOUT (seconds).")

# 클라우드 연결: a browser registered for 자동 연결 connects without an SMS code for this many days
# from registration (then the customer proves who they are again); revocable any time (이용 기기).
CLOUD_AUTO_CONNECT_DAYS = env.int("CLOUD_AUTO_CONNECT_DAYS", default=365)
