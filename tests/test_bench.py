"""The benchmarks drive the real views: a smoke run of their workers keeps them working after a
refactor (their figures are `make bench`'s business, not a test's)."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("worker", "args", "keys"), [
    ("issuance", ("2",), {"floor_ms", "server_ms", "lint_ms", "nolint_ms"}),
    ("identify", ("2",), {"open_ms", "throttled_ms"}),
    ("signing", ("2",), {"floor_ms", "server_ms"}),
    ("ocsp", ("4",), {"raw_per_s", "view_per_s", "nonce_per_s", "nonce_over_raw_paired"}),
    ("crl", ("50", "1"), {"raw_s", "publish_s"}),
    ("clock", ("700", "4"), {"moved_us", "real_us", "page_moved_ms", "page_off_ms"}),
])
def test_bench_workers_run_through_the_real_views(bench, tmp_path, worker, args, keys):
    env = bench.worker_env(tmp_path, f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    data = bench.run_worker(worker, env, *args)
    assert keys <= set(data)


def test_overview_and_export_workers_run_on_postgresql(bench, tmp_path):
    """The overview section seeds with PostgreSQL's generate_series: a small run of its workers
    (skipped where no PostgreSQL answers)."""
    import os

    name = f"certcenter_bench_smoke_overview_{os.getpid()}"
    try:
        url = bench.postgres_database(name)
    except Exception as exc:  # psycopg.OperationalError, or psycopg missing
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        env = bench.worker_env(tmp_path, url)
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        assert bench.run_worker("overview-seed", env, "200") == {"certificates": 200}
        index = bench.run_worker("overview-index", env, "1")
        assert index["certificates"] == 200 and index["median_ms"] > 0
        export = bench.run_worker("export", env)
        assert export["rows"] == 200 and export["peak_rss_mb"] > 0
    finally:
        bench.drop_postgres_database(name)
