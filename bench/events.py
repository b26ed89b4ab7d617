"""Benchmarks of the change feed and webhook delivery, on PostgreSQL.

1. Feed page: one million events in the log (thirty organisations, each event for three of them), then
   `events.service.read_feed` — what `GET /v1/events` runs — for a page of 500, read at the start, the
   middle and the end of the log, serialised as the API answers. Prints the median per position.
2. Delivery lag: events are committed at a steady 200 per second for a while (each a real outbox write),
   a `wijkregistratie worker` process (default poll of 1 s: the commit's NOTIFY wakes it) delivers them to
   a receiver on loopback, and the lag from commit to receipt is measured per event. Then the same again
   with a second subscription beside it whose receiver takes 3 s to answer. Prints p50 and p99 of both.

Run: `make bench-events` (or `.venv/bin/python bench/events.py --events 1000000 --rate 200 --seconds 30`).
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
from sqlalchemy import text

from server_database import admin, database_dsn
from wijkregistratie.core.database import create_engine, create_sessionmaker
from wijkregistratie.core.migrate import upgrade
from wijkregistratie.core.security import Principal
from wijkregistratie.core.settings import Settings
from wijkregistratie.events import service as events
from wijkregistratie.events.codes import EventType
from wijkregistratie.webhooks.delivery import SecretBox, new_secret
from wijkregistratie.webhooks.models import Subscription


async def fill_log(dsn: str, count: int) -> list[uuid.UUID]:
    connection = await asyncpg.connect(dsn)
    try:
        organisations = [uuid.uuid4() for _ in range(30)]
        now = datetime.now(UTC)
        await connection.copy_records_to_table(
            "organisations",
            columns=["id", "name", "kind", "created_at", "updated_at", "version"],
            records=[(o, f"Organisatie {i}", "social_work", now, now, 1) for i, o in enumerate(organisations)],
        )
        batch = 50_000
        for start in range(0, count, batch):
            rows = []
            recipients = []
            for n in range(start, min(start + batch, count)):
                rows.append(
                    (
                        n + 1,
                        n + 1,
                        uuid.uuid4(),
                        EventType.plan_updated.value,
                        "",
                        now - timedelta(seconds=count - n),
                        json.dumps({"version": n}),
                    )
                )
                recipients += [(n + 1, organisations[(n + k) % 30]) for k in range(3)]
            await connection.copy_records_to_table(
                "events", columns=["sequence", "position", "id", "type", "subject", "time", "data"], records=rows
            )
            await connection.copy_records_to_table(
                "event_recipients", columns=["event_sequence", "organisation_id"], records=recipients
            )
        await connection.execute(f"SELECT setval('events_sequence_seq', {count})")
        await connection.execute("ANALYZE")
        return organisations
    finally:
        await connection.close()


async def time_pages(database_url: str, organisation: uuid.UUID, count: int, runs: int) -> dict[str, float]:
    principal = Principal(client_id="bench", organisation_id=organisation, scopes=frozenset({"record:read"}))
    engine = create_engine(database_url)
    timings: dict[str, float] = {}
    try:
        for label, after in (("start", 0), ("middle", count // 2), ("end", count - 2000)):
            samples = []
            for _ in range(runs + 1):
                async with create_sessionmaker(engine)() as session:
                    began = time.perf_counter()
                    page = await events.read_feed(session, principal, str(after), 500)
                    page.model_dump_json(by_alias=True)
                    samples.append((time.perf_counter() - began) * 1000)
                assert len(page.items) == 500 or label == "end"
            timings[label] = statistics.median(samples[1:])
    finally:
        await engine.dispose()
    return timings


class Receiver:
    """A partner endpoint on loopback that notes when each event arrived."""

    def __init__(self, delay: float = 0.0) -> None:
        self.arrived: dict[str, float] = {}
        arrived = self.arrived

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a partner's web server would

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                time.sleep(delay)
                arrived[json.loads(body)["id"]] = time.time()
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@dataclass
class Lag:
    label: str
    p50: float
    p99: float
    missing: int


async def delivery_lags(database_url: str, organisation: uuid.UUID, rate: int, seconds: int) -> list[Lag]:
    """The healthy receiver's lag alone, then beside a receiver that takes 3 s to answer each event."""
    settings = Settings(
        database_url=database_url,
        webhook_allowed_hosts="127.0.0.1",
        worker_figures_every_seconds=0,
        worker_metrics_port=0,
    )
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    healthy, slow = Receiver(), Receiver(delay=3.0)
    await _subscribe(sessions, settings, organisation, healthy)
    worker = _start_worker(settings)
    try:
        alone = await _lag(sessions, organisation, healthy, rate, seconds, "alone")
        await _subscribe(sessions, settings, organisation, slow)
        beside = await _lag(sessions, organisation, healthy, rate, seconds, "beside a 3-second receiver")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        await engine.dispose()
        healthy.server.shutdown()
        slow.server.shutdown()
    return [alone, beside]


