"""The operator's command line: serve, migrate, seed demo data, manage credentials, export the contract."""

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from wijkregistratie.core.settings import get_settings

T = TypeVar("T")


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    print(f"wijkregistratie serves on http://{args.host}:{args.port} — docs at http://{args.host}:{args.port}/docs")
    uvicorn.run(
        "wijkregistratie.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,  # the application believes forwarded headers from WR_TRUSTED_PROXIES only
        server_header=False,
        access_log=False,  # ours names route templates only; uvicorn's would log paths and queries
        log_level="info",
    )


def _migrate(_args: argparse.Namespace) -> None:
    from wijkregistratie.core.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url, app_role=settings.database_app_role)
    print("database schema is up to date")


def _seed_demo(args: argparse.Namespace) -> None:
    from wijkregistratie.demo.seed import seed_demo

    credentials = _run(lambda session: seed_demo(session, get_settings()))
    if args.json:
        print(json.dumps(credentials, indent=2))
        return
    if not credentials:
        print("demo data is present; production never re-issues demo secrets")
        return
    print("demo client credentials (the secrets are new on every run and shown only here):")
    for role, client in credentials.items():
        print(f"  {role:<12} client_id={client['client_id']}  client_secret={client['client_secret']}")


def _create_municipality(args: argparse.Namespace) -> None:
    from wijkregistratie.municipalities.schemas import MunicipalityCreate
    from wijkregistratie.municipalities.service import create_municipality

    data = MunicipalityCreate(code=args.code, name=args.name)
    municipality = _run(lambda session: create_municipality(session, data))
    print(municipality.code)


def _create_organisation(args: argparse.Namespace) -> None:
    from wijkregistratie.organisations.schemas import OrganisationCreate
    from wijkregistratie.organisations.service import create_organisation

    data = OrganisationCreate(name=args.name, kind=args.kind, contact_name=args.contact_name)
    organisation = _run(lambda session: create_organisation(session, data))
    print(organisation.id)


def _create_client(args: argparse.Namespace) -> None:
    from wijkregistratie.auth.service import create_client

    async def create(session: Any) -> tuple[Any, str]:
        return await create_client(
            session,
            uuid.UUID(args.organisation_id),
            args.name,
            args.scopes.split(),
            [uuid.UUID(t) for t in args.coordinates or []],
            municipality_code=args.municipality,
        )

    client, secret = _run(create)
    print(f"client_id={client.client_id}\nclient_secret={secret}\n(the secret is shown once; only its hash is kept)")


def _set_client_active(args: argparse.Namespace) -> None:
    from wijkregistratie.auth.schemas import ClientUpdate
    from wijkregistratie.auth.service import get_client, update_client
    from wijkregistratie.core.etag import etag

    async def change(session: Any) -> Any:
        current = await get_client(session, args.client_id)
        return await update_client(session, args.client_id, ClientUpdate(active=args.active), etag(current.version))

    client = _run(change)
    state = "enabled" if client.active else "disabled: it gets no token, and its tokens are refused within seconds"
    print(f"{client.client_id} {state}")


def _rotate_client_secret(args: argparse.Namespace) -> None:
    from wijkregistratie.auth.service import get_client, rotate_secret
    from wijkregistratie.core.etag import etag

    async def rotate(session: Any) -> Any:
        current = await get_client(session, args.client_id)
        return await rotate_secret(session, args.client_id, args.previous_valid_seconds, etag(current.version))

    client = _run(rotate)
    print(f"client_id={client.client_id}\nclient_secret={client.client_secret}")
    print(f"(shown once; the previous secret works until {client.previous_secret_valid_until:%Y-%m-%d %H:%M} UTC)")


def _list_clients(_args: argparse.Namespace) -> None:
    from wijkregistratie.auth.service import list_clients

    async def everyone(session: Any) -> list[Any]:
        clients, cursor = await list_clients(session, None, None, 100)
        while cursor:
            more, cursor = await list_clients(session, None, cursor, 100)
            clients += more
        return clients

    for client in _run(everyone):
        state = "active" if client.active else "disabled"
        print(f"{client.client_id}  {state:<8}  {client.organisation_id}  {' '.join(client.scopes)}  {client.name}")


