"""A fake camera for the browser tests (R-PAR-9): a real e-billet of the store, drawn by
its own PDF code, rendered with pypdfium2 and written as a Y4M video that Chromium plays as
the webcam (``--use-file-for-fake-video-capture``)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
from PIL import Image

FRAME = (640, 480)


def pdf_page_image(pdf: bytes, scale: float = 3.0) -> Image.Image:
    """The PDF's first page as the agent's printer or phone would show it."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[0].render(scale=scale).to_pil().convert("RGB")
    finally:
        document.close()


def qr_frame(page: Image.Image, size: tuple[int, int] = FRAME) -> Image.Image:
    """The part of an e-billet page around its QR code (centred, below the details, above
    the notes), as a phone held over the ticket sees it: scaled into a white frame."""
    w, h = page.size
    crop = page.crop((int(w * 0.15), int(h * 0.25), int(w * 0.85), int(h * 0.80)))
    crop.thumbnail(size, Image.Resampling.LANCZOS)
    frame = Image.new("RGB", size, "white")
    frame.paste(crop, ((size[0] - crop.width) // 2, (size[1] - crop.height) // 2))
    return frame


def write_y4m(path: Path, image: Image.Image, frames: int = 10, fps: int = 10) -> Path:
    """YUV4MPEG2, 4:2:0 with JPEG (full-range) chroma siting: the header line, then per
    frame ``FRAME`` and the Y, U and V planes. Pillow's YCbCr is the JPEG one."""
    width, height = image.size
    assert width % 2 == 0 and height % 2 == 0, "4:2:0 needs even dimensions"
    y, cb, cr = image.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = (
        y.tobytes()
        + cb.resize(half, Image.Resampling.BOX).tobytes()
        + cr.resize(half, Image.Resampling.BOX).tobytes()
    )
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(planes)
    return path
