"""``make load``: the production-like server under a Locust load test, then the database checked.

    python scripts/load.py                          # defaults: 300 flows, 30 customers at once
    python scripts/load.py --flows 600 --users 60 --run-time 300
    LOAD_DATABASE=load_db python scripts/load.py    # the PostgreSQL database to (re)create

It creates a fresh PostgreSQL database (``LOAD_DATABASE``, default ``certcenter_load``, on
``BENCH_POSTGRES_URL``'s server) and a throw-away CA, creates the customers in bulk, starts gunicorn
exactly as ``make serve`` does (``DEBUG=False``, 2 workers, whitenoise) with the simulated handset
on, on loopback (``--port``, default 8105), and runs ``scripts/locustfile.py`` headless: ``--users``
browsers at once (started over ``--ramp-up`` seconds, default 10: see ``spawn_rate``), each walking
customers through the whole wizard, codes read through the handset's JSON API, until ``--flows``
flows are done or ``--run-time`` seconds have passed. Then:

- Locust's table: requests, failures and p50 / p95 / p99 per step; flows per second;
- the database: completed flows = new active certificates, no serial twice;
- server CPU per completed flow (the gunicorn workers' utime+stime from /proc, before and after)
  against the floor measured in the same run: RSA key generation + scrypt seal + sign (CPU time,
  in a process of its own) + the flow's request count × a bare Django template page's server CPU
  (``/bench/bare/``, served by the same workers, see bench_urls.py);
- the issuance POST's p99.

Each figure is one line ``<name>: <value> (bound <bound>) PASS|FAIL``; the exit status is non-zero
if any fails. ``Server`` is shared with ``bench.py pages``.
"""

import argparse
import csv
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import (
    PIN,
    POSTGRES_URL,
    Results,
    drop_postgres_database,
    emit,
    postgres_database,
    run_worker,
)

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
SCRIPT = Path(__file__)  # run_worker(..., script=SCRIPT) runs this file's workers (below)
PYTHON = sys.executable
BIN = Path(PYTHON).parent
BARE_URL = "/bench/bare/"


def customer(index: int) -> dict:
    """The load test's customer number ``index``: created by ``worker_seed``, walked by the
    locustfile."""
    return {
        "user_id": f"load{index:05d}",
        "name": "홍길동",
        "rrn_front": "900101",
        "rrn_back": f"1{index:06d}",
        "birth_date": "19900101",
        "phone": f"010-{7000 + index // 10000}-{index % 10000:04d}",
    }


# -- The server -------------------------------------------------------------------------------

