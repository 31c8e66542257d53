"""Every word the report prints, in Korean and English, and the few ways a number is shown.

Labels are looked up by a stable key (:func:`text`); the methodology (:func:`methodology`) and
the tariff lines (:func:`tariff_lines`) are built from the report's own fields, so a report
priced with another tariff or made month to date says so itself. Number formatting lives here
too, because it is the only arithmetic writers do: TB is bytes / 10^12 shown to 3 decimals,
ratios are shown as percentages; both round half to even. Nothing here computes a new figure.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

from collector.reports.table import (
    BYTES_PER_TB,
    AreaReport,
    Comparison,
    MonthlyReport,
    RolloutSection,
)
from collector.rollout import state as rollout_state
from collector.savings.compute import ESTIMATE_METHOD, ESTIMATE_METHOD_KO
from collector.savings.money import ROUNDING_RULE, ROUNDING_RULE_KO

LANGS = ("ko", "en")
KST = dt.timezone(dt.timedelta(hours=9), "KST")
NONE = "-"  # shown where a figure does not exist (no previous month, nothing expected)

_LABELS: dict[str, tuple[str, str]] = {
    "title": ("월간 공공와이파이 통신비 절감 보고서", "Monthly Public Wi-Fi Savings Report"),
    "title_other": ("Monthly Public Wi-Fi Savings Report", "월간 공공와이파이 통신비 절감 보고서"),
    "publisher": ("서울특별시 공공와이파이", "Seoul Metropolitan Government, public Wi-Fi"),
    "month": ("대상 월", "Month"),
    "period": ("집계 기간", "Period"),
    "month_to_date": (
        "월 중간 집계: {end}까지의 자료이며 월 전체의 수치가 아닙니다.",
        "Month to date: figures up to {end}, not the whole month.",
    ),
    "city": ("서울특별시", "Seoul"),
    "city_total": ("서울특별시 전체", "Seoul, all districts"),
    "code": ("시군구 코드", "District code"),
    "area": ("자치구", "District"),
    "name_ko": ("자치구명(한글)", "Name (Korean)"),
    "name_en": ("자치구명(영문)", "Name (English)"),
    "usage_tb": ("이용량(TB)", "Usage (TB)"),
    "bytes": ("이용량(바이트)", "Usage (bytes)"),
    "rx_bytes": ("수신(바이트)", "Received (bytes)"),
    "tx_bytes": ("송신(바이트)", "Sent (bytes)"),
    "sessions": ("접속 수", "Sessions"),
    "krw": ("절감액(원)", "Savings (KRW)"),
    "est_bytes": ("추정치(미수집 시간) 이용량(바이트)", "Estimate, uncovered time (bytes)"),
    "est_tb": ("추정치(미수집 시간) 이용량(TB)", "Estimate, uncovered time (TB)"),
    "est_krw": ("추정치(미수집 시간) 절감액(원)", "Estimate, uncovered time (KRW)"),
    "estimate": ("추정치(미수집 시간)", "Estimate for uncovered time"),
    "estimate_note": (
        "추정치(미수집 시간, 측정값에 더하지 않은 별도 수치): 이용량 {tb} TB, 절감액 {krw}원",
        "Estimate for uncovered time (kept apart, never added to the measured figures): "
        "{tb} TB, {krw} KRW",
    ),
    "coverage": ("커버리지", "Coverage"),
    "coverage_pct": ("커버리지(%)", "Coverage (%)"),
    "aps": ("AP 수", "APs"),
    "aps_with_gaps": ("수집 누락 AP 수", "APs with gaps"),
    "availability": ("가용률", "Availability"),
    "availability_pct": ("가용률(%)", "Availability (%)"),
    "change_prev_month": ("전월 대비", "vs previous month"),
    "change_prev_year": ("전년 동월 대비", "vs same month last year"),
    "mom": ("전월 대비", "Month on month"),
    "yoy": ("전년 동월 대비", "Year on year"),
    "change_prev_month_pct": ("전월 대비(%)", "vs previous month (%)"),
    "change_prev_year_pct": ("전년 동월 대비(%)", "vs same month last year (%)"),
    "top_sites": ("상위 사이트", "Top sites"),
    "by_mount": ("설치 유형별 이용량", "Usage by mount type"),
    "mount": ("설치 유형", "Mount type"),
    "daily": ("일별 이용량", "Daily usage"),
    "daily_chart": ("서울특별시 일별 이용량(TB)", "Seoul, daily usage (TB)"),
    "day": ("일자", "Day"),
    "day_axis": ("일", "day"),
    "rank": ("순위", "Rank"),
    "site": ("사이트 ID", "Site ID"),
    "site_name": ("사이트명", "Site"),
    "tariff": ("요금 기준", "Tariff"),
    "methodology": ("산정 방법", "Methodology"),
    "summary": ("요약", "Summary"),
    "districts": ("자치구별 현황", "By district"),
    "headline": ("서울특별시 주요 수치", "Seoul at a glance"),
    "figures": ("주요 수치", "Figures"),
    "changes": ("증감", "Change"),
    "generated": ("생성", "Generated"),
    "software": ("소프트웨어", "Software"),
    "page": ("{n} / {total} 쪽", "Page {n} of {total}"),
    "not_applicable": ("해당 없음", "n/a"),
    # --- the Wi-Fi 6 rollout section ---
    "rollout_title": (
        "와이파이6 교체·신설 (Wi-Fi 6 rollout)",
        "Wi-Fi 6 rollout (와이파이6 교체·신설)",
    ),
    "rollout_sheet": ("와이파이6 교체·신설", "Wi-Fi 6 rollout"),
    "rollout_none": (
        "와이파이6 교체·신설 (Wi-Fi 6 rollout): 인벤토리에 교체·신설 계획이 없습니다.",
        "Wi-Fi 6 rollout (와이파이6 교체·신설): the inventory has no replacement or new-AP "
        "programme.",
    ),
    "rollout_as_of": (
        "{moment} 기준 (보고 기간의 끝), {years}년 사업",
        "As of {moment} (the end of the report's period), programme of {years}",
    ),
    "rollout_no_store": (
        "이 데이터 디렉터리에 AP 관측 기록(rollout.sqlite)이 없어 설치 여부를 알 수 없습니다: "
        "계획·진행·지연만 표시합니다.",
        "No AP observations (rollout.sqlite) in the data directory: no AP can be seen "
        "installed, only planned, due and overdue are shown.",
    ),
    "rollout_no_ledger": (
        "원장 일별 사본(ledger.sqlite)이 없어 설치 전후 수치와 검증 결과가 없습니다.",
        "No daily ledger copy (ledger.sqlite): no before/after figures and no verdicts.",
    ),
    "rollout_totals": ("사업 현황", "Programme"),
    "rollout_districts": ("자치구별 교체·신설 현황", "Rollout by district"),
    "rollout_installs": ("이번 기간에 설치된 AP", "APs installed in the period"),
    "rollout_no_installs": (
        "이번 기간에 설치된 AP가 없습니다.",
        "No AP was installed in the period.",
    ),
    "rollout_more_installs": (
        "외 {n}대는 XLSX 파일의 표에 있습니다.",
        "{n} more are listed in the XLSX workbook.",
    ),
    "rollout_method": ("교체·신설 산정 방법", "How the rollout is counted"),
    "drift_outside": (
        "사업 외 AP 가운데 예상과 다른 모델로 응답하는 AP: {n}대",
        "APs outside the programme answering as an unexpected model: {n}",
    ),
    "item": ("항목", "Item"),
    "kind": ("구분", "Kind"),
    "kind_replacement": ("교체", "Replacement"),
    "kind_new": ("신설", "New"),
    "kind_all": ("합계", "Total"),
    "target": ("목표(보도자료)", "Target (press release)"),
    "plan_aps": ("계획 AP 수", "APs in the plan"),
    "done": ("설치 완료", "Done"),
    "done_of_target": ("목표 대비 설치율", "Done of target"),
    "done_of_plan": ("계획 대비 설치율", "Done of plan"),
    "installed_in_month": ("이번 기간 설치", "Installed in the period"),
    # the rollout states in full (headings, the totals' rows); state_name() gives short ones
    "state_planned": ("계획(분기 시작 전)", "Planned (quarter ahead)"),
    "state_due": ("진행 분기(설치 대기)", "Due (quarter under way)"),
    "state_overdue": ("지연(분기 경과)", "Overdue (quarter over)"),
    "state_installed": ("설치(검증 전)", "Installed (not verified yet)"),
    "state_verified": ("검증됨", "Verified"),
    "state_regressed": ("성능 저하", "Regressed"),
    "state_drift": ("모델 불일치", "Drift (another model)"),
    "ap": ("AP", "AP"),
    "quarter": ("계획 분기", "Planned quarter"),
    "installed_at": ("설치 시각(KST)", "Installed at (KST)"),
    "installed_on": ("설치일", "Installed"),
    "state": ("상태", "State"),
    "days_before": ("설치 전 일수", "Days before"),
    "days_after": ("설치 후 일수", "Days after"),
    "traffic_before": ("설치 전 트래픽(GB/일)", "Traffic before (GB/day)"),
    "traffic_after": ("설치 후 트래픽(GB/일)", "Traffic after (GB/day)"),
    "peak_before": ("설치 전 최대 동시 접속", "Peak clients before"),
    "peak_after": ("설치 후 최대 동시 접속", "Peak clients after"),
    "sessions_before": ("설치 전 접속 수/일", "Sessions/day before"),
    "sessions_after": ("설치 후 접속 수/일", "Sessions/day after"),
    "polls_before": ("설치 전 폴링 성공률", "Poll success before"),
    "polls_after": ("설치 후 폴링 성공률", "Poll success after"),
    "as_of": ("기준 시각", "As of"),
    # the PDF's narrow columns: two lines each
    "pdf_traffic_before": ("설치 전\nGB/일", "Before\nGB/day"),
    "pdf_traffic_after": ("설치 후\nGB/일", "After\nGB/day"),
    "pdf_polls_before": ("설치 전\n폴링 성공", "Before\npolls OK"),
    "pdf_polls_after": ("설치 후\n폴링 성공", "After\npolls OK"),
}

_MOUNTS: dict[str, tuple[str, str]] = {
    "smart_pole": ("스마트폴", "Smart pole"),
    "streetlight_pole": ("가로등주", "Streetlight pole"),
    "traffic_light_pole": ("신호등주", "Traffic-light pole"),
    "cctv_pole": ("CCTV지주", "CCTV pole"),
    "indoor": ("실내", "Indoor"),
    "bus_stop": ("버스정류장", "Bus stop"),
    "park": ("공원", "Park"),
    "other": ("기타", "Other"),
}

#: A rollout state's short name, for a cell of a per-AP row (collector.rollout.state.State).
_STATES: dict[str, tuple[str, str]] = {
    "planned": ("계획", "Planned"),
    "due": ("진행", "Due"),
    "overdue": ("지연", "Overdue"),
    "installed": ("설치", "Installed"),
    "verified": ("검증", "Verified"),
    "regressed": ("성능 저하", "Regressed"),
    "drift": ("불일치", "Drift"),
}

_COUNTS: dict[str, tuple[str, str]] = {"rx": ("수신", "received (rx)"), "tx": ("송신", "sent (tx)")}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}: expected one of {', '.join(LANGS)}")
    return lang


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if check_lang(lang) == "ko" else pair[1]


def text(key: str, lang: str, **fields: object) -> str:
    """The label ``key`` in ``lang``, with ``{fields}`` filled in."""
    label = _pick(_LABELS[key], lang)
    return label.format(**fields) if fields else label


def mount_name(mount: str, lang: str) -> str:
    """A mount type's name (``smart_pole`` -> 스마트폴 / Smart pole); unknown ones as given."""
    pair = _MOUNTS.get(mount)
    return _pick(pair, lang) if pair else mount


