"""The CSV adapter: a partner system that only exchanges files, through a drop folder of its own.

The partner puts files in `import/`; the worker applies each file once (known by its checksum), row by
row through the same mapping machinery as `rest-json` (`adapters.mapping`): a row that cannot be
applied is passed over and named, with its line and field, in `rejected/<file>.afgewezen.csv`, and the
rest are applied. The pull checkpoint is the file's checksum and its last applied row, moved in the
transaction that applied the row, so a worker that dies halfway goes on after the last applied row. A
file done is moved to `applied/`; a file applied before (the same checksum) is moved to `rejected/`.

Files are read as Dutch office software writes them: semicolon or comma (as the header shows), UTF-8
with or without a byte-order mark or else Windows-1252, `dd-mm-jjjj` dates, quoted fields holding
newlines. What is pushed is written per round as one file in `export/`, named after the feed positions
it covers, written to a hidden file first and renamed, so the partner never reads half a file and a
round repeated after a crash writes the same file again; the push position moves past it only after.
"""

import asyncio
import csv
import hashlib
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import Field
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.adapters.base import Change, PartnerUnavailable
from wijkregistratie.adapters.config import PartnerConfig
from wijkregistratie.adapters.mapping import Intake, MappedAdapter, MappingModel, Outgoing
from wijkregistratie.core.identifiers import BsnVault

DUTCH_DATE = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
REJECTS_HEADER = ["regel", "veld", "reden"]
POSITION = "$position"


class CsvImport(Intake):
    """The files the partner drops in `import/`: one client per row, its columns named in the mapping."""

    delimiter: Literal[";", ","] | None = Field(default=None, description="None: the one the header line uses.")
    encoding: Literal["auto", "utf-8", "windows-1252"] = Field(
        default="auto", description="`auto`: UTF-8 (with or without byte-order mark), else Windows-1252."
    )


class CsvExport(Outgoing):
    """The files written to `export/`: one row per event the partner takes, a column per field."""

    delimiter: Literal[";", ","] = ";"
    encoding: Literal["utf-8-sig", "utf-8", "windows-1252"] = Field(
        default="utf-8-sig", description="`utf-8-sig`: with the byte-order mark spreadsheet programs look for."
    )


class CsvMapping(MappingModel):
    """The mapping of a `csv` partner: the columns of the files it drops and of the files it is given."""

    import_: CsvImport = Field(alias="import")
    export: CsvExport


