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
    ("ocsp", ("4",), {"raw_per_s", "view_per_s", "nonce_per_s"}),
    ("crl", ("50", "1"), {"raw_s", "publish_s"}),
    ("clock", ("700", "4"), {"moved_us", "real_us", "page_moved_ms", "page_off_ms"}),
])
def test_bench_workers_run_through_the_real_views(bench, tmp_path, worker, args, keys):
    env = bench.worker_env(tmp_path, f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    data = bench.run_worker(worker, env, *args)
    assert keys <= set(data)