def area_name(area: AreaReport, lang: str) -> str:
    return area.name_ko if check_lang(lang) == "ko" else area.name_en


def both_names(name_ko: str, name_en: str, lang: str) -> str:
    """``강남구 Gangnam-gu`` (ko) or ``Gangnam-gu 강남구`` (en); one name when they are equal."""
    if name_ko == name_en:
        return name_ko
    return f"{name_ko} {name_en}" if check_lang(lang) == "ko" else f"{name_en} {name_ko}"


def kind_name(kind: str, lang: str) -> str:
    """``replacement`` 교체, ``new`` 신설, ``all`` 합계; unknown ones as given."""
    pair = _LABELS.get(f"kind_{kind}")
    return _pick(pair, lang) if pair else kind


def state_name(state: str, lang: str) -> str:
    """A rollout state's short name (``verified`` -> 검증 / Verified); unknown ones as given."""
    pair = _STATES.get(state)
    return _pick(pair, lang) if pair else state


def state_label(state: str, lang: str) -> str:
    """A rollout state's full name (``due`` -> 진행 분기(설치 대기) / Due (quarter under way))."""
    return text(f"state_{state}", lang) if f"state_{state}" in _LABELS else state


# --- numbers: the values (for CSV and open data) -------------------------------------------


def tb(total_bytes: int) -> Decimal:
    """Bytes as TB (10^12 bytes), to 3 decimals."""
    return (Decimal(total_bytes) / BYTES_PER_TB).quantize(Decimal("0.001"), ROUND_HALF_EVEN)


