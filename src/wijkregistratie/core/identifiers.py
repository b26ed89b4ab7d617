"""Dutch identifiers: citizen service number (BSN), postcode and CBS area codes.

A BSN is validated with the 11-check, encrypted at rest with authenticated encryption (Fernet,
with key rotation through MultiFernet) and found through a keyed hash, so the database never
holds a BSN that can be read or matched without the application's keys.
"""

import hashlib
import hmac
import re
from typing import Annotated

from cryptography.fernet import Fernet, MultiFernet
from fastapi import Depends, Request

from wijkregistratie.core.settings import Settings

# Four digits, the first not 0, and two letters other than SA, SD and SS (PostNL never issues those).
POSTCODE_PATTERN = r"^[1-9][0-9]{3} ?([A-RT-Za-rt-z][A-Za-z]|[Ss][BCE-RT-Zbce-rt-z])$"
_POSTCODE_SHAPE = r"^[1-9][0-9]{3} ?[A-Za-z]{2}$"
# Eight digits are taken as a BSN with its leading zero left off; the 11-check follows.
BSN_PATTERN = r"^[0-9]{8,9}$"
CBS_AREA_PATTERN = r"^(GM[0-9]{4}|WK[0-9]{6}|BU[0-9]{8})$"
BUURT_CODE_PATTERN = r"^BU[0-9]{8}$"


def normalise_postcode(value: str) -> str:
    if not re.fullmatch(_POSTCODE_SHAPE, value):
        raise ValueError("not a Dutch postcode (1234AB)")
    if not re.fullmatch(POSTCODE_PATTERN, value):
        raise ValueError("not a Dutch postcode: the letters SA, SD and SS are never issued")
    return value.replace(" ", "").upper()


def is_valid_bsn(value: str) -> bool:
    """The 11-check (elfproef): weights 9..2 and -1 for the last digit, sum divisible by 11."""
    if not re.fullmatch(r"[0-9]{9}", value) or value == "000000000":
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(value, weights, strict=True)) % 11 == 0


def validate_bsn(value: str) -> str:
    bsn = value.strip()
    if len(bsn) == 8 and bsn.isdigit():
        bsn = "0" + bsn
    if not is_valid_bsn(bsn):
        raise ValueError("not a valid BSN (9 digits passing the 11-check)")
    return bsn


def mask_bsn(bsn: str) -> str:
    return "*" * 6 + bsn[-3:]


def area_codes_cover(area_codes: list[str], buurt_code: str) -> bool:
    """Whether a neighbourhood (BUggggwwbb) lies in one of the codes (GMgggg, WKggggww, BU...)."""
    digits = buurt_code[2:]
    return any(
        (code.startswith("GM") and digits.startswith(code[2:]))
        or (code.startswith("WK") and digits.startswith(code[2:]))
        or code == buurt_code
        for code in area_codes
    )


class BsnVault:
    def __init__(self, settings: Settings) -> None:
        self._fernet = MultiFernet([Fernet(k.get_secret_value().encode()) for k in settings.bsn_encryption_keys])
        self._hash_key = settings.bsn_hash_key.get_secret_value().encode()

    def hash(self, bsn: str) -> str:
        return hmac.new(self._hash_key, bsn.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, bsn: str) -> str:
        return self._fernet.encrypt(bsn.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def rotate(self, token: str) -> str:
        """Re-encrypt with the first (current) key; any configured key may have encrypted it."""
        return self._fernet.rotate(token.encode()).decode()


def get_vault(request: Request) -> BsnVault:
    vault: BsnVault = request.app.state.vault
    return vault


Vault = Annotated[BsnVault, Depends(get_vault)]
