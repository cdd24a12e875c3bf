"""Load benchmark of the scoring service (``shopguard-server``) with a realistic database.

Run (from the repository root)::

    python tests/benchmarks/bench_server_load.py [--orders 1000000] [--shops 1000]
        [--duration 30] [--clients 6] [--skip-postgres] [--skip-sqlite]
        [--cache-dir DIR] [--reseed]

1. Seeds a database with ``--orders`` stored orders across ``--shops`` shops (see
   ``server_world.py``: customers ordering at several shops, fraud rings, outcomes for most
   old orders), written straight into the service's tables, identifiers peppered as the
   service stores them. The SQLite file is cached under ``--cache-dir`` (default
   ``~/.cache/shopguard-bench``), keyed by the parameters, the seeding's version and the
   migrations, so a rerun starts in seconds; the first seeding of 1,000,000 orders takes
   2-3 minutes on two cores (1.3 GB). Each run works on a copy of it.
2. Starts ``shopguard-server serve`` as a real process: SQLite with one worker; then a
   throwaway PostgreSQL cluster (Debian's binaries, as the tests use; fsync and full-page
   writes on, ``synchronous_commit=off`` like SQLite's ``synchronous=NORMAL``, 4 GB of
   buffers), filled from the SQLite file with COPY (under a minute), vacuumed and its
   buffers warmed, served by two workers. The rate limit is raised out of the way.
3. Separate load processes send signed ``POST /v1/orders/score`` batches of 100 new orders
   (60% from returning customers, 40% new identifiers) over loopback, each process for its
   own share of the shops (a shop sends one batch at a time): one sequential client on a
   keep-alive connection for latency, then ``--clients`` concurrent clients for
   throughput, each batch on a new connection (another shop's app), each for
   ``--duration`` seconds after a warm-up.

4. With SQLite, what the parts of a batch cost on this machine (``server_floor.py``): a
   signed request that does nothing, a batch of one order, the SQL of a batch of 100
   replayed without the service, and a fixed pure-Python workload.

Prints a table with the figures beside the targets, then the parts' table; asserts
nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import multiprocessing
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(ROOT))

from shopguard.scoring.signing import signed_headers  # noqa: E402
from shopguard.server import migrations  # noqa: E402
from shopguard.server.migrate import head_revision, upgrade_database  # noqa: E402
from tests.benchmarks.server_floor import (  # noqa: E402
    Floor,
    print_floors,
    python_reference,
    request_floors,
    sql_floor,
)
from tests.benchmarks.server_world import (  # noqa: E402
    PEPPER_HEX,
    BatchMaker,
    World,
    copy_to_postgres,
    seed_sqlite,
    settle_postgres,
    utc_now,
)
from tests.server.pg import PORT, PostgresCluster, unavailable_reason  # noqa: E402

BATCH = 100
TARGET_P50_MS = 25.0
TARGET_P99_MS = 100.0
TARGET_RATE = 2000.0
PATH = "/v1/orders/score"


# Databases --------------------------------------------------------------------------------


def schema_key() -> str:
    """The schema revision and a hash of the migrations (a changed migration reseeds)."""
    folder = Path(migrations.__file__).parent / "versions"
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.read_bytes())
    return f"rev{head_revision()}-{digest.hexdigest()[:8]}"


def seeded_sqlite(world: World, cache_dir: Path, reseed: bool) -> tuple[Path, str]:
    """The cached seeded SQLite file (made if missing); and how long seeding took."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"server-{world.key()}-{schema_key()}.sqlite3"
    if path.exists() and not reseed:
        return path, "cached"
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    url = f"sqlite:///{partial}"
    upgrade_database(url)
    print(f"Seeding {world.orders:,} orders across {world.shops:,} shops into {path} ...")
    timings = seed_sqlite(partial, world, utc_now())
    timings["place statistics"] = _refresh_statistics(url)
    _self_contained(partial)
    total = time.perf_counter() - started
    os.replace(partial, path)
    phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
    note = f"seeded in {total:.0f} s ({phases})"
    print(note)
    return path, note


