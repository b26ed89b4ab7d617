"""What a well-behaved partner system does that a generator cannot guess; loaded by Schemathesis
(`SCHEMATHESIS_HOOKS`) in tests/test_fuzzing.py.

- An `Idempotency-Key` is fresh for every new request: a key used before with another body is
  refused (422) by design, so a generated key is replaced by a new one of the same shape.
- A `cursor` is opaque: a client sends only one the API handed out, so a well-formed generated
  cursor is replaced by one the API could have handed out (a time and an id).
- A BSN passes the 11-check, which no pattern can say: a well-formed generated one is replaced by
  the nearest number that passes it.
- A callback must resolve to an address the API may call: a generated one is pointed at loopback,
  which the test server allows (`WR_WEBHOOK_ALLOWED_HOSTS`).
- A date in the register lies between 1900 and today (a date of birth must), so generated dates do.
- A partner registers signals for households in its team's area: a generated address lies in the
  neighbourhood `WR_FUZZ_BUURT` names, so that registrations succeed and the object-level check can try
  one peer's signal and household as the other.
Values that break the contract on purpose (negative tests) are left as they are.
"""

import os
import random
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import schemathesis
from hypothesis import strategies as st

from wijkregistratie.attachments.schemas import ALLOWED_MEDIA_TYPES
from wijkregistratie.core.identifiers import is_valid_bsn
from wijkregistratie.core.pagination import encode_cursor
from wijkregistratie.webhooks.schemas import CALLBACK_PATTERN as WEBHOOK_CALLBACK_PATTERN

BUURT = re.compile(r"BU[0-9]{8}")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
BSN = re.compile(r"[0-9]{8,9}")
CALLBACK = "https://127.0.0.1/hooks/fuzz"
CALLBACK_PATTERN = re.compile(WEBHOOK_CALLBACK_PATTERN)


def _passing_bsn(digits: str) -> str:
    """The first number from `digits` on that passes the 11-check."""
    number = int(digits)
    while not is_valid_bsn(f"{number % 10**9:09d}"):
        number += 1
    return f"{number % 10**9:09d}"


def _valid_bsns(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _passing_bsn(v) if k == "bsn" and isinstance(v, str) and BSN.fullmatch(v) else _valid_bsns(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_valid_bsns(v) for v in value]
    return value


def _cursor(rng: random.Random) -> str:
    moment = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**9))
    return encode_cursor(moment, uuid.UUID(int=rng.getrandbits(128), version=4))


schemathesis.openapi.format("date", st.dates(min_value=date(1900, 1, 1), max_value=date.today()).map(str))


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if isinstance(key, str) and IDEMPOTENCY_KEY.fullmatch(key):
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    cursor = case.query.get("cursor") if case.query else None
    if isinstance(cursor, str) and 0 < len(cursor) <= 200:
        case.query["cursor"] = _cursor(random.Random(cursor))
    if isinstance(case.body, dict):
        case.body = _valid_bsns(case.body)
        if case.operation.path.startswith("/webhooks") and CALLBACK_PATTERN.fullmatch(str(case.body.get("url", ""))):
            case.body["url"] = CALLBACK
        if case.operation.path == "/signals" and case.method == "POST":
            _in_the_team(case.body)


def _in_the_team(body: dict[str, Any]) -> None:
    """A registration as a partner makes it: of a household by its address in the team's area (an id the
    caller could not know is a made-up one), so registrations succeed and their records can be tried."""
    household = body.get("household")
    if not isinstance(household, dict):
        return
    if isinstance(household.get("id"), str) and UUID.fullmatch(household["id"]):
        household.pop("id")
        household.setdefault("address", {"postcode": "3072AB", "houseNumber": random.randrange(1, 9999)})
    address = household.get("address")
    if isinstance(address, dict) and BUURT.fullmatch(str(address.get("buurtCode", "BU00000000"))):
        address["buurtCode"] = os.environ["WR_FUZZ_BUURT"]
    members = household.get("members")
    if isinstance(household.get("bsn"), str) and isinstance(members, list) and members and isinstance(members[0], dict):
        members[0]["bsn"] = household["bsn"]  # the BSN given is a member's


@schemathesis.serializer(*(media for media in ALLOWED_MEDIA_TYPES if media != "text/plain"))
def _file(_context: Any, value: Any) -> bytes:
    """A file part as its bytes: the attachment upload declares the media types its `file` part may have."""
    return value if isinstance(value, bytes) else str(value).encode()
