"""Pictures drawn for the demo offers (issue 21): a gradient, a few shapes, the category's
initial and the offer's title, from a seed derived from the title. Drawn by Pillow, with
the DejaVu font when the system has it: no download, the same picture on every run."""

from __future__ import annotations

import hashlib
import random
import textwrap
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont, ImageOps
from sqlalchemy import insert, select

from catalog.models import OfferPicture, OfferPictureSize
from catalog.picture_sizes import digest_of, size_rows, store_files, store_sizes
from catalog.pictures import Derived, derive_sizes
from shop import clock
from shop.db import session, unit_of_work

# Two colours per category (top left → bottom right), dark enough under white text.
PALETTES = {
    "spectacles": ("#5b1a3a", "#c2417a"),
    "concerts": ("#1f2a6b", "#6a4fc4"),
    "sport": ("#0d4d2b", "#2f9e5b"),
    "parcs-et-loisirs": ("#0b4f6c", "#20a4c9"),
    "cinema": ("#2b2b2b", "#8a5a2b"),
    "cartes-et-cheques": ("#6b3b00", "#d0871b"),
    "abonnements-magazines": ("#3b3b6b", "#4f8fc4"),
    "cheques-culture": ("#5a2a6b", "#b04fc4"),
    "sejours": ("#00536b", "#2fbf9f"),
}
_FALLBACK = ("#263238", "#607d8b")
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
SIZE = (800, 450)


@cache
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _FONT_DIRS:
        path = Path(folder) / name
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


@cache
def _gradient(size: tuple[int, int]) -> Image.Image:
    """A diagonal ramp 0 → 255, shared by every picture of that size."""
    ramp = Image.linear_gradient("L").rotate(45, expand=True, resample=Image.Resampling.BILINEAR)
    side, inner = ramp.width, ramp.width // 2  # the square inside the turned one
    box = ((side - inner) // 2, (side - inner) // 2, (side + inner) // 2, (side + inner) // 2)
    return ramp.crop(box).resize(size, Image.Resampling.BILINEAR)


def draw_picture(
    title: str, category: str, *, size: tuple[int, int] = SIZE, fmt: str = "JPEG"
) -> bytes:
    """The demo picture of an offer: distinct per title, identical on every run."""
    rng = random.Random(hashlib.sha256(f"{category}\x1f{title}".encode()).digest())
    start, end = PALETTES.get(category, _FALLBACK)
    w, h = size
    image = ImageOps.colorize(_gradient(size), start, end).convert("RGBA")
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(rng.randint(4, 7)):
        x, y = rng.randrange(-w // 6, w), rng.randrange(-h // 6, h)
        r = rng.randrange(h // 10, h // 2)
        colour = (255, 255, 255, rng.randrange(25, 70))
        if rng.random() < 0.6:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rounded_rectangle((x - r, y - r // 2, x + r, y + r // 2), r // 5, fill=colour)
    image = Image.alpha_composite(image, layer)
    draw = ImageDraw.Draw(image)
    initial = (category[:1] or "?").upper()
    draw.text((w * 0.06, h * 0.06), initial, font=_font(h // 3, True), fill=(255, 255, 255, 235))
    lines = textwrap.wrap(title, width=24)[:3]
    font = _font(max(12, h // 12), True)
    line_h = int(h / 10)
    y = int(h - h * 0.08 - line_h * len(lines))
    for line in lines:
        draw.text((w * 0.06, y), line, font=font, fill=(255, 255, 255, 255))
        y += line_h
    out = BytesIO()
    rgb = image.convert("RGB")
    if fmt == "JPEG":
        rgb.save(out, "JPEG", quality=82, optimize=True)
    else:
        rgb.save(out, fmt, quality=80)
    return out.getvalue()


# -- seeding ---------------------------------------------------------------------------------

GALLERY_PICTURES = 3  # the first offer of each category shows a gallery


def _alt(title: str) -> str:
    return f"Visuel de démonstration : {title}"[:200]


def seed_pictures(offers: list[tuple[int, str, str]]) -> int:
    """A picture of its own for each ``(offer id, title, category)`` without any (three for
    the first of each category); returns how many pictures were added."""
    if not offers:
        return 0
    have = set(session().scalars(select(OfferPicture.offer_id).distinct()))
    seen_categories: set[str] = set()
    added = 0
    for offer_id, title, category in offers:
        first = category not in seen_categories
        seen_categories.add(category)
        if offer_id in have:
            continue
        count = GALLERY_PICTURES if first else 1
        with unit_of_work() as s:
            for position in range(count):
                key = title if position == 0 else f"{title} ({position + 1})"
                data = draw_picture(key, category)
                derived = derive_sizes(data)
                picture = OfferPicture(
                    offer_id=offer_id,
                    position=position,
                    content_type="image/jpeg",
                    alt=_alt(title) if position == 0 else f"{_alt(title)}, photo {position + 1}",
                    data=data,
                    created_at=clock.utcnow(),
                )
                s.add(picture)
                s.flush()
                store_sizes(s, picture, derived)
                added += 1
    return added


LARGE_VARIETY = 3  # distinct pictures per category in the benchmark catalog
LARGE_SIZE = (640, 360)


def large_picture_set(categories: list[str]) -> dict[str, list[tuple[bytes, Derived]]]:
    """A few small pictures per category, drawn once and shared by the benchmark catalog's
    offers (each offer still has its own picture row; equal files are stored once)."""
    return {
        category: [
            (data, derive_sizes(data))
            for data in (
                draw_picture(f"{category} {n}", category, size=LARGE_SIZE, fmt="WEBP")
                for n in range(1, LARGE_VARIETY + 1)
            )
        ]
        for category in categories
    }


def insert_large_pictures(
    s: Any, offers: list[tuple[int, str]], made: dict[str, list[tuple[bytes, Derived]]]
) -> int:
    """One picture per ``(offer id, category)``, with Core bulk inserts (seed_large)."""
    if not offers:
        return 0
    store_files(s, [z for pictures in made.values() for _, d in pictures for z in d.sizes])
    now = clock.utcnow()
    chosen = [(oid, made[cat][oid % len(made[cat])]) for oid, cat in offers]
    ids = s.scalars(
        insert(OfferPicture).returning(OfferPicture.id, sort_by_parameter_order=True),
        [
            {
                "offer_id": oid,
                "position": 0,
                "content_type": "image/webp",
                "alt": "",
                "data": data,
                "width": derived.width,
                "height": derived.height,
                "created_at": now,
            }
            for oid, (data, derived) in chosen
        ],
    ).all()
    rows: list[dict[str, Any]] = []
    for picture_id, (_, (_, derived)) in zip(ids, chosen, strict=True):
        names = {id(z): digest_of(z.data) for z in derived.sizes}
        rows += size_rows(picture_id, derived.sizes, names)
    s.execute(insert(OfferPictureSize), rows)
    return len(ids)