def _refresh_statistics(url: str) -> float:
    """Build the towns' statistics as the server does at start-up; seconds taken."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from shopguard.server.services import maintenance

    started = time.perf_counter()
    engine = create_engine(url)  # a plain engine: nothing of it outlives dispose()
    try:
        with Session(engine) as session, session.begin():
            maintenance.refresh_statistics(session)
    finally:
        engine.dispose()
    return time.perf_counter() - started


def _self_contained(path: Path) -> None:
    """Fold the write-ahead log into the file and drop it, so the file can be copied."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    for suffix in ("-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            raise RuntimeError(f"{path}{suffix} is still there: is another process using it?")


class BenchCluster(PostgresCluster):
    """The tests' throwaway cluster, configured like a small production server: fsync and
    full-page writes on, commits not waiting for the disk (like SQLite's
    ``synchronous=NORMAL``), buffers large enough for the database (4 GB)."""

    OPTIONS = (
        "-c listen_addresses='' -c fsync=on -c synchronous_commit=off -c shared_buffers=4GB "
        "-c max_connections=100 -c max_wal_size=4GB -c checkpoint_timeout=30min"
    )

    def __enter__(self) -> BenchCluster:
        if self._as_root:
            import pwd

            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o755)
        self._run("initdb", "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8")
        options = f"-k {self.root} -p {PORT} {self.OPTIONS}"
        log = str(self.root / "log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l", log, "start")
        return self


# The server -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def server_process(url: str, workers: int, workdir: Path) -> Iterator[tuple[int, int]]:
    """``shopguard-server serve`` in its own process; yields its port and process id once
    it is healthy."""
    port = _free_port()
    env = dict(
        os.environ,
        SHOPGUARD_PEPPER=PEPPER_HEX,
        SHOPGUARD_RATE_PER_MINUTE="100000000",
        PYTHONUNBUFFERED="1",
    )
    command = [sys.executable, "-m", "shopguard.server.cli", "serve", "--database-url", url]
    command += ["--port", str(port), "--workers", str(workers), "--data-dir", str(workdir)]
    log_path = workdir / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        started = time.monotonic()
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        print(f"  server up in {time.monotonic() - started:.1f} s (log: {log_path})")
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by a process and its descendants (Linux
    ``/proc``; 0 elsewhere): the service's own work per batch, which other processes on
    a shared machine disturb far less than the wall clock."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    total = 0.0
    for pid, seconds in used.items():
        ancestor = pid
        while ancestor > 1 and ancestor != root:
            ancestor = parents.get(ancestor, 0)
        if ancestor == root:
            total += seconds
    return total


