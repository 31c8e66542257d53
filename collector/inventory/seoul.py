"""Reference data for generating realistic Seoul fleets: neighbourhoods, centres, proportions.

Proportions are documented estimates, not measurements: districts are weighted by population
(2024, in 10,000s) with a boost for the central tourist districts (Jongno-gu, Jung-gu), where
the city puts more street Wi-Fi per resident.
"""

from __future__ import annotations

from collector.inventory.model import Footfall, Mount, WifiStandard

# code: (weight, centre lat, centre lon, [dong, ...])
DISTRICT_DATA: dict[str, tuple[int, float, float, tuple[str, ...]]] = {
    "11110": (25, 37.5735, 126.9790, ("사직동", "청운효자동", "종로1·2·3·4가동", "혜화동")),
    "11140": (25, 37.5641, 126.9979, ("명동", "소공동", "회현동", "을지로동")),
    "11170": (22, 37.5326, 126.9905, ("이태원1동", "한남동", "용산2가동", "청파동")),
    "11200": (28, 37.5634, 127.0369, ("성수1가1동", "왕십리도선동", "행당1동", "금호1가동")),
    "11215": (34, 37.5385, 127.0823, ("화양동", "자양1동", "구의1동", "군자동")),
    "11230": (34, 37.5744, 127.0396, ("회기동", "청량리동", "장안1동", "제기동")),
    "11260": (38, 37.6066, 127.0927, ("면목본동", "상봉1동", "망우본동", "중화1동")),
    "11290": (43, 37.5894, 127.0167, ("성북동", "안암동", "정릉1동", "길음1동")),
    "11305": (29, 37.6396, 127.0257, ("미아동", "수유1동", "번동", "우이동")),
    "11320": (31, 37.6688, 127.0471, ("창1동", "쌍문1동", "방학1동", "도봉1동")),
    "11350": (50, 37.6542, 127.0568, ("상계1동", "중계1동", "공릉1동", "월계1동")),
    "11380": (46, 37.6027, 126.9291, ("불광1동", "응암1동", "진관동", "녹번동")),
    "11410": (31, 37.5791, 126.9368, ("신촌동", "연희동", "홍제1동", "충현동")),
    "11440": (37, 37.5663, 126.9019, ("서교동", "합정동", "망원1동", "상암동")),
    "11470": (44, 37.5170, 126.8664, ("목1동", "신정1동", "신월1동", "목5동")),
    "11500": (56, 37.5509, 126.8495, ("화곡1동", "등촌1동", "가양1동", "발산1동")),
    "11530": (40, 37.4954, 126.8874, ("구로3동", "신도림동", "개봉1동", "오류1동")),
    "11545": (23, 37.4569, 126.8955, ("가산동", "독산1동", "시흥1동")),
    "11560": (38, 37.5264, 126.8962, ("여의동", "영등포동", "당산1동", "문래동")),
    "11590": (38, 37.5124, 126.9393, ("노량진1동", "상도1동", "사당1동", "흑석동")),
    "11620": (49, 37.4784, 126.9516, ("신림동", "서원동", "낙성대동", "청룡동")),
    "11650": (41, 37.4837, 127.0324, ("서초1동", "반포1동", "양재1동", "방배1동")),
    "11680": (54, 37.5172, 127.0473, ("역삼1동", "삼성1동", "압구정동", "대치1동")),
    "11710": (65, 37.5145, 127.1059, ("잠실본동", "가락1동", "문정1동", "방이1동")),
    "11740": (46, 37.5301, 127.1238, ("천호1동", "성내1동", "길동", "암사1동")),
}

# (mount, share %, Korean label, APs per site (min, max))
MOUNT_MIX: tuple[tuple[Mount, int, str, tuple[int, int]], ...] = (
    (Mount.STREETLIGHT_POLE, 28, "가로등주", (1, 2)),
    (Mount.TRAFFIC_LIGHT_POLE, 18, "신호등주", (1, 2)),
    (Mount.CCTV_POLE, 12, "CCTV지주", (1, 1)),
    (Mount.SMART_POLE, 8, "스마트폴", (1, 2)),
    (Mount.BUS_STOP, 14, "버스정류소", (1, 2)),
    (Mount.PARK, 8, "공원", (2, 4)),
    (Mount.INDOOR, 10, "공공시설 실내", (2, 6)),
    (Mount.OTHER, 2, "기타", (1, 2)),
)

FOOTFALL_MIX: tuple[tuple[Footfall, int], ...] = (
    (Footfall.LOW, 30),
    (Footfall.MEDIUM, 40),
    (Footfall.HIGH, 22),
    (Footfall.VERY_HIGH, 8),
)

# platform: (share %, {standard: model})
PLATFORM_MODELS: dict[str, tuple[int, dict[WifiStandard, str]]] = {
    "cisco_ios_ap": (
        40,
        {
            WifiStandard.WIFI4: "AIR-CAP3602I",
            WifiStandard.WIFI5: "AIR-AP1832I",
            WifiStandard.WIFI6: "C9120AXI",
            WifiStandard.WIFI6E: "CW9166I",
            WifiStandard.WIFI7: "CW9178I",
        },
    ),
    "aruba_instant": (
        30,
        {
            WifiStandard.WIFI4: "IAP-105",
            WifiStandard.WIFI5: "IAP-215",
            WifiStandard.WIFI6: "AP-515",
            WifiStandard.WIFI6E: "AP-635",
            WifiStandard.WIFI7: "AP-735",
        },
    ),
    "mikrotik_routeros": (
        20,
        {
            WifiStandard.WIFI4: "RBcAP2n",
            WifiStandard.WIFI5: "RBcAPGi-5acD2nD",
            WifiStandard.WIFI6: "cAPGi-5HaxD2HaxD",
        },
    ),
    "net-snmp": (
        10,
        {
            WifiStandard.WIFI5: "OpenWrt-AC",
            WifiStandard.WIFI6: "OpenWrt-AX",
        },
    ),
}

STANDARD_MIX: tuple[tuple[WifiStandard, int], ...] = (
    (WifiStandard.WIFI4, 8),
    (WifiStandard.WIFI5, 62),
    (WifiStandard.WIFI6, 25),
    (WifiStandard.WIFI6E, 4),
    (WifiStandard.WIFI7, 1),
)

# The 2025 plan from the press release: 450 of about 34,000 APs replaced by Wi-Fi 6 or later.
REPLACEMENT_SHARE = 450 / 34_000
