"""Derived sizes of offer pictures (issue 21, R-CAT-9): made once when a picture is added,
stored in the database so every process serves the same bytes, each file once per SHA-256
digest. ``flask catalog pictures`` makes the sizes of pictures stored before they existed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, exists, insert, select

from catalog.models import OfferPicture, OfferPictureSize, PictureFile
from catalog.pictures import Derived, PictureError, Size, derive_sizes
from shop.db import unit_of_work


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_files(s: Any, sizes: Iterable[Size]) -> dict[int, str]:
    """Insert the files not stored yet; ``id(size)`` → digest for the size rows."""
    by_digest: dict[str, Size] = {}
    names: dict[int, str] = {}
    for size in sizes:
        digest = digest_of(size.data)
        by_digest.setdefault(digest, size)
        names[id(size)] = digest
    if by_digest:
        known = set(
            s.scalars(select(PictureFile.digest).where(PictureFile.digest.in_(list(by_digest))))
        )
        new = [
            {"digest": d, "content_type": size.content_type, "data": size.data}
            for d, size in by_digest.items()
            if d not in known
        ]
        if new:
            s.execute(insert(PictureFile), new)
    return names


def size_rows(picture_id: int, sizes: list[Size], names: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "picture_id": picture_id,
            "kind": size.kind,
            "fmt": size.fmt,
            "width": size.width,
            "height": size.height,
            "digest": names[id(size)],
        }
        for size in sizes
    ]


def store_sizes(s: Any, picture: OfferPicture, derived: Derived) -> None:
    """Write the sizes of ``picture`` (flushed, with its id) in the caller's transaction."""
    names = store_files(s, derived.sizes)
    s.execute(delete(OfferPictureSize).where(OfferPictureSize.picture_id == picture.id))
    if derived.sizes:
        s.execute(insert(OfferPictureSize), size_rows(picture.id, derived.sizes, names))
    picture.width, picture.height = derived.width, derived.height


def purge_unused_files(s: Any, digests: list[str] | None = None) -> int:
    """Delete the files no size refers to any more (their pictures were deleted), among
    ``digests`` (all files when None)."""
    stmt = delete(PictureFile).where(~exists().where(OfferPictureSize.digest == PictureFile.digest))
    if digests is not None:
        stmt = stmt.where(PictureFile.digest.in_(digests))
    return s.execute(stmt).rowcount or 0


def digests_of(s: Any, picture_id: int) -> list[str]:
    return list(
        s.scalars(select(OfferPictureSize.digest).where(OfferPictureSize.picture_id == picture_id))
    )


def make_missing_sizes(batch: int = 50) -> tuple[int, int]:
    """Sizes for every picture stored without them; ``(made, unreadable)``. One picture per
    transaction, so a long run holds no lock for long and can be stopped and run again."""
    made = unreadable = 0
    after = 0
    missing = ~exists().where(OfferPictureSize.picture_id == OfferPicture.id)
    while True:
        with unit_of_work() as s:
            ids = list(
                s.scalars(
                    select(OfferPicture.id)
                    .where(missing, OfferPicture.id > after)
                    .order_by(OfferPicture.id)
                    .limit(batch)
                )
            )
        if not ids:
            break
        after = ids[-1]
        for picture_id in ids:
            with unit_of_work() as s:
                picture = s.get(OfferPicture, picture_id)
                if picture is None:
                    continue
                try:
                    derived = derive_sizes(picture.data)
                except PictureError:
                    unreadable += 1  # served as stored (the original) until replaced
                    continue
                store_sizes(s, picture, derived)
                made += 1
    with unit_of_work() as s:
        purge_unused_files(s)
    return made, unreadable
