"""Offer pictures as agents' browsers will decode them (issue 17, defect 15): the size is
read from the header before any pixel is decoded, then the picture is decoded once, turned
upright and re-encoded in its own format without EXIF, XMP or text metadata (where a
phone puts its GPS position). No Flask, no database: bytes in, bytes out."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 6000  # pixels: a header announcing more is refused before decoding
MAX_PIXELS = 36_000_000  # 6000 × 6000
STORED_SIDE = 2400  # longest side kept: plenty for a page, light for a phone

# Sniffed content type → Pillow's format name and how it is written back.
FORMATS = {
    "image/png": ("PNG", {}),
    "image/jpeg": ("JPEG", {"quality": 85}),
    "image/webp": ("WEBP", {"quality": 85}),
}
_MODES = {
    "PNG": {"1", "L", "LA", "P", "RGB", "RGBA"},
    "JPEG": {"L", "RGB"},
    "WEBP": {"RGB", "RGBA"},
}


class PictureError(ValueError):
    """A picture refused; the message is French and shown beside the field."""


@dataclass(frozen=True)
class Picture:
    data: bytes
    width: int
    height: int


def _french(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


TOO_LARGE = f"Image trop grande : {_french(MAX_SIDE)} × {_french(MAX_SIDE)} pixels au plus."
UNREADABLE = "Image illisible ou abîmée : enregistrez-la de nouveau puis recommencez."


def clean_picture(data: bytes, content_type: str) -> Picture:
    """Check the dimensions from the header, then decode, turn upright, shrink to
    ``STORED_SIDE`` and re-encode without metadata; raise PictureError."""
    fmt, options = FORMATS[content_type]
    try:
        with warnings.catch_warnings():
            # Pillow warns, then refuses, past its own limit: both mean "too large" here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise PictureError(TOO_LARGE) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PictureError(UNREADABLE) from None
    with image:
        width, height = image.size
        if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
            raise PictureError(
                f"{TOO_LARGE[:-1]} (celle-ci : {_french(width)} × {_french(height)})."
            )
        try:
            if fmt == "JPEG":
                image.draft("RGB", (STORED_SIDE, STORED_SIDE))  # decode at a reduced scale
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((STORED_SIDE, STORED_SIDE), Image.Resampling.LANCZOS)
        except (OSError, SyntaxError, ValueError, EOFError):
            raise PictureError(UNREADABLE) from None
    icc = upright.info.get("icc_profile")
    if upright.mode not in _MODES[fmt]:
        has_alpha = "A" in upright.mode or "transparency" in upright.info
        upright = upright.convert("RGBA" if has_alpha and fmt != "JPEG" else "RGB")
        icc = None  # the profile described the old colour space
    # Only the pixels and the colour profile are written: no EXIF, XMP or text chunks.
    upright.info = {}
    out = BytesIO()
    upright.save(out, fmt, **options, **({"icc_profile": icc} if icc else {}))
    return Picture(out.getvalue(), upright.width, upright.height)