def pct(ratio: Decimal | None, places: int = 2) -> Decimal | None:
    """A ratio (0.25) as a percentage (25.00), to ``places`` decimals; None stays None."""
    if ratio is None:
        return None
    return (ratio * 100).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)


def change(comparison: Comparison | None, now_bytes: int) -> Decimal | None:
    """The report's relative change of usage (``Comparison.change``), None when there is none."""
    return None if comparison is None else comparison.change(now_bytes)


# --- numbers: as shown to a person (PDF, text) ----------------------------------------------


def gb(amount: float) -> Decimal:
    """Bytes (a float: a mean per day) as GB (10^9 bytes), to 3 decimals."""
    return (Decimal(repr(float(amount))) / Decimal(10**9)).quantize(
        Decimal("0.001"), ROUND_HALF_EVEN
    )


def share(ratio: float | None) -> Decimal | None:
    """A float ratio (a poll success) as the Decimal the percentage functions take."""
    return None if ratio is None else Decimal(repr(float(ratio)))


def fmt_int(n: int) -> str:
    return f"{n:,}"


def fmt_tb(total_bytes: int) -> str:
    return f"{tb(total_bytes):,}"


def fmt_pct(ratio: Decimal | None, places: int = 1) -> str:
    value = pct(ratio, places)
    return NONE if value is None else f"{value}%"


