"""A plausible device per platform, for demos and tests of the CLI without a whole lab."""

from __future__ import annotations

import copy
import hashlib

from collector.lab.state import Config, DeviceState, Radio, Ssid

_MODELS: dict[str, tuple[str, str, str]] = {  # platform -> (model, standard, firmware)
    "cisco_ios_ap": ("AIR-CAP3702I-K-K9", "wifi5", "15.3(3)JD17"),
    "aruba_instant": ("AP-515", "wifi6", "8.10.0.6_86000"),
    "mikrotik_routeros": ("RBcAPGi-5acD2nD", "wifi5", "6.49.10"),
    "net-snmp": ("hostapd-6e", "wifi6e", "hostapd 2.10"),
}


def sample_state(platform: str, ap_id: str, *, boot_time: float = 1_700_000_000.0) -> DeviceState:
    """Two SSIDs (open ``Seoul_Free_WiFi`` and secure ``Seoul_Secure``) on 2.4 and 5 GHz radios,
    plus 6 GHz for Wi-Fi 6E; running == saved."""
    model, standard, firmware = _MODELS[platform]
    radios = [Radio(1, "2.4GHz", 6, 17), Radio(2, "5GHz", 36, 20)]
    if standard in ("wifi6e", "wifi7"):
        radios.append(Radio(3, "6GHz", 37, 20))
    config = Config(
        hostname=ap_id.lower(),
        radios=radios,
        ssids=[Ssid("Seoul_Free_WiFi", 100, secure=False), Ssid("Seoul_Secure", 101)],
    )
    return DeviceState(
        ap_id=ap_id,
        platform=platform,
        model=model,
        standard=standard,
        firmware=firmware,
        serial="LAB" + hashlib.sha256(ap_id.encode()).hexdigest()[:8].upper(),
        location="lab",
        running=config,
        saved=copy.deepcopy(config),
        boot_time=boot_time,
        counter_epoch=boot_time,
    )