def server_env(workdir: Path, database_url: str) -> dict:
    """``make serve``'s environment, on a throw-away database and CA, the handset switched on."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench_settings",
        PYTHONPATH=f"{SCRIPTS}{os.pathsep}{ROOT}",
        DATABASE_URL=database_url,
        CA_DIR=str(workdir / "ca"),
        DEBUG="False",
        SESSION_COOKIE_SECURE="False",
        CSRF_COOKIE_SECURE="False",
        SIMULATED_PHONE_ENABLED="True",
        SMS_BACKEND="verification.backends.simulated.SimulatedBackend",
        ARS_BACKEND="verification.backends.simulated.SimulatedBackend",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def prepare(workdir: Path, database: str) -> dict:
    """A fresh database with the CA, its first CRL and collected static files; the env to use."""
    env = server_env(workdir, postgres_database(database))
    manage(env, "migrate", "--noinput")
    manage(env, "init_ca")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    return env


class Server:
    """gunicorn as ``make serve`` runs it (2 sync workers), on loopback."""

    def __init__(self, env: dict, port: int, workdir: Path, workers: int = 2, threads: int = 1):
        self.port = port
        self.database = env["DATABASE_URL"].rsplit("/", 1)[1]
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "certcenter.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--threads", str(threads),
             "--access-logfile", str(workdir / "access.log"),
             "--error-logfile", str(workdir / "gunicorn.log")],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.get(BARE_URL)[0] == 200 and len(self.worker_pids()) == workers:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise SystemExit(f"gunicorn did not start; see {workdir / 'gunicorn.log'}")
        for _ in range(20):  # warm both workers: imports, template loaders, connections
            self.get(BARE_URL)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def cpu_seconds(self) -> float:
        """utime + stime of the workers so far (a worker that was replaced would be missed: the
        load test fails if the pids changed)."""
        return sum(self.cpu_by_pid(self.worker_pids()).values())

    @staticmethod
    def cpu_by_pid(pids) -> dict[int, float]:
        tick = os.sysconf("SC_CLK_TCK")
        cpu = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:  # a database backend that just ended
                continue
            cpu[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (14, 15)
        return cpu

    def database_backends(self) -> list[int]:
        """The PostgreSQL server processes serving this server's database (same machine)."""
        import psycopg

        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                [self.database]).fetchall()
        return [pid for (pid,) in rows]

    def server_cpu(self) -> dict[int, float]:
        """CPU so far of the workers and of their database backends, per process."""
        return self.cpu_by_pid([*self.worker_pids(), *self.database_backends()])

    @staticmethod
    def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
        # A backend that appeared in between counts from its start (its connection set-up too).
        return sum(value - before.get(pid, 0.0) for pid, value in after.items())

    def get(self, url: str, cookie: str = "") -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", url, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def hammer(self, url: str, count: int, *, cookie: str = "", concurrency: int = 4) -> float:
        """GET ``url`` ``count`` times from ``concurrency`` threads; the wall seconds it took."""
        errors = []

        def run(n):
            for _ in range(n):
                status, _body = self.get(url, cookie)
                if status != 200:
                    errors.append(status)

        threads = [threading.Thread(target=run, args=(count // concurrency,))
                   for _ in range(concurrency)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise SystemExit(f"GET {url}: {len(errors)} answers not 200, e.g. {errors[0]}")
        return elapsed

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


# -- The load test ------------------------------------------------------------------------------

def bare_cpu_ms(server: Server, count: int = 600) -> float:
    """Server CPU of one bare Django template page, in milliseconds."""
    before = server.cpu_seconds()
    server.hammer(BARE_URL, count, concurrency=2)
    return (server.cpu_seconds() - before) / count * 1000


def pages_over_bare(server: Server, pages: dict, *, rounds: int = 6, chunk: int = 60) -> dict:
    """Each page's rate over the bare page's, rate meaning requests per second of server CPU:
    the gunicorn workers' and their PostgreSQL backends' (utime + stime from /proc), so that the
    machine's other tenants change neither side. The two are measured in alternating chunks (GETs
    4 at once on the 2 workers), so drift favours neither."""
    ratios = {}
    for name, (url, cookie) in pages.items():
        status, _body = server.get(url, cookie)
        if status != 200:
            raise SystemExit(f"page {name} ({url}) answers {status}, not 200")
        spent = {"page": 0.0, "bare": 0.0, "page_db": 0.0}
        for turn in range(rounds):
            order = ("page", "bare") if turn % 2 else ("bare", "page")
            for side in order:
                before = server.server_cpu()
                if side == "page":
                    server.hammer(url, chunk, cookie=cookie)
                else:
                    server.hammer(BARE_URL, chunk)
                after = server.server_cpu()
                spent[side] += server.cpu_spent(before, after)
                if side == "page":
                    workers = set(server.worker_pids())
                    spent["page_db"] += server.cpu_spent(
                        {k: v for k, v in before.items() if k not in workers},
                        {k: v for k, v in after.items() if k not in workers})
        ratios[name] = {"ratio": spent["bare"] / spent["page"],
                        "page_ms": spent["page"] / (rounds * chunk) * 1000,
                        "page_db_ms": spent["page_db"] / (rounds * chunk) * 1000,
                        "bare_ms": spent["bare"] / (rounds * chunk) * 1000}
    return ratios


def profile_start(server: Server, workdir: Path) -> list[subprocess.Popen]:
    """py-spy on each worker for the length of the run, sampling only while a thread holds the
    GIL: CPU spent in Python and in the C/Rust it calls, not time spent waiting."""
    return [
        subprocess.Popen([str(BIN / "py-spy"), "record", "--pid", str(pid), "--format", "raw",
                          "--gil", "--rate", "200", "--output", str(workdir / f"profile-{pid}.txt")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for pid in server.worker_pids()
    ]


# Where a sample's time goes: the first rule any frame of its stack matches (so the RSA key
# generation inside issuance counts as key generation, a query inside a template as the database).
PROFILE_AREAS = (
    ("RSA key generation", ("generate_private_key (certificates/pki/keys.py",)),
    ("scrypt seal", ("seal_private_key (certificates/pki/keyseal.py",)),
    ("pre-issuance lint (pkilint)", ("certificate_lint (certificates/pki/lint.py",)),
    ("CA signature", ("sign (certificates/pki/profile.py",)),
    ("database (ORM + psycopg)", ("django/db/", "psycopg/")),
    ("template rendering", ("django/template/",)),
    ("field encryption (AES-GCM)", ("accounts/crypto.py",)),
)


def profile_report(samplers: list[subprocess.Popen], workdir: Path, top: int = 30) -> None:
    """Stop the samplers; print the workers' CPU by area and by view (inclusive shares)."""
    import re
    import signal
    from collections import Counter

    for sampler in samplers:
        sampler.send_signal(signal.SIGINT)
    for sampler in samplers:
        sampler.wait(timeout=60)
    areas, views, outside, total = Counter(), Counter(), Counter(), 0
    view_frame = re.compile(r"^(\w+View\.(?:get|post)|[a-z_]+_view|overview|certificate_download) "
                            r"\((?:certificates|verification|certcenter|accounts)/")
    for path in workdir.glob("profile-*.txt"):
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            count = int(count)
            total += count
            area = next((name for name, needles in PROFILE_AREAS
                         if any(needle in stack for needle in needles)), "other request handling")
            areas[area] += count
            frames = stack.split(";")
            view = next((frame.split(":")[0] for frame in frames if view_frame.match(frame)),
                        "(no view: middleware, handset API, …)")
            views[view] += count
            if view.startswith("(no view"):
                # What the request costs around the views: the frames below the WSGI handler.
                names = {frame.split(" (")[0] + " (" + frame.split(" (")[1].split(":")[0]
                         for frame in frames if " (" in frame and "gunicorn/" not in frame}
                outside.update(dict.fromkeys(names, count))
    print(f"# profile: {total} samples of the workers holding the GIL (py-spy --gil, 200/s)")
    for name, count in areas.most_common():
        print(f"#   {count / max(1, total):6.1%}  {name}")
    print("# profile by view (inclusive):")
    for name, count in views.most_common(top):
        print(f"#   {count / max(1, total):6.1%}  {name}")
    print("# outside the views (inclusive, of all samples):")
    for name, count in outside.most_common(top):
        print(f"#   {count / max(1, total):6.1%}  {name})")


def spawn_rate(users: int, ramp_up: float) -> float:
    """Locust's users started a second, so that all ``users`` have started after ``ramp_up`` s.

    Customers who all start at the same instant never spread out: with no think time and the
    server's one queue (first come, first served), each goes round once per turn of the queue,
    so all of them stay at the same step and reach the issuance POST together, every flow. That
    turn then holds ``users`` issuances (~100 ms each) for 2 workers: its latency is the batch's,
    not a customer's. Measured here at 30 users in back-to-back runs (the machine shared): the
    issuance POST's p99 2.5 s and 5.0 s started at once, 1.2 s and 0.95 s started over 10 s;
    the access log showed the same page asked up to 68 times in a row, against 8 with the ramp.
    """
    return users / ramp_up if ramp_up > 0 else users


def run_locust(server: Server, workdir: Path, *, flows: int, users: int, run_time: int,
               ramp_up: float) -> dict:
    env = dict(os.environ, LOAD_FLOWS=str(flows), PIN=PIN)
    csv_prefix = workdir / "locust"
    started = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "locust"), "-f", str(SCRIPTS / "locustfile.py"), "--headless",
         "--users", str(users), "--spawn-rate", f"{spawn_rate(users, ramp_up):g}", "--host",
         f"http://127.0.0.1:{server.port}", "--run-time", f"{run_time}s", "--stop-timeout", "30",
         "--only-summary", "--csv", str(csv_prefix), "--loglevel", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - started
    sys.stdout.write(result.stderr + result.stdout)  # Locust's own table: per step, percentiles
    outcome = next((line for line in result.stdout.splitlines() if line.startswith("LOAD_OUTCOME")),
                   "LOAD_OUTCOME completed=0 failed=0")
    counts = dict(part.split("=") for part in outcome.split()[1:])
    with open(f"{csv_prefix}_stats.csv", newline="") as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    return {"completed": int(counts["completed"]), "failed": int(counts["failed"]),
            "elapsed": elapsed, "rows": rows}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=300, help="flows to complete (customers)")
    parser.add_argument("--users", type=int, default=30, help="customers at once")
    parser.add_argument("--run-time", type=int, default=240, help="seconds at most")
    parser.add_argument("--ramp-up", type=float, default=10.0,
                        help="seconds over which the customers start (0: all at once); see "
                             "spawn_rate")
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOAD_PORT", "8105")))
    parser.add_argument("--database", default=os.environ.get("LOAD_DATABASE", "certcenter_load"))
    parser.add_argument("--threads", type=int, default=1,
                        help="gunicorn threads per worker (1: make serve's sync workers)")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="sample the workers with py-spy during the run and print a summary")
    options = parser.parse_args(argv)
    if not 1 <= options.users <= 200 or not 1 <= options.flows <= 20_000:
        raise SystemExit("--users at most 200 and --flows at most 20,000: this is a loopback test")
    results = Results()
    with tempfile.TemporaryDirectory(prefix="certcenter-load-") as tmp:
        workdir = Path(tmp)
        print(f"load: preparing database {options.database} and {options.flows} customers",
              flush=True)
        env = prepare(workdir, options.database)
        run_worker("seed", env, str(options.flows), script=SCRIPT)
        server = Server(env, options.port, workdir, threads=options.threads)
        try:
            pids = server.worker_pids()
            bare_before = bare_cpu_ms(server)
            samplers = profile_start(server, workdir) if options.profile else []
            cpu_before = server.cpu_seconds()
            run = run_locust(server, workdir, flows=options.flows, users=options.users,
                             run_time=options.run_time, ramp_up=options.ramp_up)
            cpu_flows = server.cpu_seconds() - cpu_before
            if samplers:
                profile_report(samplers, workdir)
            bare_after = bare_cpu_ms(server)
            if server.worker_pids() != pids:
                raise SystemExit("a gunicorn worker was replaced during the run: CPU not counted")
        finally:
            server.stop()
        check = run_worker("verify", env, script=SCRIPT)
        floor = run_worker("floor", env, script=SCRIPT)
        if not options.keep_database:
            drop_postgres_database(options.database)

    rows = run["rows"]
    total = rows.get("Aggregated", {})
    requests = int(total.get("Request Count", 0))
    failures = int(total.get("Failure Count", 0))
    completed = run["completed"]
    bare_ms = (bare_before + bare_after) / 2
    requests_per_flow = requests / max(1, completed + run["failed"])
    floor_ms = floor["crypto_ms"] + requests_per_flow * bare_ms
    flow_ms = cpu_flows / max(1, completed) * 1000
    issue = rows.get("pin: POST (issue)", {})
    print(f"# load: {completed} flows completed, {run['failed']} failed, {options.users} at once, "
          f"{run['elapsed']:.1f} s; {requests} requests ({requests_per_flow:.1f} a flow)")
    print(f"# server CPU a flow {flow_ms:.1f} ms; floor {floor_ms:.1f} ms = crypto "
          f"{floor['crypto_ms']:.1f} (RSA keygen {floor['keygen_ms']:.1f} + scrypt seal "
          f"{floor['seal_ms']:.1f} + sign {floor['sign_ms']:.1f}) + {requests_per_flow:.1f} × "
          f"bare page {bare_ms:.2f} (before {bare_before:.2f}, after {bare_after:.2f})")
    results.line("load_flows_per_s", completed / run["elapsed"], 1.0, at_most=False)
    results.line("load_flows_completed", completed, options.flows, at_most=False, fmt="{:.0f}")
    results.line("load_errors", failures + run["failed"], 0, fmt="{:.0f}")
    results.line("load_new_active_certificates_minus_flows", abs(check["active"] - completed), 0,
                 fmt="{:.0f}")
    results.line("load_repeated_serials", check["repeated_serials"], 0, fmt="{:.0f}")
    results.line("load_flow_cpu_over_floor", flow_ms / floor_ms, 1.5)
    results.line(f"load_issuance_post_p99_ms_at_{options.users}_users",
                 float(issue.get("99%", "inf") or "inf"), 1000, fmt="{:.0f}")
    return 1 if results.failed else 0


# -- Workers (Django set up on the load test's database) ------------------------------------------

def worker_seed(count: str) -> None:
    """The locustfile's customers, in bulk (the same fields customer_create fills)."""
    from datetime import date

    from django.db import transaction

    from accounts import crypto
    from accounts.models import RRN_PURPOSE, Customer, resident_number_hash
    from accounts.phone import normalize_phone

    people = [customer(i) for i in range(int(count))]
    with transaction.atomic():
        Customer.objects.bulk_create(
            Customer(
                user_id=p["user_id"], name=p["name"],
                resident_number_encrypted=crypto.encrypt(p["rrn_front"] + p["rrn_back"],
                                                         purpose=RRN_PURPOSE),
                resident_number_hash=resident_number_hash(p["rrn_front"] + p["rrn_back"]),
                birth_date=date(1990, 1, 1), phone=normalize_phone(p["phone"]),
                email=f"{p['user_id']}@example.com",
            )
            for p in people
        )
    emit({"customers": len(people)})


def worker_verify() -> None:
    from django.db.models import Count

    from certificates.models import Certificate

    load = Certificate.objects.filter(customer__user_id__startswith="load")
    emit({
        "active": load.filter(status=Certificate.Status.ACTIVE).count(),
        "repeated_serials": Certificate.objects.values("serial").annotate(n=Count("id"))
        .filter(n__gt=1).count(),
    })


def worker_floor(samples: str = "30") -> None:
    """What one issuance cannot avoid, in CPU time (this process alone): RSA key generation,
    scrypt sealing, signing the profile's certificate with the CA key. Means: key generation is
    heavy-tailed, and the load test's CPU per flow is a mean too."""
    from datetime import timedelta

    from django.conf import settings

    from certcenter.clock import now
    from certificates import pki
    from certificates.ca import ca_issuers_url, crl_url, load_issuing_ca, ocsp_url
    from certificates.pki import keyseal

    ca = load_issuing_ca()
    profile = pki.EndEntityProfile(issuer_cert=ca.cert, crl_url=crl_url(),
                                   ca_issuers_url=ca_issuers_url(), ocsp_url=ocsp_url())
    spent = {"keygen": [], "seal": [], "sign": []}
    for _ in range(int(samples)):
        started = time.process_time()
        key = pki.generate_private_key(settings.CERTIFICATE_KEY_TYPE)
        generated = time.process_time()
        keyseal.seal_private_key(private_key=key, pin=PIN, pepper=settings.PIN_PEPPER.encode(),
                                 n=settings.PIN_SCRYPT_N)
        sealed = time.process_time()
        moment = now()
        profile.build(
            issuer_key=ca.key, public_key=key.public_key(),
            subject=pki.end_entity_subject(organization="O", bank_code="004", name="홍길동",
                                           serial_suffix="1"),
            serial=pki.random_serial(), not_before=moment, not_after=moment + timedelta(days=1),
            real_name="홍길동", vid=b"\0" * 32,
        )
        signed = time.process_time()
        spent["keygen"].append(generated - started)
        spent["seal"].append(sealed - generated)
        spent["sign"].append(signed - sealed)
    means = {name: statistics.fmean(values) * 1000 for name, values in spent.items()}
    emit({"keygen_ms": means["keygen"], "seal_ms": means["seal"], "sign_ms": means["sign"],
          "crypto_ms": sum(means.values())})


def worker_sessions() -> None:
    """A browser session at every wizard step and in 인증서 관리, for ``bench.py pages``: each
    page's URL and the cookie that shows it (GETs change nothing, so one session serves them all)."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.urls import reverse

    from accounts.services import customer_create
    from certcenter.clock import now
    from certificates.cloud.session import CLOUD_SESSION_KEY
    from certificates.services import certificate_issue
    from certificates.wizard.flow import FINISHED_KEY, SESSION_KEY, Flow
    from certificates.wizard.guard import step_url, terms_pass_url
    from certificates.wizard.steps import ARS_PURPOSE, REISSUE, SMS_PURPOSE, steps_for
    from verification import services as verification

    people = iter(range(10**6))

    def person(**kwargs):
        i = next(people)
        return customer_create(user_id=f"page{i:04d}", name="홍길동",
                               resident_number=f"900101-1{i:06d}", phone=f"010-8{i:03d}-{i:04d}",
                               email=f"page{i}@example.com", **kwargs)

    def cookie(data: dict) -> str:
        store = SessionStore()
        store.update(data)
        store.create()
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    def at_step(step: str, *, kind: str = "issue", customer=None, **flow_data) -> str:
        customer = customer or person()
        flow = Flow.new()
        flow.set("kind", kind)
        flow.set("customer", customer.pk)
        for name, value in flow_data.items():
            flow.set(name, value)
        for each in steps_for(kind):
            if each.name == step:
                break
            flow.complete(each.name)
        return cookie({SESSION_KEY: flow.data})

    pages = {"terms": (step_url("terms"), ""),
             "identify": (terms_pass_url(marketing_consent=False), "")}
    holder = person()
    certificate = certificate_issue(customer=holder, pin=PIN, flow_id="bench-pages")
    pages["reissue"] = (step_url("reissue"), at_step("reissue", kind=REISSUE, customer=holder))
    pages["ars"] = (step_url("ars"), at_step("ars"))
    called = person()
    call = verification.ars_call_start(phone=called.phone, purpose=ARS_PURPOSE, customer=called)
    pages["ars_calling"] = (step_url("ars"), at_step("ars", customer=called, ars=str(call.pk)))
    pages["extra"] = (step_url("extra"), at_step("extra"))
    pages["sms"] = (step_url("sms"), at_step("sms"))
    texted = person()
    sms = verification.sms_send(phone=texted.phone, purpose=SMS_PURPOSE, customer=texted)
    pages["sms_sent"] = (step_url("sms"), at_step("sms", customer=texted, sms=str(sms.pk)))
    pages["pin"] = (step_url("pin"), at_step("pin"))
    pages["done"] = (step_url("done"), cookie({FINISHED_KEY: {
        "certificate": certificate.pk, "at": now().timestamp(), "reason": ""}}))
    connected = cookie({CLOUD_SESSION_KEY: {"customer": holder.pk, "at": now().timestamp(),
                                            "device": None}})
    for name, url_name in (("manage", "manage"), ("manage_pin", "manage_pin"),
                           ("manage_revoke", "manage_revoke"),
                           ("manage_suspend", "manage_suspend"),
                           ("cloud_devices", "cloud_devices")):
        pages[name] = (reverse(f"certificates:{url_name}"), connected)
    emit(pages)


WORKERS = {"seed": worker_seed, "verify": worker_verify, "floor": worker_floor,
           "sessions": worker_sessions}

if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        import django

        sys.path.insert(0, str(ROOT))
        django.setup()
        WORKERS[sys.argv[2]](*sys.argv[3:])
    else:
        raise SystemExit(main(sys.argv[1:]))