def _rotate_bsn_keys(_args: argparse.Namespace) -> None:
    from wijkregistratie.core.identifiers import BsnVault
    from wijkregistratie.households.service import rotate_bsn_keys

    count = _run(lambda session: rotate_bsn_keys(session, BsnVault(get_settings())))
    print(f"re-encrypted and re-hashed {count} BSNs with the current keys")


def _refresh_figures(args: argparse.Namespace) -> None:
    import time

    from wijkregistratie.figures.rollups import refresh

    full = args.full
    while True:
        run = _run(partial(refresh, full=full))
        full = False  # a full rebuild once; after it, only what has not ended
        if run is None:
            print("another rebuild of the figures is running; left to it")
        else:
            print(
                f"figures brought up to date: {run.row_count} running totals up to {run.last_month}, final before "
                f"{run.final_before}, in {run.duration_ms} ms"
            )
        if not args.every:
            return
        time.sleep(args.every)


def _worker(_args: argparse.Namespace) -> None:
    from wijkregistratie.worker.runner import run_worker

    run_worker(get_settings())


def _partner_simulator(args: argparse.Namespace) -> None:
    import uvicorn

    from wijkregistratie.adapters.simulator import create_simulator

    print(f"partner simulator on http://{args.host}:{args.port}/api/clienten")
    uvicorn.run(create_simulator(), host=args.host, port=args.port, log_level="warning")


def _export_openapi(args: argparse.Namespace) -> None:
    from wijkregistratie.main import create_app

    document = json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"
    if args.output == "-":
        sys.stdout.write(document)
    else:
        Path(args.output).write_text(document, encoding="utf-8")
        print(f"wrote {args.output}")


def _export_schemas(args: argparse.Namespace) -> None:
    from wijkregistratie.adapters.kinds import schemas

    for name, schema in schemas().items():
        target = Path(args.output) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {target}")


def _partners(args: argparse.Namespace) -> None:
    from wijkregistratie.adapters.kinds import partners
    from wijkregistratie.adapters.status import partner_statuses

    configured = [partner for partner, _ in partners(args.file or get_settings().adapters_file)]
    if not configured:
        print("no partner systems: WR_ADAPTERS_FILE names none")
        return
    for status in _run(lambda session: partner_statuses(session, configured)):
        print(status.line())


def _check_partners(args: argparse.Namespace) -> None:
    from wijkregistratie.adapters.kinds import partners

    checked = partners(args.file)
    print(f"{args.file}: {len(checked)} partners, each with a mapping that fits its kind")


