"""Firmware images a lab AP can install: the lab's image server, as data.

Each model family in ``collector/lab/platforms/<platform>.yaml`` lists ``firmware_images``
(file name -> the version it installs). An upgrade command names a URL or a file; the lab
looks only at its last path component (any host is "the image server": the lab has no network
to fetch from) and refuses names its model does not list, so a typo in a change file fails as
it would on the AP. A state whose model is in no YAML file (the CLI samples) may install any
image of its platform.
"""

from __future__ import annotations

from collector.lab.platforms import load_platforms
from collector.lab.state import DeviceState


class UnknownImage(LookupError):
    """The image server has no such file for this AP (the dialect words the refusal)."""


def images_for(state: DeviceState) -> dict[str, str]:
    """Image name -> version, for ``state``'s model (every image of its platform if unknown)."""
    platform = load_platforms().get(state.platform)
    if platform is None:
        return {}
    for model in platform.models.values():
        if model.model == state.model:
            return dict(model.firmware_images)
    merged: dict[str, str] = {}
    for model in platform.models.values():
        merged.update(model.firmware_images)
    return merged


def image_name(location: str) -> str:
    """``tftp://10.0.0.9/dir/x.tar`` -> ``x.tar``; ``/tmp/x.bin`` -> ``x.bin``."""
    return location.rstrip("/").rsplit("/", 1)[-1]


def version_of(state: DeviceState, location: str) -> str:
    """The version the image at ``location`` installs. Raises :class:`UnknownImage`."""
    version = images_for(state).get(image_name(location))
    if version is None:
        raise UnknownImage(image_name(location))
    return version


def stage(state: DeviceState, location: str) -> str:
    """Install the image for the next boot (``state.reboot`` runs it); its version."""
    version = version_of(state, location)
    state.staged_firmware = version
    return version
