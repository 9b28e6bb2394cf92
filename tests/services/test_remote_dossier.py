"""The remote dossier service over HTTP/JSON (R-DOS-4): timeout, cache, stale on error.

A real HTTP server on loopback plays the dossier service; switches make it answer 404,
500, something that is not JSON, a record that does not parse, or too slowly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from auth.services import issue_access_code
from members.dossier_format import Child
from members.dossiers import DossierServiceUnavailable, RemoteDossierSource, dossier_source
from tests.dossier_standin import PREFIX, FakeDossierService
from tests.factories import login_agent
from tests.harness import wait_until


@pytest.fixture
def remote(
    app: Any, dossier_service: FakeDossierService, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeDossierService]:
    """The app configured for the remote service; config and cache restored afterwards."""
    monkeypatch.setitem(app.config, "DOSSIER_SERVICE_URL", dossier_service.url)
    monkeypatch.setitem(app.config, "DOSSIER_SERVICE_TIMEOUT", 1.0)
    monkeypatch.setitem(app.config, "DOSSIER_CACHE_SECONDS", 60)
    monkeypatch.setitem(app.config, "DOSSIER_RETRY_SECONDS", 0)  # tests/faults test it
    RemoteDossierSource.clear_cache()
    try:
        yield dossier_service
    finally:
        RemoteDossierSource.clear_cache()


def test_r_dos_4_default_is_the_embedded_source(ctx, app):
    from members.dossiers import LocalDossierSource

    assert not app.config["DOSSIER_SERVICE_URL"]
    assert isinstance(dossier_source(), LocalDossierSource)


def test_r_dos_4_remote_record_is_read_and_parsed(ctx, remote):
    spouse = remote.add(household_id="H-REMOTE-1")
    data = remote.add(
        household_id="H-REMOTE-1",
        qf=512.5,
        status="retraite",
        children=[{"prenom": "Léo", "birth_date": "2014-03-02", "fiscal_status": "alternee"}],
    )
    data["household_members"] = [data["cgos_number"], spouse["cgos_number"]]
    number = data["cgos_number"]

    source = dossier_source()
    assert isinstance(source, RemoteDossierSource)
    record = source.get(number)

    assert record is not None
    assert record.cgos_number == number
    assert (record.nom, record.prenom, record.region) == ("Testeuse", "Camille", "Rhône-Alpes")
    assert record.birth_date == date(1984, 5, 20)
    assert record.status == "retraite"
    assert record.qf_cents == 51250
    assert record.household_id == "H-REMOTE-1"
    assert record.children == (Child("Léo", date(2014, 3, 2), "alternee"),)
    assert source.household_members(record) == [number, spouse["cgos_number"]]
    # household_members came from the cached answer, not from a second request.
    assert remote.requests == [f"{PREFIX}{number}"]


def test_r_dos_4_household_defaults_to_the_agent_alone(ctx, remote):
    data = remote.add()
    source = dossier_source()
    record = source.get(data["cgos_number"])
    assert source.household_members(record) == [data["cgos_number"]]


def test_r_dos_4_unknown_number_is_none(ctx, remote):
    remote.add()
    assert dossier_source().get("99999999Z") is None
    assert remote.requests == [f"{PREFIX}99999999Z"]


@pytest.mark.parametrize("mode", ["500", "not_json", "bad_record"])
def test_r_dos_4_bad_answer_is_unavailable(ctx, remote, mode):
    number = remote.add()["cgos_number"]
    remote.mode = mode
    with pytest.raises(DossierServiceUnavailable):
        dossier_source().get(number)
    assert len(remote.requests) == 1


def test_r_dos_4_slow_service_times_out_quickly(ctx, app, remote):
    number = remote.add()["cgos_number"]
    app.config["DOSSIER_SERVICE_TIMEOUT"] = 0.3
    remote.mode = "slow"
    remote.delay = 1.0

    started = time.monotonic()
    with pytest.raises(DossierServiceUnavailable):
        dossier_source().get(number)
    elapsed = time.monotonic() - started

    assert remote.requests == [f"{PREFIX}{number}"]
    assert elapsed < 0.9, f"waited {elapsed:.2f} s for a 0.3 s timeout"


def test_r_dos_4_cached_answer_within_ttl_makes_no_new_request(ctx, remote):
    data = remote.add()
    number = data["cgos_number"]

    first = dossier_source().get(number)
    remote.dossiers[number] = {**data, "nom": "Changé"}
    second = dossier_source().get(number)  # a new source object: the cache is shared

    assert first == second
    assert second.nom == "Testeuse"
    assert remote.requests == [f"{PREFIX}{number}"]
    # Unknown answers are cached too.
    assert dossier_source().get("99999999Z") is None
    assert dossier_source().get("99999999Z") is None
    assert len(remote.requests) == 2


def test_r_dos_4_expired_cache_asks_again(ctx, app, remote):
    data = remote.add()
    number = data["cgos_number"]
    app.config["DOSSIER_CACHE_SECONDS"] = 0

    dossier_source().get(number)
    remote.dossiers[number] = {**data, "nom": "Changé"}

    assert dossier_source().get(number).nom == "Changé"
    assert len(remote.requests) == 2


@pytest.mark.parametrize("mode", ["500", "not_json", "slow"])
def test_r_dos_4_stale_cache_is_served_when_the_service_is_down(ctx, app, remote, mode):
    number = remote.add()["cgos_number"]
    app.config["DOSSIER_CACHE_SECONDS"] = 0  # every lookup goes back to the service
    app.config["DOSSIER_SERVICE_TIMEOUT"] = 0.3
    remote.delay = 1.0
    fresh = dossier_source().get(number)

    remote.mode = mode
    stale = dossier_source().get(number)

    assert stale == fresh
    assert len(remote.requests) == 2  # it did try the service first
    RemoteDossierSource.clear_cache()
    with pytest.raises(DossierServiceUnavailable):
        dossier_source().get(number)


def test_r_dos_4_a_fresh_process_has_the_kept_answer_until_its_keep_lapses(
    ctx, app, remote, fake_redis
):
    """The last good answer is kept in Redis for DOSSIER_KEEP_SECONDS: a fresh process
    serves it while the service fails, and no longer once Redis expired it."""
    # Two seconds: the fresh process's read lands inside them even on a slow machine.
    fake = fake_redis(DOSSIER_KEEP_SECONDS=2)
    number = remote.add()["cgos_number"]
    fresh = dossier_source().get(number)
    [key] = fake.keys("*dossier:*")
    assert 0 < fake.pttl(key) <= 2000

    remote.mode = "500"
    RemoteDossierSource.clear_cache()  # a fresh process
    assert dossier_source().get(number) == fresh
    assert wait_until(lambda: fake.keys("*dossier:*") == [])
    RemoteDossierSource.clear_cache()
    with pytest.raises(DossierServiceUnavailable):
        dossier_source().get(number)


@pytest.mark.parametrize("mode", ["500", "slow"])
def test_r_dos_4_login_while_service_down_explains_and_does_not_crash(app, client, remote, mode):
    number = remote.add()["cgos_number"]
    app.config["DOSSIER_SERVICE_TIMEOUT"] = 0.3
    remote.delay = 1.0
    with app.app_context():
        issue_access_code(number, actor="test", send=False, code="ABCD2345")

    remote.mode = mode
    RemoteDossierSource.clear_cache()
    # More attempts than the lock threshold (R-GATE-5): an outage is not the agent's fault.
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
        resp = login_agent(client, number, "ABCD2345")
        body = resp.get_data(as_text=True)
        assert 400 <= resp.status_code < 600
        assert resp.status_code != 500
        assert "temporairement indisponible" in body
        assert "Traceback" not in body
        assert "Identifiants incorrects" not in body

    remote.mode = "ok"
    resp = login_agent(client, number, "ABCD2345")
    assert resp.status_code == 302, resp.get_data(as_text=True)
