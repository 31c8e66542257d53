"""What people read for the codes InfluxDB stores: districts and mount types, Korean first."""

from __future__ import annotations

from collector.districts import SEOUL_DISTRICTS
from collector.inventory.model import Mount
from collector.reports.writers.labels import kind_name, mount_name

DISTRICTS: dict[str, str] = {d.code: f"{d.name_ko} {d.name_en}" for d in SEOUL_DISTRICTS}
MOUNTS: dict[str, str] = {
    m.value: f"{mount_name(m.value, 'ko')} {mount_name(m.value, 'en')}" for m in Mount
}
KINDS: dict[str, str] = {
    k: f"{kind_name(k, 'ko')} {kind_name(k, 'en')}" for k in ("replacement", "new")
}