def fmt_change(ratio: Decimal | None, places: int = 1) -> str:
    value = pct(ratio, places)
    if value is None:
        return NONE
    return f"+{value}%" if value > 0 else f"{value}%"


def fmt_gb(amount: float | None) -> str:
    """Bytes as GB with 2 decimals (``1,234.57``), ``-`` for None."""
    if amount is None:
        return NONE
    return f"{gb(amount).quantize(Decimal('0.01'), ROUND_HALF_EVEN):,}"


def fmt_opt(n: int | None) -> str:
    return NONE if n is None else fmt_int(n)


def fmt_rate(rate: Decimal) -> str:
    return f"{rate:,}"


def fmt_time(moment: dt.datetime) -> str:
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")


def fmt_epoch(ts: int) -> str:
    return fmt_time(dt.datetime.fromtimestamp(ts, KST))


def period(report: MonthlyReport, lang: str) -> str:
    """``2026-11-01 00:00 KST ~ 2026-12-01 00:00 KST`` (the end is exclusive)."""
    sep = " ~ " if check_lang(lang) == "ko" else " to "
    tail = " (종료 시각 미포함)" if lang == "ko" else " (end exclusive)"
    return fmt_epoch(report.start) + sep + fmt_epoch(report.end) + tail


def month_to_date_note(report: MonthlyReport, lang: str) -> str | None:
    if not report.month_to_date:
        return None
    return text("month_to_date", lang, end=fmt_epoch(report.end))


# --- paragraphs -----------------------------------------------------------------------------


def counts_text(counts: tuple[str, ...], lang: str) -> str:
    names = [_pick(_COUNTS[c], lang) if c in _COUNTS else c for c in counts]
    return ("+" if lang == "ko" else " + ").join(names)


def tariff_lines(report: MonthlyReport, lang: str) -> list[str]:
    """One line per tariff entry in force during the month: id, rate, priced bytes, days."""
    lines = []
    for t in report.tariffs:
        days = f"{t.first_day.isoformat()} ~ {t.last_day.isoformat()}"
        if check_lang(lang) == "ko":
            lines.append(
                f"{t.id}: GB당 {fmt_rate(t.krw_per_gb)}원 (1 GB = 10^9 바이트), "
                f"계산 대상 {counts_text(t.counts, lang)}, 적용 기간 {days}"
            )
        else:
            lines.append(
                f"{t.id}: {fmt_rate(t.krw_per_gb)} KRW per GB (1 GB = 10^9 bytes), "
                f"priced bytes {counts_text(t.counts, lang)}, days {days}"
            )
    return lines