async def _subscribe(sessions: Any, settings: Settings, organisation: uuid.UUID, receiver: Receiver) -> None:
    async with sessions() as session:
        end_of_log = await session.scalar(text("SELECT COALESCE(MAX(position), 0) FROM events"))
        session.add(
            Subscription(
                organisation_id=organisation,
                url=receiver.url,
                secret_encrypted=SecretBox(settings).seal(new_secret()),
                cursor=int(end_of_log or 0),  # only what is written from now on
            )
        )
        await session.commit()


async def _lag(sessions: Any, organisation: uuid.UUID, receiver: Receiver, rate: int, seconds: int, label: str) -> Lag:
    committed: dict[str, float] = {}
    interval = 1 / rate
    began = time.perf_counter()
    for n in range(rate * seconds):
        async with sessions() as session:
            event = events.emit(session, EventType.plan_updated, {"version": n}, recipients={organisation})
            await session.commit()
            committed[str(event.id)] = time.time()
        pause = began + (n + 1) * interval - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
    _wait_for(receiver, set(committed), 60)
    lags = sorted((receiver.arrived[i] - t) * 1000 for i, t in committed.items() if i in receiver.arrived)
    return Lag(label, lags[len(lags) // 2], lags[int(len(lags) * 0.99) - 1], len(committed) - len(lags))


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    """A worker process of its own, as in production, given time to start before the first event."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "wijkregistratie.cli", "worker"],
        env=os.environ
        | {
            "DATABASE_URL": settings.database_url,
            "WR_WEBHOOK_ALLOWED_HOSTS": ",".join(settings.webhook_allowed_hosts),
            "WR_WORKER_FIGURES_EVERY_SECONDS": "0",
            "WR_WORKER_METRICS_PORT": "0",
        },
        stderr=subprocess.DEVNULL,
    )
    time.sleep(3)
    return worker


def _wait_for(receiver: Receiver, ids: set[str], seconds: float) -> None:
    deadline = time.time() + seconds
    while not ids <= receiver.arrived.keys() and time.time() < deadline:
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rate", type=int, default=200, help="events committed per second")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    name = f"wr_bench_events_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    dsn = database_dsn(name)
    database_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        upgrade(database_url)
        began = time.perf_counter()
        organisations = asyncio.run(fill_log(dsn, args.events))
        print(f"{args.events} events written in {time.perf_counter() - began:.0f}s", flush=True)
        pages = asyncio.run(time_pages(database_url, organisations[0], args.events, args.runs))
        print("feed page of 500, median: " + ", ".join(f"{k} {v:.1f} ms" for k, v in pages.items()), flush=True)
        for lag in asyncio.run(delivery_lags(database_url, organisations[1], args.rate, args.seconds)):
            print(
                f"delivery lag at {args.rate} events/s for {args.seconds}s, {lag.label}: p50 {lag.p50:.1f} ms, "
                f"p99 {lag.p99:.1f} ms, not delivered {lag.missing}",
                flush=True,
            )
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
