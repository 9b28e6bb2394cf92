"""catalog.pictures' sizes (issue 21, R-CAT-9): the 16:9 card cut and the whole photo, in WebP and
JPEG, at the listed widths or the picture's own when it is narrower (never upscaled)."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from catalog.pictures import (
    CARD,
    JPEG_BACKGROUND,
    PHOTO,
    PictureError,
    card_box,
    derive_sizes,
    photo_box,
    size_widths,
)


def _png(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _index(sizes):
    return {(z.kind, z.fmt, z.width): z for z in sizes}


def test_issue_21_a_large_picture_gets_every_width_in_both_formats():
    derived = derive_sizes(_png(Image.new("RGB", (2400, 1600), (10, 120, 200))))
    assert (derived.width, derived.height) == (2400, 1600)
    got = _index(derived.sizes)
    assert set(got) == {
        (kind, fmt, w)
        for kind, widths in ((CARD, (320, 640)), (PHOTO, (640, 1280)))
        for fmt in ("webp", "jpg")
        for w in widths
    }
    for (kind, fmt, w), size in got.items():
        image = Image.open(BytesIO(size.data))
        assert image.format == {"webp": "WEBP", "jpg": "JPEG"}[fmt]
        assert image.size == (size.width, size.height) and image.width == w
        if kind == CARD:
            assert size.width * 9 == size.height * 16  # 16:9
        else:
            assert size.height == round(1600 * w / 2400)  # whole picture, same ratio
        assert size.content_type == f"image/{'jpeg' if fmt == 'jpg' else 'webp'}"


def test_issue_21_no_upscaling_a_narrow_picture_keeps_its_own_width():
    sizes = _index(derive_sizes(_png(Image.new("RGB", (400, 300)))).sizes)
    assert {(k, w) for k, _, w in sizes} == {(CARD, 320), (CARD, 400), (PHOTO, 400)}
    assert (sizes[(CARD, "jpg", 400)].height, sizes[(PHOTO, "jpg", 400)].height) == (225, 300)
    tiny = derive_sizes(_png(Image.new("RGB", (100, 50)))).sizes
    assert {(z.width, z.height) for z in tiny if z.kind == CARD} == {(89, 50)}
    assert max(z.width for z in tiny) == 100


@pytest.mark.parametrize(
    ("width", "height", "box"),
    [
        (1600, 900, (0, 0, 1600, 900)),
        (1000, 1000, (0, 219, 1000, 781)),
        (2000, 900, (200, 0, 1800, 900)),
    ],
)
def test_issue_21_the_card_is_the_centred_16_9_part(width, height, box):
    assert card_box(width, height) == box


def test_issue_21_size_widths_and_the_photo_box():
    assert size_widths(2400, (640, 1280)) == [640, 1280]
    assert size_widths(900, (640, 1280)) == [640, 900]
    assert size_widths(500, (640, 1280)) == [500]
    box = photo_box(960, 540)
    assert box is not None and (box.widths, box.width, box.height) == ([640, 960], 960, 540)
    assert photo_box(None, None) is None  # stored before sizes existed


def test_issue_21_transparency_becomes_white_in_jpeg_and_stays_in_webp():
    image = Image.new("RGBA", (640, 360), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (0, 0, 320, 360))
    sizes = _index(derive_sizes(_png(image)).sizes)
    jpeg = Image.open(BytesIO(sizes[(CARD, "jpg", 640)].data)).convert("RGB")
    assert jpeg.getpixel((600, 180)) == pytest.approx(JPEG_BACKGROUND, abs=3)
    assert jpeg.getpixel((10, 180))[0] > 180
    webp = Image.open(BytesIO(sizes[(CARD, "webp", 640)].data))
    assert webp.mode == "RGBA" and webp.getpixel((600, 180))[3] == 0


def test_issue_21_palette_transparency_is_flattened_too():
    image = Image.new("P", (50, 50), 0)
    image.info["transparency"] = 0
    jpeg = _index(derive_sizes(_png(image)).sizes)[(PHOTO, "jpg", 50)]
    assert Image.open(BytesIO(jpeg.data)).convert("RGB").getpixel((25, 25)) == pytest.approx(
        JPEG_BACKGROUND, abs=3
    )


def test_issue_21_unreadable_bytes_are_a_picture_error():
    with pytest.raises(PictureError):
        derive_sizes(b"not a picture")
