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


# -- sizes served to agents (issue 21, R-CAT-9) -------------------------------------------

CARD = "vignette"  # cut to 16:9 for the cards and the gallery's thumbnails
PHOTO = "photo"  # the whole picture, for the offer page's gallery
CARD_RATIO = (16, 9)
WIDTHS = {CARD: (320, 640), PHOTO: (640, 1280)}
# URL suffix → Pillow's format, the content type and the encoder's options.
SIZE_FORMATS = {
    "webp": ("WEBP", "image/webp", {"quality": 78, "method": 2}),
    "jpg": ("JPEG", "image/jpeg", {"quality": 80, "optimize": True, "progressive": True}),
}
JPEG_BACKGROUND = (255, 255, 255)  # what a transparent pixel becomes in a JPEG


@dataclass(frozen=True)
class Size:
    """One derived file: ``kind`` (CARD or PHOTO), its pixels and its encoded bytes."""

    kind: str
    fmt: str  # a key of SIZE_FORMATS
    width: int
    height: int
    data: bytes

    @property
    def content_type(self) -> str:
        return SIZE_FORMATS[self.fmt][1]


def size_widths(source_width: int, widths: tuple[int, ...]) -> list[int]:
    """The widths made from a picture ``source_width`` wide: never wider than the source
    (no upscaling: a narrow picture gets its own width instead of the larger ones)."""
    return sorted({min(w, source_width) for w in widths})


def photo_widths(source_width: int) -> list[int]:
    return size_widths(source_width, WIDTHS[PHOTO])


def scaled_height(width: int, height: int, new_width: int) -> int:
    return max(1, round(height * new_width / width))


@dataclass(frozen=True)
class PhotoBox:
    """What an offer page's <img> announces: the photo widths made, and the largest one's
    pixels (its width and height attributes, so the page does not jump as it loads)."""

    widths: list[int]
    width: int
    height: int


def photo_box(width: int | None, height: int | None) -> PhotoBox | None:
    """None for a picture stored before its sizes were made (it has no pixels noted)."""
    if not width or not height:
        return None
    widths = photo_widths(width)
    return PhotoBox(widths, widths[-1], scaled_height(width, height, widths[-1]))


def card_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The centred 16:9 part of a ``width`` × ``height`` picture (left, top, right, bottom)."""
    rw, rh = CARD_RATIO
    if width * rh > height * rw:  # wider than 16:9: cut the sides
        new_w = max(1, round(height * rw / rh))
        left = (width - new_w) // 2
        return (left, 0, left + new_w, height)
    new_h = max(1, round(width * rh / rw))
    top = (height - new_h) // 2
    return (0, top, width, top + new_h)


def _flattened(image: Image.Image) -> Image.Image:
    """RGB on a white background: JPEG holds no transparency."""
    if image.mode == "RGB":
        return image
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, JPEG_BACKGROUND)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _encode(image: Image.Image, fmt: str, icc: bytes | None) -> bytes:
    pil_format, _, options = SIZE_FORMATS[fmt]
    out = BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    image.save(out, pil_format, **options, **extra)
    return out.getvalue()


@dataclass(frozen=True)
class Derived:
    """The stored picture's own pixels and every size made from it."""

    width: int
    height: int
    sizes: list[Size]


def derive_sizes(data: bytes) -> Derived:
    """Every size agents' pages ask for, from a stored (already cleaned) picture: the 16:9
    card cut at ``WIDTHS[CARD]`` and the whole picture at ``WIDTHS[PHOTO]``, each in WebP
    and in JPEG (transparency on white), never upscaled. Raise PictureError if unreadable."""
    try:
        with Image.open(BytesIO(data)) as opened:
            icc = opened.info.get("icc_profile")
            has_alpha = "A" in opened.mode or "transparency" in opened.info
            source = opened.convert("RGBA" if has_alpha else "RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise PictureError(UNREADABLE) from None
    width, height = source.size
    box = card_box(width, height)
    cuts = {CARD: (box, source.crop(box)), PHOTO: ((0, 0, width, height), source)}
    encoded: dict[tuple, bytes] = {}  # a 16:9 picture's card and photo of one width are equal
    sizes: list[Size] = []
    for kind, (cut, whole) in cuts.items():
        larger = whole  # widths from the largest down, each made from the one before it
        for new_width in reversed(size_widths(whole.width, WIDTHS[kind])):
            new_height = scaled_height(whole.width, whole.height, new_width)
            image = larger
            if image.size != (new_width, new_height):
                image = larger.resize(
                    (new_width, new_height), Image.Resampling.LANCZOS, reducing_gap=3.0
                )
            larger = image
            for fmt in SIZE_FORMATS:
                key = (cut, new_width, fmt)
                if key not in encoded:
                    pixels = _flattened(image) if fmt == "jpg" else image
                    encoded[key] = _encode(pixels, fmt, icc)
                sizes.append(Size(kind, fmt, new_width, new_height, encoded[key]))
    return Derived(width, height, sizes)
