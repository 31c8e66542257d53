"""``pubwifi traps``: receive the fleet's SNMP notifications and turn them into AP events."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import time
from typing import TYPE_CHECKING, Any

from collector.errors import InputError, Problem

if TYPE_CHECKING:
    from collector.inventory.model import Inventory
    from collector.traps.receiver import Credentials

log = logging.getLogger(__name__)

DEFAULT_PORT = 162
DEFAULT_METRICS_PORT = 9163


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "traps",
        help="receive SNMP traps and informs from the fleet (v3 authPriv; v2c where needed)",
        description="A pysnmp notification receiver: SNMPv3 authPriv with the inventory's USM "
        "users (sender engine ids learned), SNMPv2c with the inventory's communities; the "
        "sending address names the AP; coldStart, warmStart, linkDown, linkUp, "
        "authenticationFailure and the platforms' own traps (profiles' traps:) become events "
        "in DATA_DIR/events/events.sqlite and ap_event points in InfluxDB. Everything dropped "
        "is counted on /metrics (pubwifi_traps_dropped_total{reason}).",
    )
    parser.add_argument(
        "--inventory", default=None, metavar="FILE", help="default: PUBWIFI_INVENTORY"
    )
    parser.add_argument(
        "--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0: all)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        metavar="P",
        help="UDP port (default 162, which needs root or CAP_NET_BIND_SERVICE; 0: any free)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="P",
        help="/metrics on 127.0.0.1 (default: PUBWIFI_TRAPS_METRICS_PORT, else "
        f"{DEFAULT_METRICS_PORT}, where the stack's Prometheus scrapes it; 0: none)",
    )
    parser.add_argument(
        "--recv-buffer",
        type=_buffer_bytes,
        default=32 << 20,
        metavar="BYTES",
        help="UDP receive buffer to ask the kernel for (default 33554432, 32 MiB); as root "
        "SO_RCVBUFFORCE, else capped at net.core.rmem_max (the granted size is logged and "
        "exported as pubwifi_traps_recv_buffer_bytes)",
    )
    parser.add_argument(
        "--decoder",
        choices=("fast", "pysnmp"),
        default="fast",
        help="v1/v2c traps: the built-in decoder (default) or pysnmp for every datagram "
        "(INFORMs and SNMPv3 always go to pysnmp)",
    )
    parser.add_argument(
        "--no-influx",
        action="store_true",
        help="events to the event store only, no ap_event points (no spool)",
    )
    parser.set_defaults(func=run)


def _buffer_bytes(text: str) -> int:
    """--recv-buffer: bytes, 4 KiB to 1 GiB."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of bytes") from None
    if not 4096 <= n <= 1 << 30:
        raise argparse.ArgumentTypeError(f"{n}: between 4096 and {1 << 30} bytes")
    return n


def credentials(inventory: Inventory) -> Credentials:
    """Every SNMP auth the inventory's APs use, resolved; all unset secrets listed at once."""
    from collector.inventory.model import SnmpV2cAuth
    from collector.secrets import UnsetSecretError
    from collector.traps.receiver import Credentials
    from collector.traps.usm import UserKeys

    communities: dict[str, bytes] = {}
    users: list[UserKeys] = []
    problems: list[Problem] = []
    for name in sorted({ap.snmp_auth.name for ap in inventory.aps}):
        auth = inventory.snmp_auths[name]
        try:
            if isinstance(auth, SnmpV2cAuth):
                communities[name] = auth.community.resolve().reveal().encode()
            else:
                user, auth_key, priv_key = (ref.resolve().reveal() for ref in auth.refs())
                users.append(UserKeys.of(auth, user, auth_key, priv_key))
        except UnsetSecretError as error:
            problems.append(Problem(inventory.path, 0, f"snmp auth {name!r}: {error}"))
    if problems:
        raise InputError(problems)
    return Credentials(communities, users)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from prometheus_client import CollectorRegistry

    from collector.events import EventStore
    from collector.inventory.load import load_inventory
    from collector.metrics import CollectorMetrics, PrometheusTrapCounters
    from collector.profiles import load_profiles
    from collector.settings import load_settings
    from collector.traps.mapping import TrapKinds
    from collector.traps.receiver import TrapReceiver
    from collector.traps.store import TrapWriter

    started = time.perf_counter()
    settings = load_settings()
    if args.metrics_port is None:
        args.metrics_port = settings.traps_metrics_port
    inventory = load_inventory(args.inventory or settings.inventory)
    secrets = credentials(inventory)
    metrics = CollectorMetrics(CollectorRegistry())
    counters = PrometheusTrapCounters(metrics)
    if args.metrics_port:
        try:
            metrics.serve("127.0.0.1", args.metrics_port)
        except OSError as error:
            raise InputError.at(
                "--metrics-port", 0, f"cannot listen on {args.metrics_port}: {error.strerror}"
            ) from None
    pipeline = None
    if not args.no_influx:
        from collector.collect.pipeline import open_pipeline

        pipeline = open_pipeline(settings, inventory, metrics, name="traps")
    store = EventStore.in_dir(Path(settings.data_dir))
    spool = pipeline.sink.spool.append if pipeline is not None else None
    writer = TrapWriter(store, spool, counters)
    receiver = TrapReceiver(
        inventory.aps,
        secrets,
        TrapKinds.from_profiles(load_profiles()),
        writer,
        counters,
        decoder=args.decoder,
        recv_buffer=args.recv_buffer,
    )
    try:
        return asyncio.run(_serve(receiver, writer, args, started))
    finally:
        writer.flush()
        store.close()
        if pipeline is not None:
            pipeline.close()


async def _serve(receiver: Any, writer: Any, args: argparse.Namespace, started: float) -> int:
    try:
        port = await receiver.start(args.host, args.port)
    except OSError as error:
        raise InputError.at(
            "--host/--port", 0, f"cannot listen on udp {args.host}:{args.port}: {error.strerror}"
        ) from None
    write_task = asyncio.create_task(writer.run(), name="traps-writer")
    print(
        json.dumps(
            {
                "traps": "ready",
                "host": args.host,
                "port": port,
                "aps": len(receiver.senders),
                "metrics_port": args.metrics_port or None,
                "startup_seconds": round(time.perf_counter() - started, 3),
            }
        ),
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    receiver.close()
    write_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await write_task
    log.info("traps: %d events, stopping", receiver.events)
    return 0