def _run(work: Callable[[Any], Awaitable[T]]) -> T:
    """`work(session)` in one transaction, committed, with every table known (foreign keys cross parts)."""
    from wijkregistratie.core.database import create_engine, create_sessionmaker
    from wijkregistratie.core.discovery import import_all_models

    import_all_models()

    async def main() -> T:
        engine = create_engine(get_settings().database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wijkregistratie", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_serve)

    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(handler=_migrate)

    seed = commands.add_parser("seed-demo", help="fill a demo neighbourhood (once) and print client credentials")
    seed.add_argument("--json", action="store_true", help="print the credentials as JSON")
    seed.set_defaults(handler=_seed_demo)

    municipality = commands.add_parser("create-municipality", help="register a municipality by its CBS code")
    municipality.add_argument("--code", required=True, help="CBS municipality code, GMxxxx")
    municipality.add_argument("--name", required=True)
    municipality.set_defaults(handler=_create_municipality)

    organisation = commands.add_parser("create-organisation", help="register an organisation; prints its id")
    organisation.add_argument("--name", required=True)
    organisation.add_argument("--kind", required=True)
    organisation.add_argument("--contact-name")
    organisation.set_defaults(handler=_create_organisation)

    client = commands.add_parser("create-client", help="create client credentials for an organisation")
    client.add_argument("--organisation-id", required=True)
    client.add_argument("--name", required=True)
    client.add_argument("--scopes", default="record:read record:write", help="space-separated scopes")
    client.add_argument("--coordinates", nargs="*", metavar="TEAM_ID", help="teams this client coordinates")
    client.add_argument("--municipality", metavar="GMxxxx", help="the municipality a figures:read client reads")
    client.set_defaults(handler=_create_client)

    for name, active, text in (
        ("disable-client", False, "disable a client: no token, its tokens refused within seconds"),
        ("enable-client", True, "enable a disabled client again"),
    ):
        toggle = commands.add_parser(name, help=text)
        toggle.add_argument("--client-id", required=True)
        toggle.set_defaults(handler=_set_client_active, active=active)

    rotate = commands.add_parser("rotate-client-secret", help="give a client a new secret (shown once)")
    rotate.add_argument("--client-id", required=True)
    rotate.add_argument(
        "--previous-valid-seconds", type=int, default=86400, help="how long the old secret keeps working"
    )
    rotate.set_defaults(handler=_rotate_client_secret)

    commands.add_parser("list-clients", help="list client credentials, without secrets").set_defaults(
        handler=_list_clients
    )

    commands.add_parser("rotate-bsn-keys", help="re-encrypt and re-hash every BSN with the current keys").set_defaults(
        handler=_rotate_bsn_keys
    )

    figures = commands.add_parser(
        "refresh-figures", help="bring the running totals the figures are read from up to date"
    )
    figures.add_argument("--every", type=int, metavar="SECONDS", help="keep refreshing, with this pause between")
    figures.add_argument(
        "--full", action="store_true", help="rebuild the ended months too: changes published figures (corrections)"
    )
    figures.set_defaults(handler=_refresh_figures)

    commands.add_parser("worker", help="deliver webhooks and rebuild the figures, until stopped").set_defaults(
        handler=_worker
    )

    simulator = commands.add_parser("partner-simulator", help="play a partner organisation's own system")
    simulator.add_argument("--host", default="127.0.0.1")
    simulator.add_argument("--port", type=int, default=8101)
    simulator.set_defaults(handler=_partner_simulator)

    export = commands.add_parser("export-openapi", help="write the OpenAPI document")
    export.add_argument("--output", default="openapi/openapi.json", help="a file, or - for standard output")
    export.set_defaults(handler=_export_openapi)

    export_schemas = commands.add_parser(
        "export-schemas", help="write the JSON Schemas of the partners file and of each kind's mapping"
    )
    export_schemas.add_argument("--output", default="openapi/schemas", help="the folder to write them in")
    export_schemas.set_defaults(handler=_export_schemas)

    status = commands.add_parser("partners", help="how each partner system stands: how far it got, and why it fails")
    status.add_argument("--file", help="the partners file (default: what WR_ADAPTERS_FILE names)")
    status.set_defaults(handler=_partners)

    check = commands.add_parser("check-partners", help="check a partners file and its mappings, as the worker does")
    check.add_argument("file", help="the partners file (what WR_ADAPTERS_FILE names)")
    check.set_defaults(handler=_check_partners)
    return parser


def main(argv: list[str] | None = None) -> None:
    from pydantic import ValidationError

    from wijkregistratie.adapters.config import PartnersFileError
    from wijkregistratie.core.errors import Problem

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.handler(args)
    except Problem as problem:  # the API's own answers, said as the command line says them: no traceback
        fields = "; ".join(f"{p.name}: {p.reason}" for p in problem.invalid_params or [])
        parser.exit(2, f"wijkregistratie {args.command}: {problem.detail}{f' ({fields})' if fields else ''}\n")
    except PartnersFileError as refused:  # before the worker starts: the file, line and field to correct
        parser.exit(2, f"wijkregistratie {args.command}: {refused}\n")
    except ValidationError as invalid:
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in invalid.errors())
        parser.exit(2, f"wijkregistratie {args.command}: invalid input ({reasons})\n")


if __name__ == "__main__":
    main()
