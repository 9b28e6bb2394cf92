"""catalog.pictures (issue 17, defect 15): every mode a PNG, JPEG or WebP may come in is
stored in a mode its format can hold, without metadata."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from catalog.pictures import MAX_SIDE, PictureError, clean_picture


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    ("image", "fmt", "content_type", "mode"),
    [
        (Image.new("P", (4, 4)), "PNG", "image/png", "P"),
        (Image.new("LA", (4, 4), (9, 100)), "PNG", "image/png", "LA"),
        (Image.new("I;16", (4, 4)), "PNG", "image/png", "RGB"),
        (Image.new("CMYK", (4, 4), (0, 0, 0, 0)), "JPEG", "image/jpeg", "RGB"),
        (Image.new("L", (4, 4), 90), "JPEG", "image/jpeg", "L"),
        (Image.new("RGBA", (4, 4), (1, 2, 3, 4)), "WEBP", "image/webp", "RGBA"),
        (Image.new("RGB", (4, 4), (1, 2, 3)), "WEBP", "image/webp", "RGB"),
    ],
    ids=["png-p", "png-la", "png-16bit", "jpeg-cmyk", "jpeg-grey", "webp-alpha", "webp"],
)
def test_defect_15_each_mode_is_re_encoded_in_its_format(image, fmt, content_type, mode):
    cleaned = clean_picture(_encoded(image, fmt), content_type)
    stored = Image.open(BytesIO(cleaned.data))
    assert stored.format == fmt and stored.mode == mode
    assert (cleaned.width, cleaned.height) == stored.size == (4, 4)
    assert not stored.getexif()


def test_defect_15_the_limit_is_on_each_side():
    ok = clean_picture(_encoded(Image.new("1", (MAX_SIDE, 1)), "PNG"), "image/png")
    assert ok.width == 2400  # shrunk to the stored size
    with pytest.raises(PictureError, match="celle-ci : 6\u202f001 × 1"):
        clean_picture(_encoded(Image.new("1", (MAX_SIDE + 1, 1)), "PNG"), "image/png")


def test_defect_15_a_jpeg_named_png_content_type_is_unreadable():
    with pytest.raises(PictureError, match="illisible"):
        clean_picture(_encoded(Image.new("RGB", (2, 2)), "JPEG"), "image/png")
