"""BER codec: known encodings, round-trips and malformed input (hypothesis)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.lab.mibview import SnmpType, Value
from collector.lab.snmp.ber import (
    GET_BULK_REQUEST,
    GET_NEXT_REQUEST,
    GET_REQUEST,
    REPORT,
    RESPONSE,
    BerError,
    Pdu,
    decode_pdu,
    encode_oid,
    encode_pdu,
    encode_value,
    read_oid,
    read_tlv,
    tlv,
)
from collector.lab.snmp.message import (
    CommunityMessage,
    V3Envelope,
    V3Message,
    decode_message,
    encode_community_message,
    encode_v3_message,
)

# ---------------------------------------------------------------- known encodings


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (Value(SnmpType.INTEGER, 0), "020100"),
        (Value(SnmpType.INTEGER, 127), "02017f"),
        (Value(SnmpType.INTEGER, 128), "02020080"),
        (Value(SnmpType.INTEGER, -1), "0201ff"),
        (Value(SnmpType.INTEGER, -128), "020180"),
        (Value(SnmpType.INTEGER, -129), "0202ff7f"),
        (Value(SnmpType.COUNTER32, 4294967295), "410500ffffffff"),
        (Value(SnmpType.GAUGE32, 0), "420100"),
        (Value(SnmpType.TIMETICKS, 100), "430164"),
        (Value(SnmpType.COUNTER64, 2**64 - 1), "460900ffffffffffffffff"),
        (Value(SnmpType.IP_ADDRESS, bytes([127, 0, 0, 1])), "40047f000001"),
        (Value(SnmpType.OCTET_STRING, b"ap"), "04026170"),
        (Value(SnmpType.NULL), "0500"),
        (Value(SnmpType.NO_SUCH_OBJECT), "8000"),
        (Value(SnmpType.NO_SUCH_INSTANCE), "8100"),
        (Value(SnmpType.END_OF_MIB_VIEW), "8200"),
        (Value(SnmpType.OBJECT_IDENTIFIER, (1, 3, 6, 1, 4, 1, 8072)), "06072b06010401bf08"),
    ],
)
def test_known_value_encodings(value: Value, encoded: str) -> None:
    assert encode_value(value).hex() == encoded
    tag, _, _ = read_tlv(bytes.fromhex(encoded), 0, len(encoded) // 2)
    assert tag == value.type.value


def test_sysname_oid_encoding_matches_x690() -> None:
    assert encode_oid((1, 3, 6, 1, 2, 1, 1, 5, 0)).hex() == "06082b06010201010500"
    assert encode_oid((2, 999, 3)).hex() == "0603883703"  # X.690 8.19.5 example


def test_long_lengths_use_the_long_form() -> None:
    assert tlv(0x04, bytes(200))[:3].hex() == "0481c8"
    assert tlv(0x04, bytes(300))[:4].hex() == "0482012c"


@pytest.mark.parametrize(
    "value",
    [
        Value(SnmpType.COUNTER32, 2**32),
        Value(SnmpType.COUNTER64, -1),
        Value(SnmpType.INTEGER, 2**31),
        Value(SnmpType.IP_ADDRESS, b"\x7f\x00\x01"),
        Value(SnmpType.OCTET_STRING, 5),
    ],
)
def test_unencodable_values_raise_ber_error(value: Value) -> None:
    with pytest.raises(BerError):
        encode_value(value)


@pytest.mark.parametrize("oid", [(1,), (3, 1), (1, 40), (1, 3, -1), (1, 3, 2**32)])
def test_invalid_oids_raise_ber_error(oid: tuple[int, ...]) -> None:
    with pytest.raises(BerError):
        encode_oid(oid)


# ---------------------------------------------------------------- round trips

arcs = st.integers(min_value=0, max_value=2**32 - 1)
oids = st.one_of(
    st.tuples(st.integers(0, 1), st.integers(0, 39)),
    st.tuples(st.just(2), st.integers(0, 2**32 - 81)),
).flatmap(lambda head: st.lists(arcs, max_size=30).map(lambda tail: head + tuple(tail)))

values = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(lambda n: Value(SnmpType.INTEGER, n)),
    st.binary(max_size=300).map(lambda b: Value(SnmpType.OCTET_STRING, b)),
    st.binary(min_size=4, max_size=4).map(lambda b: Value(SnmpType.IP_ADDRESS, b)),
    st.binary(max_size=20).map(lambda b: Value(SnmpType.OPAQUE, b)),
    st.integers(0, 2**32 - 1).map(lambda n: Value(SnmpType.COUNTER32, n)),
    st.integers(0, 2**32 - 1).map(lambda n: Value(SnmpType.GAUGE32, n)),
    st.integers(0, 2**32 - 1).map(lambda n: Value(SnmpType.TIMETICKS, n)),
    st.integers(0, 2**64 - 1).map(lambda n: Value(SnmpType.COUNTER64, n)),
    oids.map(lambda o: Value(SnmpType.OBJECT_IDENTIFIER, o)),
    st.sampled_from(
        [
            Value(SnmpType.NULL),
            Value(SnmpType.NO_SUCH_OBJECT),
            Value(SnmpType.NO_SUCH_INSTANCE),
            Value(SnmpType.END_OF_MIB_VIEW),
        ]
    ),
)
pdus = st.builds(
    Pdu,
    tag=st.sampled_from([GET_REQUEST, GET_NEXT_REQUEST, GET_BULK_REQUEST, RESPONSE, REPORT]),
    request_id=st.integers(-(2**31), 2**31 - 1),
    error_status=st.integers(0, 18),
    error_index=st.integers(0, 100),
    varbinds=st.lists(st.tuples(oids, values), max_size=12),
)


@given(oids)
def test_oid_round_trip(oid: tuple[int, ...]) -> None:
    encoded = encode_oid(oid)
    assert read_oid(encoded, 0, len(encoded)) == (oid, len(encoded))


@given(pdus)
def test_pdu_round_trip(pdu: Pdu) -> None:
    encoded = encode_pdu(pdu)
    decoded = decode_pdu(encoded)
    assert (decoded.tag, decoded.request_id, decoded.error_status, decoded.error_index) == (
        pdu.tag,
        pdu.request_id,
        pdu.error_status,
        pdu.error_index,
    )
    assert decoded.varbinds == pdu.varbinds
    assert decoded.size == len(encoded)


@given(pdus, st.binary(max_size=40))
def test_community_message_round_trip(pdu: Pdu, community: bytes) -> None:
    msg = decode_message(encode_community_message(1, community, encode_pdu(pdu)))
    assert isinstance(msg, CommunityMessage)
    assert (msg.version, msg.community, msg.pdu.varbinds) == (1, community, pdu.varbinds)


@given(
    st.binary(min_size=5, max_size=32),
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**31 - 1),
    st.binary(max_size=32),
    st.sampled_from([0, 12, 24, 48]),
    st.binary(max_size=8),
    st.binary(max_size=200),
)
def test_v3_message_round_trip_and_auth_offset(
    engine_id: bytes,
    boots: int,
    time: int,
    user: bytes,
    mac_length: int,
    salt: bytes,
    payload: bytes,
) -> None:
    env = V3Envelope(42, 1500, 0x07, engine_id, boots, time, user, mac_length, salt)
    message, offset = encode_v3_message(env, tlv(0x04, payload))
    assert message[offset : offset + mac_length] == bytes(mac_length)
    msg = decode_message(message)
    assert isinstance(msg, V3Message) and msg.usm is not None
    assert (msg.msg_id, msg.max_size, msg.flags) == (42, 1500, 0x07)
    assert (msg.usm.engine_id, msg.usm.engine_boots, msg.usm.engine_time) == (
        engine_id,
        boots,
        time,
    )
    assert (msg.usm.user_name, msg.usm.priv_params) == (user, salt)
    assert msg.usm.auth_offset == offset
    assert msg.encrypted_pdu == payload


# ---------------------------------------------------------------- malformed input


def _only_ber_errors(data: bytes) -> None:
    with contextlib.suppress(BerError):
        decode_message(data)


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_ber_error(data: bytes) -> None:
    _only_ber_errors(data)


@settings(max_examples=500)
@given(pdus, st.data())
def test_mutated_messages_raise_only_ber_error(pdu: Pdu, data: st.DataObject) -> None:
    message = bytearray(encode_community_message(1, b"public", encode_pdu(pdu)))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(message) - 1))
        message[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(message)))
    _only_ber_errors(bytes(message[:cut]))
    _only_ber_errors(bytes(message))


@pytest.mark.parametrize(
    "hex_data",
    [
        "",
        "30",
        "3080",  # indefinite length
        "3085ffffffffff",  # 5-byte length
        "3003020101ff",  # trailing byte
        "300302010104",  # OCTET STRING header missing its length
        "301f0201010406707562",  # length runs past the end
        "300a02010104037075623f00",  # high-tag-number form
        "300b0201050406707562",  # unknown version 5
        "3011020101040670756200a00402010102",  # not a PDU
    ],
)
def test_malformed_examples_raise_ber_error(hex_data: str) -> None:
    with pytest.raises(BerError):
        decode_message(bytes.fromhex(hex_data))


def test_truncated_oid_and_bad_null_raise_ber_error() -> None:
    with pytest.raises(BerError):
        read_oid(bytes.fromhex("06022b86"), 0, 4)  # unterminated sub-identifier
    bad_null = bytes.fromhex("a00f020101020100020100300430020601")
    with pytest.raises(BerError):
        decode_pdu(bad_null)
