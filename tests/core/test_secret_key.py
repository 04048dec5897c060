"""A secret key per install: made once in the data directory when none is set, shared
by every process reading that directory; old keys keep verifying what they signed
(bounces to return paths of mail already sent) while they are listed as fallbacks."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from inbound.inboundmail import dsn, ingest

from buzon.deliveries.models import Delivery
from buzon.deliveries.recording import Reply, record_handoffs
from buzon.mail.verp import return_path

PUBLISHED_DEFAULT = "insecure-dev-key-change-me-in-production-0123456789"
PRINT_KEYS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SECRET_KEY); print(','.join(settings.SECRET_KEY_FALLBACKS))"
)


def settings_in(data_dir, **env: str) -> tuple[str, str]:
    """(SECRET_KEY, SECRET_KEY_FALLBACKS) as a fresh process with this data dir sees them."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BUZON_SECRET_KEY")}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_KEYS],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "buzon.settings",
            "BUZON_DATA_DIR": str(data_dir),
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    key, fallbacks = result.stdout.split("\n")[:2]
    return key, fallbacks


def test_without_a_key_each_install_makes_its_own_once_and_keeps_it(tmp_path):
    first, _ = settings_in(tmp_path / "one")
    again, _ = settings_in(tmp_path / "one")
    other, _ = settings_in(tmp_path / "two")
    assert first == again != other
    assert len(first) >= 50 and first != PUBLISHED_DEFAULT
    path = tmp_path / "one" / "secret_key"
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "one").iterdir() if p.name.startswith(".")] == []


def test_processes_starting_together_agree_on_one_key(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BUZON_SECRET_KEY")}
    env = {**clean, "DJANGO_SETTINGS_MODULE": "buzon.settings", "BUZON_DATA_DIR": str(tmp_path)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PRINT_KEYS], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    keys = {p.communicate(timeout=60)[0].split("\n")[0] for p in processes}
    assert len(keys) == 1 and keys == {(tmp_path / "secret_key").read_text().strip()}


def test_a_key_from_the_environment_is_used_and_nothing_is_written(tmp_path):
    key, fallbacks = settings_in(
        tmp_path,
        BUZON_SECRET_KEY="k" * 60,
        BUZON_SECRET_KEY_FALLBACKS=" old-one-0123456789 , older-two-0123456789,",
    )
    assert key == "k" * 60
    assert fallbacks == "old-one-0123456789,older-two-0123456789"
    assert not (tmp_path / "secret_key").exists()


@pytest.fixture
def handed_off(ticket) -> dict[str, Delivery]:
    record_handoffs([(d, Reply(250)) for d in Delivery.objects.filter(ticket=ticket)])
    return {d.email: d for d in Delivery.objects.filter(ticket=ticket)}


def test_bounces_to_return_paths_signed_with_an_old_key_count_while_it_is_listed(
    handed_off, settings
):
    old_key = settings.SECRET_KEY
    ana, carla = handed_off["ana@example.com"], handed_off["carla@example.com"]
    ana_path, carla_path = return_path(ana.return_token), return_path(carla.return_token)

    settings.SECRET_KEY = "the-new-key-after-rotation-" + "n" * 40
    settings.SECRET_KEY_FALLBACKS = [old_key]
    row = ingest(dsn(ana), "", [ana_path])
    assert (row.state, row.outcome) == ("processed", "recorded")
    ana.refresh_from_db()
    assert ana.state == "failed"

    settings.SECRET_KEY_FALLBACKS = []
    row = ingest(dsn(carla), "", [carla_path])
    assert row.state == "unmatched"
    carla.refresh_from_db()
    assert carla.state == "handed_off"
