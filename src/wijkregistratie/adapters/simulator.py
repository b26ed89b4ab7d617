"""A partner organisation's own system, simulated: its own store, its own data model, its own words.

It plays a debt-assistance or care organisation's client system for tests and demos:

- `POST /api/clienten` registers a client as a professional would type it in; `GET /api/clienten?gewijzigd_na=N`
  lists clients changed after the system's own change counter N (what the adapter pulls).
- `POST /api/notities` takes a note from the shared record (what the adapter pushes); a note whose
  `bron_id` it already has is acknowledged and not stored twice. `GET /api/notities` lists them.
- `PUT /_beheer/storing` makes it misbehave: `{"status": 500, "aantal": 3}`, `{"vertraging": 2.5}`,
  `{"ongeldige_json": true}`, `{"plat": true}` (answers 503 to everything), or `{}` to recover.

Start by hand: `wijkregistratie partner-simulator --port 8101`.
"""

import asyncio
import threading
from collections import Counter
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clients: list[dict[str, Any]] = []
        self.notes: dict[str, dict[str, Any]] = {}
        self.changes = 0
        self.fault: dict[str, Any] = {}
        self.duplicates_refused = 0
        self.notes_received = 0  # counted on arrival, before any delay
        self.arrived: Counter[str] = Counter()  # notes per dossier, counted on arrival


def create_simulator(store: Store | None = None) -> Starlette:
    store = store or Store()

    async def misbehave(request: Request) -> Response | None:
        fault = store.fault
        if fault.get("vertraging"):
            await asyncio.sleep(float(fault["vertraging"]))
        if fault.get("plat"):
            return JSONResponse({"fout": "systeem niet beschikbaar"}, status_code=503)
        if fault.get("aantal", 0) > 0:
            fault["aantal"] -= 1
            return JSONResponse({"fout": "interne fout"}, status_code=int(fault.get("status", 500)))
        if fault.get("ongeldige_json"):
            return Response(b'{"clienten": [', media_type="application/json")
        return None

    async def register_client(request: Request) -> Response:
        body = await request.json()
        with store.lock:
            store.changes += 1
            client = {
                "clientnummer": body.get("clientnummer") or f"C-{1000 + len(store.clients)}",
                "achternaam": body["achternaam"],
                "voornamen": body.get("voornamen"),
                "geboortedatum": body.get("geboortedatum"),
                "postcode": body["postcode"],
                "huisnummer": body["huisnummer"],
                "buurtcode": body.get("buurtcode"),
                "aanmeldreden": body.get("aanmeldreden", "SCHULD"),
                "toelichting": body.get("toelichting", ""),
                "telefoon": body.get("telefoon"),
                "email": body.get("email"),
                "einddatum": body.get("einddatum"),  # dd-mm-jjjj: the organisation's part ended
                "wijziging": store.changes,
            }
            store.clients = [c for c in store.clients if c["clientnummer"] != client["clientnummer"]] + [client]
        return JSONResponse(client, status_code=201)

    async def changed_clients(request: Request) -> Response:
        if (refused := await misbehave(request)) is not None:
            return refused
        after = int(request.query_params.get("gewijzigd_na", "0"))
        with store.lock:
            changed = sorted((c for c in store.clients if c["wijziging"] > after), key=lambda c: c["wijziging"])
        return JSONResponse({"clienten": changed[:50]})

    async def receive_note(request: Request) -> Response:
        note = await request.json()  # read first: a slow system still stores what its caller gave up on
        store.notes_received += 1
        store.arrived[str(note.get("dossier"))] += 1
        if (refused := await misbehave(request)) is not None:
            return refused
        with store.lock:
            if note["bron_id"] in store.notes:
                store.duplicates_refused += 1
                return JSONResponse({"status": "al ontvangen"}, status_code=200)
            store.notes[note["bron_id"]] = note
        return JSONResponse({"status": "opgeslagen"}, status_code=201)

    async def list_notes(_request: Request) -> Response:
        with store.lock:
            return JSONResponse({"notities": list(store.notes.values()), "dubbel_geweigerd": store.duplicates_refused})

    async def set_fault(request: Request) -> Response:
        store.fault = await request.json()
        return JSONResponse(store.fault)

    app = Starlette(
        routes=[
            Route("/api/clienten", register_client, methods=["POST"]),
            Route("/api/clienten", changed_clients, methods=["GET"]),
            Route("/api/notities", receive_note, methods=["POST"]),
            Route("/api/notities", list_notes, methods=["GET"]),
            Route("/_beheer/storing", set_fault, methods=["PUT"]),
        ]
    )
    app.state.store = store
    return app
