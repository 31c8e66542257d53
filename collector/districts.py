"""Seoul's 25 autonomous districts (자치구) with their administrative codes (시군구 코드)."""

from __future__ import annotations

from collector.inventory.model import District

SEOUL_DISTRICTS: tuple[District, ...] = (
    District("11110", "Jongno-gu", "종로구"),
    District("11140", "Jung-gu", "중구"),
    District("11170", "Yongsan-gu", "용산구"),
    District("11200", "Seongdong-gu", "성동구"),
    District("11215", "Gwangjin-gu", "광진구"),
    District("11230", "Dongdaemun-gu", "동대문구"),
    District("11260", "Jungnang-gu", "중랑구"),
    District("11290", "Seongbuk-gu", "성북구"),
    District("11305", "Gangbuk-gu", "강북구"),
    District("11320", "Dobong-gu", "도봉구"),
    District("11350", "Nowon-gu", "노원구"),
    District("11380", "Eunpyeong-gu", "은평구"),
    District("11410", "Seodaemun-gu", "서대문구"),
    District("11440", "Mapo-gu", "마포구"),
    District("11470", "Yangcheon-gu", "양천구"),
    District("11500", "Gangseo-gu", "강서구"),
    District("11530", "Guro-gu", "구로구"),
    District("11545", "Geumcheon-gu", "금천구"),
    District("11560", "Yeongdeungpo-gu", "영등포구"),
    District("11590", "Dongjak-gu", "동작구"),
    District("11620", "Gwanak-gu", "관악구"),
    District("11650", "Seocho-gu", "서초구"),
    District("11680", "Gangnam-gu", "강남구"),
    District("11710", "Songpa-gu", "송파구"),
    District("11740", "Gangdong-gu", "강동구"),
)

DISTRICTS_BY_CODE: dict[str, District] = {d.code: d for d in SEOUL_DISTRICTS}

# Seoul's bounding box, generously rounded: coordinates outside it are a typo.
SEOUL_LAT = (37.40, 37.72)
SEOUL_LON = (126.75, 127.20)
