"""Reading the site's database from a test."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import ColumnElement, func, select


async def count_rows(app: FastAPI, model: type[Any], *where: ColumnElement[bool]) -> int:
    """How many rows of ``model`` match every condition in ``where``."""
    async with app.state.db.session() as session:
        statement = select(func.count()).select_from(model).where(*where)
        return int(await session.scalar(statement))
