"""The benchmark's same-stack peer and bare endpoint, served beside the API in the same run.

`GET /items/{item_id}` is an authenticated item read as the FastAPI full-stack template serves it:
FastAPI, a bearer-token dependency decoding an HS256 JWT with python-jose, a SQLModel session on
SQLAlchemy's asyncpg driver, one `SELECT` by id and a response model. `GET /bare` answers a constant JSON
document: what FastAPI and uvicorn cost on their own. Run by `api_paths.py` with
`uvicorn peer:create_app --factory`; `PEER_DATABASE_URL` names the database, `PEER_SECRET` the key.
"""

import os
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jose import JWTError, jwt
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

ALGORITHM = "HS256"


class Item(SQLModel, table=True):
    __tablename__ = "peer_items"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str = Field(max_length=255)
    description: str | None = Field(default=None, max_length=255)
    owner_id: uuid.UUID


class ItemPublic(SQLModel):
    id: uuid.UUID
    title: str
    description: str | None
    owner_id: uuid.UUID


def create_app() -> FastAPI:
    engine = create_async_engine(os.environ["PEER_DATABASE_URL"], pool_size=5, max_overflow=5)
    secret = os.environ["PEER_SECRET"]
    app = FastAPI()
    bearer = HTTPBearer()

    async def session() -> AsyncIterator[AsyncSession]:
        async with AsyncSession(engine) as s:
            yield s

    def current_user(credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> uuid.UUID:
        try:
            claims = jwt.decode(credentials.credentials, secret, algorithms=[ALGORITHM])
            return uuid.UUID(claims["sub"])
        except (JWTError, KeyError, ValueError) as exc:
            raise HTTPException(status_code=403, detail="Could not validate credentials") from exc

    @app.get("/items/{item_id}", response_model=ItemPublic)
    async def read_item(
        item_id: uuid.UUID,
        user: Annotated[uuid.UUID, Depends(current_user)],
        s: Annotated[AsyncSession, Depends(session)],
    ) -> Item:
        item = await s.get(Item, item_id)
        if item is None or item.owner_id != user:
            raise HTTPException(status_code=404, detail="Item not found")
        return item

    @app.get("/bare")
    async def bare() -> dict[str, str]:
        return {"status": "ok"}

    return app


def token(secret: str, user: uuid.UUID) -> str:
    return str(jwt.encode({"sub": str(user)}, secret, algorithm=ALGORITHM))