def _healthy(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/v1/health")
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except OSError:
        return False


# The load ---------------------------------------------------------------------------------


@dataclass
class ClientResult:
    """What one load process saw inside the measured window."""

    latencies: list[float] = field(default_factory=list)
    orders: int = 0
    errors: dict[int, int] = field(default_factory=dict)
    sample_error: str = ""
    server_cpu: float = float("nan")  # seconds of the service's CPU in the window


def client(
    world: World,
    port: int,
    stream: int,
    share: tuple[int, int],
    window: tuple[float, float, float],
    reconnect: bool,
    out: Any,
) -> None:
    """One load process: signed batches back to back for its share of the shops, on one
    keep-alive connection, or (``reconnect``) each on a new one, as each batch comes from
    another shop's app; requests finishing between ``measure`` and ``end`` (wall clock)
    are counted, connecting included."""
    start, measure, end = window
    maker = BatchMaker(world, stream, share=share)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    result = ClientResult()
    time.sleep(max(0.0, start - time.time()))
    while time.time() < end:
        if reconnect:
            connection.close()
        shop, orders = maker.batch(BATCH, utc_now())
        body = json.dumps({"orders": orders}, separators=(",", ":")).encode()
        headers = signed_headers(world.shop_id(shop), world.shop_secret(shop), "POST", PATH, body)
        headers["Content-Type"] = "application/json"
        sent = time.perf_counter()
        connection.request("POST", PATH, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        elapsed = time.perf_counter() - sent
        finished = time.time()
        if not measure <= finished <= end:
            continue
        if response.status == 200:
            result.latencies.append(elapsed)
            result.orders += len(orders)
        else:
            result.errors[response.status] = result.errors.get(response.status, 0) + 1
            result.sample_error = answer[:300].decode(errors="replace")
    connection.close()
    out.put(result)


@dataclass
class Figures:
    """One measured configuration."""

    label: str
    clients: int
    seconds: float
    result: ClientResult

    @property
    def rate(self) -> float:
        return self.result.orders / self.seconds

    def percentile(self, q: float) -> float:
        data = sorted(self.result.latencies)
        if not data:
            return float("nan")
        return 1000 * data[min(len(data) - 1, int(q * len(data)))]


def run_load(
    world: World,
    server: tuple[int, int],
    clients: int,
    duration: float,
    warmup: float,
    first_stream: int,
    *,
    reconnect: bool = False,
) -> ClientResult:
    """``clients`` load processes for ``warmup`` + ``duration`` seconds; merged results.

    ``server``: the service's port and process id (its CPU time is sampled at both ends
    of the measured window). Each process sends its own order ids (stream
    ``first_stream`` + its number): every
    order of every run is new, never an update of one sent before. Each acts for its own
    share of the shops. ``reconnect``: a new connection for every batch (many shops' apps
    rather than one long-lived connection each, which uvicorn's workers would split
    unevenly between them).
    """
    port, server_pid = server
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start = time.time() + 3.0  # the processes import first
    measure = start + warmup
    end = measure + duration
    processes = [
        context.Process(
            target=client,
            args=(
                world,
                port,
                first_stream + k,
                (k, clients),
                (start, measure, end),
                reconnect,
                queue,
            ),
            daemon=True,
        )
        for k in range(clients)
    ]
    for process in processes:
        process.start()
    time.sleep(max(0.0, measure - time.time()))
    cpu_before = tree_cpu_seconds(server_pid)
    time.sleep(max(0.0, end - time.time()))
    cpu_used = tree_cpu_seconds(server_pid) - cpu_before
    merged = ClientResult(server_cpu=cpu_used)
    for _ in processes:
        part: ClientResult = queue.get(timeout=duration + warmup + 600)
        merged.latencies += part.latencies
        merged.orders += part.orders
        for status, n in part.errors.items():
            merged.errors[status] = merged.errors.get(status, 0) + n
        merged.sample_error = merged.sample_error or part.sample_error
    for process in processes:
        process.join(timeout=30)
    return merged


# Report -----------------------------------------------------------------------------------


def print_table(world: World, seeding: str, rows: list[tuple[Figures, str, str]]) -> None:
    """The figures beside the targets."""
    print()
    print(f"shopguard-server load: {world.orders:,} stored orders, {world.shops:,} shops; ")
    print(f"batches of {BATCH} new orders; database {seeding}; {os.cpu_count()} cores")
    header = (
        "| configuration | clients | batches | orders/s | p50 ms | p99 ms | max ms "
        "| service CPU ms/batch | errors | target | met |"
    )
    print(header)
    print("|" + "---|" * 11)
    for figures, target, met in rows:
        r = figures.result
        errors = sum(r.errors.values())
        worst = 1000 * max(r.latencies) if r.latencies else float("nan")
        cpu = 1000 * r.server_cpu / len(r.latencies) if r.latencies else float("nan")
        print(
            f"| {figures.label} | {figures.clients} | {len(r.latencies)} | {figures.rate:,.0f} "
            f"| {figures.percentile(0.5):.1f} | {figures.percentile(0.99):.1f} | {worst:.1f} "
            f"| {cpu:.1f} | {errors} | {target} | {met} |"
        )
    print(
        "service CPU: user + system time of the service's processes (not the database "
        "server's) in the measured window, per batch answered."
    )
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load:
        print(f"load average at the end (1/5/15 min): {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for figures, _target, _met in rows:
        if figures.result.errors:
            print(f"{figures.label}: errors {figures.result.errors}: {figures.result.sample_error}")


def latency_verdict(figures: Figures) -> str:
    ok = figures.percentile(0.5) < TARGET_P50_MS and figures.percentile(0.99) < TARGET_P99_MS
    return "yes" if ok and not figures.result.errors else "no"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--shops", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument("--clients", type=int, default=6, help="concurrent clients (PostgreSQL)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--sqlite-throughput", action="store_true", help="also load SQLite")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache/shopguard-bench")
    parser.add_argument("--reseed", action="store_true", help="seed again despite the cache")
    args = parser.parse_args()

    world = World(args.orders, args.shops, args.seed)
    seeded, seeding = seeded_sqlite(world, args.cache_dir, args.reseed)
    rows: list[tuple[Figures, str, str]] = []
    floors: list[Floor] = []
    with tempfile.TemporaryDirectory(prefix="sg-bench-") as temp:
        workdir = Path(temp)
        if not args.skip_sqlite:
            rows += sqlite_runs(world, seeded, workdir, args, floors)
        reason = unavailable_reason()
        if args.skip_postgres or reason:
            if reason:
                print(f"PostgreSQL skipped: {reason}")
        else:
            rows += postgres_runs(world, seeded, workdir, args)
    print_table(world, seeding, rows)
    if floors:
        print_floors(floors)


def sqlite_runs(
    world: World, seeded: Path, workdir: Path, args: argparse.Namespace, floors: list[Floor]
) -> list[tuple[Figures, str, str]]:
    """A copy of the seeded file; one worker, a sequential client (and, if asked, more);
    then what the parts of a batch cost (``server_floor``), added to ``floors``."""
    rows: list[tuple[Figures, str, str]] = []
    database = workdir / "server.sqlite3"
    shutil.copyfile(seeded, database)
    print("SQLite, 1 worker:")
    with server_process(f"sqlite:///{database}", 1, workdir) as server:
        result = run_load(world, server, 1, args.duration, args.warmup, 0)
        figures = Figures("SQLite, 1 worker, sequential", 1, args.duration, result)
        target = f"p50 < {TARGET_P50_MS:.0f} ms, p99 < {TARGET_P99_MS:.0f} ms"
        rows.append((figures, target, latency_verdict(figures)))
        if args.sqlite_throughput:
            result = run_load(
                world, server, args.clients, args.duration, args.warmup, 100, reconnect=True
            )
            rows.append(
                (Figures("SQLite, 1 worker", args.clients, args.duration, result), "-", "-")
            )
        floors += request_floors(world, server[0])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    print("  replaying a batch's SQL on its own ...")
    floors.append(sql_floor(world, seeded, workdir))
    floors.append(python_reference())
    return rows


def postgres_runs(
    world: World, seeded: Path, workdir: Path, args: argparse.Namespace
) -> list[tuple[Figures, str, str]]:
    """Fill a throwaway cluster from the seeded file; load two workers."""
    rows: list[tuple[Figures, str, str]] = []
    with BenchCluster() as cluster:
        url = cluster.create_database("bench")
        upgrade_database(url)
        started = time.perf_counter()
        timings = copy_to_postgres(seeded, url)
        timings["place statistics"] = _refresh_statistics(url)
        timings.update(settle_postgres(url))
        phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
        print(f"PostgreSQL filled in {time.perf_counter() - started:.0f} s ({phases})")
        print("PostgreSQL, 2 workers:")
        with server_process(url, 2, workdir) as server:
            result = run_load(world, server, 1, args.duration, args.warmup, 200)
            rows.append(
                (Figures("PostgreSQL, 2 workers, sequential", 1, args.duration, result), "-", "-")
            )
            result = run_load(
                world, server, args.clients, args.duration, args.warmup, 300, reconnect=True
            )
            figures = Figures("PostgreSQL, 2 workers", args.clients, args.duration, result)
            ok = figures.rate >= TARGET_RATE and not result.errors
            rows.append((figures, f">= {TARGET_RATE:,.0f} orders/s", "yes" if ok else "no"))
    return rows


if __name__ == "__main__":
    main()