def _rounding(report: MonthlyReport, lang: str) -> str:
    if lang == "ko" and report.rounding == ROUNDING_RULE:
        return ROUNDING_RULE_KO
    return report.rounding


def _estimate(report: MonthlyReport, lang: str) -> str:
    if lang == "ko" and report.estimate_method == ESTIMATE_METHOD:
        return ESTIMATE_METHOD_KO
    return report.estimate_method


def methodology(report: MonthlyReport, lang: str) -> list[str]:
    """The methodology, one paragraph per item, from the report's own fields."""
    city = report.city.figures
    ids = ", ".join(t.id for t in report.tariffs) or text("not_applicable", lang)
    sources = "; ".join(dict.fromkeys(f"{t.source}" for t in report.tariffs))
    methods = "; ".join(dict.fromkeys(t.method for t in report.tariffs))
    est_tb, est_krw = fmt_tb(city.est_bytes), fmt_int(city.est_krw)
    if check_lang(lang) == "ko":
        paragraphs = [
            "이용량: 공공와이파이 AP가 무선 구간에서 수신·송신한 바이트를 AP별 수집 원장에서 "
            "합산했습니다. 단위는 십진 단위로 1 TB = 10^12 바이트, 1 GB = 10^9 바이트입니다.",
            f"절감액: 같은 데이터를 이동통신 요금으로 이용했다면 시민이 냈을 통신비입니다. 요금 "
            f"기준 {ids}을(를) 적용했습니다. 요금의 출처: {sources}. "
            f"산출 방식: {methods}.",
            f"반올림: {_rounding(report, lang)}",
            f"커버리지: 트래픽을 전송해야 하는 AP(운영 중 상태의 AP {fmt_int(city.aps)}대)의 "
            f"AP-초 가운데 수집 원장이 포함하는 비율입니다. 이번 기간 "
            f"{fmt_int(city.aps_with_gaps)}대의 AP에 수집되지 않은 시간이 있습니다.",
            f"추정치(미수집 시간): {_estimate(report, lang)}. 이번 기간의 추정치는 "
            f"이용량 {est_tb} TB, 절감액 {est_krw}원이며, 측정값과 따로 표시하고 더하지 않습니다.",
            "가용률: 폴링 요청 중 AP가 응답한 비율입니다. 증감률은 같은 지역의 이전 달, "
            "전년 같은 달 측정 이용량(바이트) 대비 변화율입니다(월중 보고서는 각 달 1일부터 같은 "
            "기간). 비교 대상 달의 커버리지가 95% 미만이면 증감률을 표시하지 않습니다.",
        ]
    else:
        paragraphs = [
            "Usage: the bytes public Wi-Fi access points received and sent on the radio side, "
            "summed from each AP's ledger. Units are decimal: 1 TB = 10^12 bytes, "
            "1 GB = 10^9 bytes.",
            f"Savings: what citizens would have paid a mobile carrier for the same data, priced "
            f"with tariff {ids}. Source of the rate: {sources}. Derivation: {methods}.",
            f"Rounding: {_rounding(report, lang)}",
            f"Coverage: the share of AP-seconds of the APs expected to carry traffic "
            f"({fmt_int(city.aps)} APs in a polled state) that the ledger covers; "
            f"{fmt_int(city.aps_with_gaps)} APs have uncovered time in the period.",
            f"Estimate for uncovered time: {_estimate(report, lang)}. This period: {est_tb} TB, "
            f"{est_krw} KRW, shown apart from the measured figures and never added to them.",
            "Availability: the share of polls the APs answered. Changes are the relative change "
            "of measured usage (bytes) from the same area's previous month and the same month a "
            "year earlier (for a month-to-date report, the same days from each month's 1st); no "
            "change is shown against a month whose ledger coverage is below 95 %.",
        ]
    return paragraphs


def rollout_as_of(section: RolloutSection, lang: str) -> str:
    years = ", ".join(str(y) for y in section.years)
    return text("rollout_as_of", lang, moment=fmt_epoch(section.as_of), years=years)


def rollout_warnings(section: RolloutSection, lang: str) -> list[str]:
    """What the section cannot show, from what was missing when it was built."""
    out = []
    if not section.observed:
        out.append(text("rollout_no_store", lang))
    if not section.ledger:
        out.append(text("rollout_no_ledger", lang))
    return out


