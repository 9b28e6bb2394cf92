"""Offer pictures (issue 17, defect 15): the dimensions are checked from the header before
anything is decoded, and what is stored is re-encoded upright without its metadata."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select

from tests.factories import _upload, audit_entries, error_beside, login_staff, page

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture
def partner_client(client, make_staff, clock):
    assert login_staff(client, *make_staff("partner", partner="festibillet")).status_code == 302
    return client


def _chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def huge_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit PNG of a few tens of kilobytes whatever its size: white rows,
    compressed row by row so the test never holds the raw image either."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def photo_with_gps(orientation: int = 6) -> bytes:
    """A 40 × 20 JPEG as a phone writes it: EXIF with a GPS position and an orientation
    (6: the camera was turned, the viewer must rotate it to 20 × 40)."""
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD).update(
        {1: "N", 2: (45.0, 45.0, 36.0), 3: "E", 4: (4.0, 50.0, 24.0)}  # Lyon
    )
    out = BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def _stored(app, oid: int):
    from catalog.models import OfferPicture
    from shop.db import session

    with app.app_context():
        pic = session().scalar(select(OfferPicture).where(OfferPicture.offer_id == oid))
        return None if pic is None else (pic.content_type, pic.data)


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (20_000, 20_000, "Image trop grande : 6\u202f000 × 6\u202f000 pixels au plus."),
        (
            7_000,
            10,
            "Image trop grande : 6\u202f000 × 6\u202f000 pixels au plus "
            "(celle-ci : 7\u202f000 × 10).",
        ),
    ],
)
def test_defect_15_a_huge_png_is_refused_before_decoding(
    app, partner_client, make_offer, width, height, message
):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    png = huge_png(width, height)
    assert len(png) < 2 * 1024 * 1024
    text = page(_upload(partner_client, oid, png), 422)
    assert error_beside(text, "picture") == message
    assert 'value="Le parc"' in text  # the description typed is kept
    assert _stored(app, oid) is None
    assert audit_entries(app, f"offer:{oid}", "offer.picture_added") == []


def test_defect_15_gps_and_orientation_are_gone_after_upload(app, partner_client, make_offer):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    photo = photo_with_gps()
    assert b"PhoneMaker" in photo and Image.open(BytesIO(photo)).getexif().get_ifd(GPS_IFD)
    assert _upload(partner_client, oid, photo, name="IMG_0001.jpg").status_code == 302
    content_type, data = _stored(app, oid)
    assert content_type == "image/jpeg"
    assert b"Exif" not in data and b"PhoneMaker" not in data
    stored = Image.open(BytesIO(data))
    assert stored.format == "JPEG" and stored.size == (20, 40)  # turned upright
    assert not stored.getexif()  # no GPS, no orientation, no maker
    [added] = audit_entries(app, f"offer:{oid}", "offer.picture_added")
    assert added.after["bytes"] == len(data)


def test_defect_15_png_text_metadata_is_dropped(app, partner_client, make_offer):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "adresse personnelle du photographe")
    out = BytesIO()
    Image.new("RGBA", (3, 2), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info)
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    assert _upload(partner_client, oid, out.getvalue()).status_code == 302
    content_type, data = _stored(app, oid)
    assert content_type == "image/png" and b"photographe" not in data
    stored = Image.open(BytesIO(data))
    assert stored.size == (3, 2) and stored.mode == "RGBA"
    assert stored.getpixel((0, 0)) == (0, 0, 255, 128)


def test_defect_15_a_large_photo_is_stored_at_2400_px(app, partner_client, make_offer):
    out = BytesIO()
    Image.new("RGB", (4000, 3000), (10, 120, 10)).save(out, "JPEG", quality=60)
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    assert _upload(partner_client, oid, out.getvalue(), name="parc.jpg").status_code == 302
    assert Image.open(BytesIO(_stored(app, oid)[1])).size == (2400, 1800)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # PNG magic, no image behind it
        b"\xff\xd8\xff\xe0" + b"garbage" * 10,
        b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 16,
    ],
    ids=["png", "jpeg", "webp"],
)
def test_defect_15_a_damaged_picture_is_refused_in_french(app, partner_client, make_offer, data):
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    text = page(_upload(partner_client, oid, data), 422)
    assert error_beside(text, "picture").startswith("Image illisible ou abîmée")
    assert _stored(app, oid) is None
