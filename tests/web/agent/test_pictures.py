"""Offer pictures on agents' pages (issue 21, R-CAT-9): sizes made at upload and served with long
cache headers, <picture> with WebP and JPEG, srcset/sizes and width/height on cards and in
the offer page's gallery; the same 404s as the picture itself (R-CAT-4, R-PAR-10)."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.factories import NOW_PARIS, _upload, login_agent, login_staff


class _Admin:
    role = "admin"
    partner_id = None
    audit_label = "staff:test-admin"


def _jpeg(width: int = 1600, height: int = 900, colour=(30, 90, 160)) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def agent_client(client, make_agent, clock):
    clock.set(NOW_PARIS)
    number, code = make_agent(region="Rhône-Alpes")
    assert login_agent(client, number, code).status_code == 302
    return client


def _add(app, oid: int, data: bytes, alt: str = "La salle") -> int:
    from catalog.services import add_picture

    with app.app_context():
        return add_picture(oid, data, alt, _Admin()).id


def _sizes(app, picture_id: int):
    from catalog.models import OfferPictureSize
    from shop.db import session

    with app.app_context():
        return {
            (z.kind, z.fmt, z.width): (z.height, z.digest)
            for z in session().scalars(
                select(OfferPictureSize).where(OfferPictureSize.picture_id == picture_id)
            )
        }


def test_issue_21_upload_makes_the_sizes_once(app, agent_client, make_offer):
    oid = make_offer(kind="billet_ouvert", title="Parc des Volcans")
    pid = _add(app, oid, _jpeg(1600, 900))
    sizes = _sizes(app, pid)
    assert set(sizes) == {
        (k, f, w)
        for k, ws in (("vignette", (320, 640)), ("photo", (640, 1280)))
        for f in ("webp", "jpg")
        for w in ws
    }
    # A 16:9 picture's card and photo 640 px wide are the same file, stored once.
    assert sizes[("vignette", "webp", 640)][1] == sizes[("photo", "webp", 640)][1]


def test_issue_21_a_size_is_served_with_long_cache_headers(app, agent_client, make_offer):
    oid = make_offer(kind="billet_ouvert", title="Parc des Volcans")
    pid = _add(app, oid, _jpeg())
    resp = agent_client.get(f"/images/{pid}/vignette-320.webp")
    assert resp.status_code == 200 and resp.mimetype == "image/webp"
    assert Image.open(BytesIO(resp.data)).size == (320, 180)
    assert resp.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    etag = resp.headers["ETag"].strip('"')
    assert etag == _sizes(app, pid)[("vignette", "webp", 320)][1]
    again = agent_client.get(
        f"/images/{pid}/vignette-320.webp", headers={"If-None-Match": f'"{etag}"'}
    )
    assert again.status_code == 304 and again.data == b""
    jpeg = agent_client.get(f"/images/{pid}/photo-1280.jpg")
    assert jpeg.mimetype == "image/jpeg" and Image.open(BytesIO(jpeg.data)).size == (1280, 720)


def test_issue_21_no_upscaling_a_wider_size_asked_gets_the_largest_made(
    app, agent_client, make_offer
):
    oid = make_offer(kind="billet_ouvert", title="Parc des Volcans")
    pid = _add(app, oid, _jpeg(500, 400))
    resp = agent_client.get(f"/images/{pid}/photo-1280.webp")
    assert resp.status_code == 200 and Image.open(BytesIO(resp.data)).size == (500, 400)
    card = agent_client.get(f"/images/{pid}/vignette-640.jpg")
    assert Image.open(BytesIO(card.data)).size == (500, 281)


def test_issue_21_r_cat_4_sizes_are_404_like_the_picture(app, agent_client, make_offer):
    from catalog.models import Offer
    from shop.db import session, unit_of_work

    breton = make_offer(kind="billet_ouvert", title="Festival des Embruns", region="Bretagne")
    hidden = make_offer(kind="billet_ouvert", title="Pas encore publiée")
    other = _add(app, breton, _jpeg())
    unpublished = _add(app, hidden, _jpeg())
    with app.app_context(), unit_of_work() as s:
        s.get(Offer, hidden).published = False
    for pid in (other, unpublished, 987654):
        assert agent_client.get(f"/images/{pid}/vignette-320.webp").status_code == 404
        assert agent_client.get(f"/images/{pid}").status_code == 404
    assert agent_client.get(f"/images/{other}/vignette-320.gif").status_code == 404
    assert agent_client.get(f"/images/{other}/grande-320.webp").status_code == 404
    with app.app_context():
        assert session().scalar(select(func.count()).select_from(Offer)) == 2


def test_issue_21_a_picture_without_sizes_is_served_as_stored(app, agent_client, make_offer):
    """Stored before migration 0020, until ``flask catalog pictures`` makes its sizes."""
    from catalog.models import OfferPicture, OfferPictureSize
    from catalog.picture_sizes import make_missing_sizes
    from shop.db import unit_of_work

    oid = make_offer(kind="billet_ouvert", title="Parc des Volcans")
    pid = _add(app, oid, _jpeg(800, 600))
    with app.app_context(), unit_of_work() as s:
        s.execute(OfferPictureSize.__table__.delete())
        s.get(OfferPicture, pid).width = None
    resp = agent_client.get(f"/images/{pid}/vignette-320.webp")
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert Image.open(BytesIO(resp.data)).size == (800, 600)
    page = agent_client.get(f"/offre/{oid}").get_data(as_text=True)
    assert f'src="/images/{pid}"' in page
    with app.app_context():
        assert make_missing_sizes() == (1, 0)
        assert make_missing_sizes() == (0, 0)  # nothing left: running it again does nothing
    assert len(_sizes(app, pid)) == 8  # 800 px wide: cards 320 and 640, photos 640 and 800
    assert agent_client.get(f"/images/{pid}/vignette-320.webp").mimetype == "image/webp"


def test_issue_21_deleting_a_picture_deletes_its_files_not_shared_ones(app, make_offer):
    from catalog.models import PictureFile
    from catalog.services import delete_picture
    from shop.db import session

    oid = make_offer(kind="billet_ouvert", title="Parc des Volcans")
    same = _jpeg()
    first, second = _add(app, oid, same), _add(app, oid, same)
    with app.app_context():
        files = session().scalar(select(func.count()).select_from(PictureFile))
        delete_picture(oid, first, _Admin())
        assert session().scalar(select(func.count()).select_from(PictureFile)) == files
        delete_picture(oid, second, _Admin())
        assert session().scalar(select(func.count()).select_from(PictureFile)) == 0


def test_issue_21_cards_show_a_responsive_picture(app, agent_client, make_offer):
    oid = make_offer(kind="billet_ouvert", title="Parc des Volcans", featured=True)
    pid = _add(app, oid, _jpeg())
    for url in ("/", "/categorie/parcs-et-loisirs", "/recherche?q=volcans"):
        page = agent_client.get(url).get_data(as_text=True)
        card = page[page.index('class="offer-card"') : page.index("Parc des Volcans</a>")]
        assert "<picture>" in card
        assert (
            f'<source type="image/webp" srcset="/images/{pid}/vignette-320.webp 320w, '
            f'/images/{pid}/vignette-640.webp 640w"' in card
        )
        img = re.search(r"<img [^>]*>", card).group(0)
        assert f'src="/images/{pid}/vignette-320.jpg"' in img
        assert f"/images/{pid}/vignette-640.jpg 640w" in img and 'sizes="' in img
        assert 'width="320" height="180"' in img
        assert 'alt=""' in img  # decorative: the title is the card's heading (WCAG H67)
        assert 'loading="lazy"' in img and 'decoding="async"' in img


def test_issue_21_offer_page_gallery(app, agent_client, make_offer):
    oid = make_offer(kind="billet_ouvert", title="Parc des Volcans")
    first = _add(app, oid, _jpeg(2400, 1600), alt="L'entrée du parc")
    second = _add(app, oid, _jpeg(600, 800), alt="")
    page = agent_client.get(f"/offre/{oid}").get_data(as_text=True)
    imgs = re.findall(r'<img class="offer-picture"[^>]*>', page)
    assert len(imgs) == 2
    assert 'alt="L&#39;entrée du parc"' in imgs[0] and 'width="1280" height="853"' in imgs[0]
    assert f"/images/{first}/photo-640.jpg 640w, /images/{first}/photo-1280.jpg 1280w" in imgs[0]
    assert "loading=" not in imgs[0] and 'fetchpriority="high"' in imgs[0]  # above the fold
    assert 'alt="Parc des Volcans — photo 2"' in imgs[1]  # no alt given: the title
    assert 'width="600" height="800"' in imgs[1] and 'loading="lazy"' in imgs[1]
    assert f'srcset="/images/{second}/photo-600.webp 600w"' in page
    # Without script: the row scrolls (focusable) and each thumbnail links to its photo.
    assert 'class="gallery-photos" tabindex="0" role="region"' in page
    assert 'id="photo-2"' in page and 'href="#photo-2"' in page
    assert "Photo 2 sur 2" in page


def test_issue_21_one_picture_is_no_gallery(app, agent_client, make_offer):
    oid = make_offer(kind="billet_ouvert", title="Parc des Volcans")
    _add(app, oid, _jpeg())
    page = agent_client.get(f"/offre/{oid}").get_data(as_text=True)
    assert page.count('class="offer-picture"') == 1 and "gallery-thumbs" not in page


def test_issue_21_partner_upload_makes_the_sizes(app, client, make_staff, make_offer, clock):
    assert login_staff(client, *make_staff("partner", partner="festibillet")).status_code == 302
    oid = make_offer(kind="billet_ouvert", partner="festibillet")
    assert _upload(client, oid, _jpeg(), name="photo.jpg").status_code == 302
    from catalog.models import OfferPicture
    from shop.db import session

    with app.app_context():
        pid = session().scalar(select(OfferPicture.id).where(OfferPicture.offer_id == oid))
    assert len(_sizes(app, pid)) == 8


def test_issue_21_templates_build_the_size_route_s_urls(app):
    """_picture.html appends ``/<kind>-<width>.<fmt>`` to the picture's URL (one url_for
    per picture): the same URL as the route's own."""
    from flask import url_for

    with app.test_request_context():
        base = url_for("agent.catalog.picture", picture_id=5)
        built = url_for(
            "agent.catalog.picture_size", picture_id=5, kind="photo", width=640, fmt="jpg"
        )
    assert built == f"{base}/photo-640.jpg"


def test_issue_21_the_command_makes_the_missing_sizes(app, make_offer):
    from catalog.models import OfferPictureSize
    from shop.db import unit_of_work

    oid = make_offer(kind="billet_ouvert", title="Parc des Volcans")
    pid = _add(app, oid, _jpeg(700, 700))
    with app.app_context(), unit_of_work() as s:
        s.execute(OfferPictureSize.__table__.delete())
    result = app.test_cli_runner().invoke(args=["catalog", "pictures"])
    assert result.exit_code == 0, result.output
    assert "Tailles d'images créées pour 1 image(s)." in result.stdout
    assert {w for (k, _, w) in _sizes(app, pid) if k == "photo"} == {640, 700}