def rollout_method(section: RolloutSection, lang: str) -> list[str]:
    """How the rollout section is counted, one paragraph per item, from the rollout's rules."""
    s = rollout_state
    verify, window = s.VERIFY_DAYS, s.WINDOW_DAYS
    success = f"{s.VERIFY_POLL_SUCCESS:.0%}"
    drop = f"{s.AVAILABILITY_DROP * 100:g}"
    floor = f"{s.TRAFFIC_FLOOR:.0%}"
    target = section.total.target
    if check_lang(lang) == "ko":
        paragraphs = [
            f"기준 시각: {fmt_epoch(section.as_of)} (보고 기간의 끝). 인벤토리의 교체·신설 계획"
            "(AP별 계획 분기, KST)과 수집기가 관측한 AP의 응답 모델로 상태를 정합니다. 계획 "
            "분기가 시작되기 전은 계획, 분기 중은 진행 분기, 분기가 지나도록 계획 모델이 응답하지 "
            "않으면 지연입니다. 계획 모델이 처음 응답한 때(신설 AP는 처음 응답한 때)가 설치 시각"
            "이며, 설치·검증·성능 저하를 합쳐 설치 완료로 셉니다.",
            f"검증: 설치일 다음 {verify}일(KST)이 모두 원장에 있고 각 날의 폴링 응답률이 "
            f"{success} 이상이며 트래픽이 있으면 검증됨입니다. 교체 AP의 설치 후 폴링 성공률이 "
            f"설치 전보다 {drop}%p 넘게 낮거나 하루 트래픽이 설치 전의 {floor} 미만이면 성능 "
            "저하입니다. 인벤토리 모델도 계획 모델도 아닌 모델로 응답하면 모델 불일치입니다.",
            f"설치 전후 수치: 설치일 전 {window}일과 설치일 후 최대 {window}일(설치일 제외, "
            "기준 시각까지 끝난 날)의 원장 일별 합계입니다. 트래픽은 수신과 송신 바이트의 하루 "
            "평균(1 GB = 10^9 바이트), 폴링 성공률은 응답한 폴링의 비율입니다. 신설 AP에는 설치 "
            "전 수치가 없습니다.",
            "과거 달의 보고서: 보고서를 만들 때 관측 저장소에 있는 기록 가운데 기준 시각 전에 "
            "시작된 관측만 씁니다. 저장소는 AP·모델별로 처음과 마지막 응답 시각만 보관하므로, "
            "기록되지 않은 관측(저장소가 없던 기간)은 되살릴 수 없습니다.",
        ]
        if target is not None:
            paragraphs.append(
                f"목표: 서울시 보도자료의 {', '.join(str(y) for y in section.years)}년 사업 규모"
                f"(교체·신설 합계 {fmt_int(target)}대)입니다."
            )
    else:
        paragraphs = [
            f"As of {fmt_epoch(section.as_of)} (the end of the report's period). States come "
            "from the inventory's plan (a quarter per AP, KST) and the models the collector saw "
            "the APs answer as: planned before the quarter begins, due during it, overdue once "
            "it is over while the planned model has not answered. An AP is installed when its "
            "planned model first answers (a new AP: when it first answers); installed, verified "
            "and regressed together are done.",
            f"Verdicts: verified when the {verify} KST days after the install day are all in the "
            f"ledger, each with at least {success} of polls answered and with traffic. A "
            f"replacement regressed when its poll success after is more than {drop} points "
            f"below before, or its traffic per day below {floor} of before. Drift: the AP "
            "answers as neither the inventory's model nor the planned one.",
            f"Before/after: the ledger's daily sums over the {window} KST days before the "
            f"install day and up to {window} after it (the install day in neither; only days "
            "closed by the as-of time). Traffic is bytes received plus sent per day "
            "(1 GB = 10^9 bytes); poll success is the share of polls answered. A new AP has no "
            "before.",
            "A report of an earlier month uses the observations the store holds when the report "
            "is made, those that began before the as-of time. The store keeps each AP's first "
            "and last sighting per model, not every poll: what was never recorded (a period "
            "without the store) cannot be recovered.",
        ]
        if target is not None:
            paragraphs.append(
                "Target: the programme of the city's press release for "
                f"{', '.join(str(y) for y in section.years)} ({fmt_int(target)} APs, "
                "replacements and new APs together)."
            )
    return paragraphs
