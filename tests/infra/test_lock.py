"""The lock files (`make lock`) cover pyproject.toml, agree with each other, and bind what `make layers` installs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

from infra.layers import locked_versions, unlocked

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
LAMBDA, DEV, TRAIN = (REPO / f"requirements-{name}.txt" for name in ("lambda", "dev", "train"))


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def _requirements(*extras: str) -> list[Requirement]:
    specs = list(PROJECT["dependencies"]) if not extras else []
    for extra in extras:
        specs += PROJECT["optional-dependencies"][extra]
    # The dev extra names the project's own cli and infra extras: those are listed separately.
    return [req for req in map(Requirement, specs) if _name(req.name) != _name(PROJECT["name"])]


def _pins_here(lock: Path) -> dict[str, str]:
    """What pip installs from the lock on this machine: each pin whose markers hold here."""
    pins: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        spec, _, marker = line.split("#", maxsplit=1)[0].partition(";")
        if "==" in spec and (not marker.strip() or Marker(marker.strip()).evaluate()):
            name, version = spec.split("==")
            pins[_name(name.strip())] = version.strip()
    return pins


@pytest.mark.parametrize(
    ("lock", "extras"),
    [
        (LAMBDA, ()),
        (DEV, ()),
        (DEV, ("cli", "infra", "dev")),
        (TRAIN, ("cli", "infra", "dev", "train")),
    ],
    ids=["lambda", "dev-runtime", "dev", "train"],
)
def test_each_lock_pins_every_dependency_within_its_range(lock: Path, extras: tuple[str, ...]) -> None:
    pins = _pins_here(lock)
    for req in _requirements(*extras):
        assert _name(req.name) in pins, f"{lock.name} lacks {req.name}: run `make lock`"
        assert req.specifier.contains(pins[_name(req.name)], prereleases=True), (
            f"{lock.name} pins {req.name}=={pins[_name(req.name)]}, outside {req}: run `make lock`"
        )


def test_locks_agree_where_they_overlap() -> None:
    """Tests run the versions the layers ship; training adds to the dev environment without moving it."""
    lambda_pins, dev_pins, train_pins = (_pins_here(lock) for lock in (LAMBDA, DEV, TRAIN))
    assert {name: dev_pins.get(name) for name in lambda_pins} == lambda_pins
    assert {name: train_pins.get(name) for name in dev_pins} == dev_pins


def test_moto_is_pinned_exactly() -> None:
    """ticket_sentiment_tools/moto_server.py patches moto internals: a new release must be a deliberate change."""
    moto = next(req for req in _requirements("dev") if req.name == "moto")
    assert [spec.operator for spec in moto.specifier] == ["=="]
    assert _pins_here(DEV)["moto"] == _pins_here(TRAIN)["moto"] == next(iter(moto.specifier)).version


def test_train_lock_takes_the_cpu_build_of_torch() -> None:
    pins = locked_versions(TRAIN)
    assert pins["torch"]
    assert all(version.endswith("+cpu") for version in pins["torch"])
    assert not [name for name in pins if name.startswith(("nvidia-", "triton"))]
    assert "torch" not in locked_versions(DEV)


def test_a_layer_holding_an_unlocked_distribution_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("emoji==2.16.0\n    # via x\npydantic-core==2.50.5 ; python_version >= '3.11'\n")
    site = tmp_path / "python"
    for info in ("emoji-2.16.0", "pydantic_core-2.50.5", "tenacity-9.1.4", "selectolax-0.4.0"):
        (site / f"{info}.dist-info").mkdir(parents=True)
    assert unlocked(site, lock) == ["selectolax==0.4.0", "tenacity==9.1.4"]
    (tmp_path / "other.txt").write_text(lock.read_text() + "tenacity==9.1.4\nselectolax==0.3.0\n")
    assert unlocked(site, tmp_path / "other.txt") == ["selectolax==0.4.0"]
