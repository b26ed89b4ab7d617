"""The PostgreSQL server the benchmarks make their databases on, and how they make and drop them."""

import os

import asyncpg

SERVER_URL = os.environ.get("WR_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def admin(sql: str) -> None:
    """Run one statement on the server's maintenance database (CREATE or DROP DATABASE)."""
    connection = await asyncpg.connect(SERVER_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def database_dsn(name: str) -> str:
    return SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