class CsvAdapter(MappedAdapter):
    delivers_together = True  # a round's changes are one file

    def __init__(self, partner: PartnerConfig, mapping: CsvMapping, vault: BsnVault, _http: httpx.AsyncClient):
        super().__init__(partner, mapping.import_, mapping.export, vault)
        self.mapping = mapping
        root = Path(partner.folder or ".")
        self.incoming, self.applied, self.rejected, self.outgoing_folder = (
            root / "import",
            root / "applied",
            root / "rejected",
            root / "export",
        )
        self._reading: Path | None = None

    async def fetch(self, since: str) -> Sequence[Change]:
        return await asyncio.to_thread(self._waiting_rows, since)

    def _waiting_rows(self, since: str) -> list[Change]:
        """The rows not yet applied of the oldest file waiting; files done are moved on first."""
        self._ensure_folders()
        for file in sorted(p for p in self.incoming.iterdir() if p.is_file() and p.suffix.lower() == ".csv"):
            data = file.read_bytes()
            checksum = hashlib.sha256(data).hexdigest()
            if any(self.applied.glob(f"{checksum[:16]}-*")):  # dropped again: applied once is enough
                os.replace(file, self.rejected / f"{checksum[:16]}-{file.name}")
                self._write_rejects(file.name, [["", "", "dit bestand is al eerder verwerkt"]])
                continue
            done = int(since.rsplit(":", 1)[1]) if since.startswith(f"{checksum}:") else 0
            try:
                rows = self._rows(data)
            except (UnicodeDecodeError, csv.Error) as exc:
                os.replace(file, self.rejected / f"{checksum[:16]}-{file.name}")
                self._write_rejects(file.name, [["", "", f"het bestand is niet te lezen ({type(exc).__name__})"]])
                continue
            waiting = [
                Change(marker=f"{checksum}:{number}", record=row | {"$line": line, "$file": file.name})
                for number, (line, row) in enumerate(rows, start=1)
                if number > done
            ]
            if waiting:
                return waiting
            os.replace(file, self.applied / f"{checksum[:16]}-{file.name}")  # every row applied or refused
        return []

    def refused(self, change: Change, field: str, reason: str) -> None:
        self._write_rejects(str(change.record.get("$file")), [[str(change.record.get("$line", "")), field, reason]])

    def _rows(self, data: bytes) -> list[tuple[int, dict[str, Any]]]:
        """Each row with the line it starts on, its cells trimmed and its Dutch dates as ISO dates."""
        text = self._decoded(data)
        first = text.split("\n", 1)[0]
        delimiter = self.mapping.import_.delimiter or (";" if first.count(";") >= first.count(",") else ",")
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        if reader.fieldnames is None:  # an empty file: nothing to apply
            return []
        rows, line = [], reader.line_num + 1
        for row in reader:
            if any((value or "").strip() for value in row.values()):
                rows.append((line, {(k or "").strip(): _cell_in(v) for k, v in row.items()}))
            line = reader.line_num + 1
        return rows

    def _decoded(self, data: bytes) -> str:
        encoding = self.mapping.import_.encoding
        if encoding == "windows-1252":
            return data.decode("cp1252")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            if encoding == "utf-8":
                raise
            return data.decode("cp1252")

    async def render(self, session: AsyncSession, event: dict[str, Any]) -> dict[str, Any] | None:
        document = await super().render(session, event)
        if document is not None:
            document[POSITION] = event.get("sequence")  # names the file; not a column
        return document

    async def deliver(self, documents: Sequence[dict[str, Any]]) -> None:
        if documents:
            await asyncio.to_thread(self._export, documents)

    def _export(self, documents: Sequence[dict[str, Any]]) -> None:
        """One file of this round's documents, in `export/`, appearing whole or not at all."""
        self._ensure_folders()
        spec = self.mapping.export
        columns = [c for c in documents[0] if c != POSITION]
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=spec.delimiter, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([_cell_out(d.get(c)) for c in columns] for d in documents)
        first, last = (int(documents[i].get(POSITION) or 0) for i in (0, -1))
        name = f"wijzigingen-{first:012d}-{last:012d}.csv"
        hidden = self.outgoing_folder / f".{name}.tmp"
        try:
            hidden.write_bytes(buffer.getvalue().encode(spec.encoding, errors="replace"))
            os.replace(hidden, self.outgoing_folder / name)
        except OSError as exc:
            raise PartnerUnavailable(f"the export folder cannot be written ({type(exc).__name__})") from exc

    def _ensure_folders(self) -> None:
        try:
            for folder in (self.incoming, self.applied, self.rejected, self.outgoing_folder):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PartnerUnavailable(f"the drop folder cannot be used ({type(exc).__name__})") from exc

    def _write_rejects(self, name: str, rows: list[list[str]]) -> None:
        target = self.rejected / f"{Path(name).stem}.afgewezen.csv"
        new = not target.exists()
        with target.open("a", encoding="utf-8-sig" if new else "utf-8", newline="") as file:
            writer = csv.writer(file, delimiter=";", lineterminator="\r\n")
            if new:
                writer.writerow(REJECTS_HEADER)
            writer.writerows(rows)


def _cell_in(value: Any) -> Any:
    text = (value or "").strip() if isinstance(value, str) or value is None else value
    if isinstance(text, str) and (dutch := DUTCH_DATE.match(text)):
        day, month, year = dutch.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return text


def _cell_out(value: Any) -> str:
    """A value in one cell: dates as dd-mm-jjjj, an object as `name: value` pairs, a list item per line."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(_cell_out(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell_out(v)}" for k, v in value.items() if v is not None)
    text = str(value)
    if iso := ISO_DATE.match(text):
        year, month, day = iso.groups()
        return f"{day}-{month}-{year}"
    return text
