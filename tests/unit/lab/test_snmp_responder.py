"""GET / GETNEXT / GETBULK semantics (RFC 3416 4.2) over the static view, and size limits."""

from __future__ import annotations

from collections.abc import Sequence

from collector.lab.mibview import SnmpType, Value
from collector.lab.snmp.ber import (
    GET_BULK_REQUEST,
    GET_NEXT_REQUEST,
    GET_REQUEST,
    NULL_VALUE,
    SET_REQUEST,
    Pdu,
    decode_pdu,
)
from collector.lab.snmp.responder import NOT_WRITABLE, TOO_BIG, answer
from collector.lab.snmp.staticview import StaticMibView

SYS = (1, 3, 6, 1, 2, 1, 1)
IF_IN = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)
VIEW = StaticMibView(
    {
        (*SYS, 1, 0): Value(SnmpType.OCTET_STRING, b"descr"),
        (*SYS, 3, 0): lambda now: Value(SnmpType.TIMETICKS, int(now * 100)),
        (*SYS, 5, 0): Value(SnmpType.OCTET_STRING, b"name"),
        (*IF_IN, 1): Value(SnmpType.COUNTER64, 10),
        (*IF_IN, 2): Value(SnmpType.COUNTER64, 20),
        (*IF_IN, 3): Value(SnmpType.COUNTER64, 30),
    }
)


def _ask(
    tag: int,
    oids: Sequence[tuple[int, ...]],
    budget: int = 1400,
    nr: int = 0,
    mr: int = 0,
    now: float = 12.5,
) -> Pdu:
    request = Pdu(tag, 77, nr, mr, [(oid, NULL_VALUE) for oid in oids])
    result = answer(request, VIEW, now, budget)
    pdu = decode_pdu(result.pdu)
    assert pdu.request_id == 77 and result.error_status == pdu.error_status
    return pdu


def test_get_returns_values_and_exceptions() -> None:
    pdu = _ask(GET_REQUEST, [(*SYS, 3, 0), (*SYS, 5, 0), (*SYS, 5, 1), (1, 3, 6, 1, 9)])
    assert pdu.varbinds == [
        ((*SYS, 3, 0), Value(SnmpType.TIMETICKS, 1250)),
        ((*SYS, 5, 0), Value(SnmpType.OCTET_STRING, b"name")),
        ((*SYS, 5, 1), Value(SnmpType.NO_SUCH_INSTANCE)),
        ((1, 3, 6, 1, 9), Value(SnmpType.NO_SUCH_OBJECT)),
    ]


def test_getnext_walks_in_order_and_ends() -> None:
    pdu = _ask(GET_NEXT_REQUEST, [(1, 3), (*SYS, 5, 0), (*IF_IN, 3)])
    assert [oid for oid, _ in pdu.varbinds] == [(*SYS, 1, 0), (*IF_IN, 1), (*IF_IN, 3)]
    assert pdu.varbinds[2][1].type is SnmpType.END_OF_MIB_VIEW


def test_getbulk_non_repeaters_and_repetitions() -> None:
    pdu = _ask(GET_BULK_REQUEST, [(*SYS, 1, 0), (*IF_IN,)], nr=1, mr=5)
    names = [oid for oid, _ in pdu.varbinds]
    # one non-repeater, then the repeater until every column ends (one endOfMibView row)
    assert names == [(*SYS, 3, 0), (*IF_IN, 1), (*IF_IN, 2), (*IF_IN, 3), (*IF_IN, 3)]
    assert pdu.varbinds[-1][1].type is SnmpType.END_OF_MIB_VIEW


def test_getbulk_zero_repetitions_and_negative_fields() -> None:
    assert _ask(GET_BULK_REQUEST, [(*IF_IN,)], nr=0, mr=0).varbinds == []
    pdu = _ask(GET_BULK_REQUEST, [(*SYS,)], nr=-3, mr=2)
    assert [oid for oid, _ in pdu.varbinds] == [(*SYS, 1, 0), (*SYS, 3, 0)]


def test_getbulk_is_cut_to_the_budget_not_too_big() -> None:
    full = _ask(GET_BULK_REQUEST, [(1, 3)], mr=50)
    assert len(full.varbinds) == 7  # six objects then endOfMibView
    small = _ask(GET_BULK_REQUEST, [(1, 3)], mr=50, budget=100)
    assert 0 < len(small.varbinds) < 7 and small.error_status == 0
    assert small.varbinds == full.varbinds[: len(small.varbinds)]


def test_get_over_budget_is_too_big_with_no_varbinds() -> None:
    oids = [(*IF_IN, i) for i in (1, 2, 3)] * 10
    pdu = _ask(GET_REQUEST, oids, budget=200)
    assert (pdu.error_status, pdu.error_index, pdu.varbinds) == (TOO_BIG, 0, [])
    assert _ask(GET_REQUEST, oids, budget=1400).error_status == 0


def test_set_is_refused_as_not_writable() -> None:
    pdu = _ask(SET_REQUEST, [(*SYS, 5, 0)])
    assert (pdu.error_status, pdu.error_index) == (NOT_WRITABLE, 1)


def test_static_view_is_sorted_by_arcs_not_text() -> None:
    view = StaticMibView(
        {(1, 3, 10): Value(SnmpType.INTEGER, 10), (1, 3, 9): Value(SnmpType.INTEGER, 9)}
    )
    assert view.get_next((1, 3), 0)[0] == (1, 3, 9)
    assert view.get_next((1, 3, 9), 0)[0] == (1, 3, 10)
    assert len(view) == 2
