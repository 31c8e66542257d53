"""CPU cost of the lab's SNMP agent under the fleet's paced polling load (issue 3, "Speed").

34,280 APs polled every 5 minutes is about 115 requests/s. This starts the agent in its own
process (one socket, devices on 127.16.x.y built lazily), then drives it from this process with
gufo_snmp: SNMPv3 authPriv (SHA-256 + AES-128) GETs of 8 varbinds, paced at --rate, in two
measured phases:

  steady         sessions kept (engine discovered beforehand): one exchange per poll
  first-contact  a fresh AP and session per poll: discovery + time sync + GET, and the agent
                 localizes that AP's keys

and prints the agent process's CPU as % of one core (getrusage inside the agent; /proc as a
cross-check) and its peak RSS. Target: at most 30 % of one core at 115 req/s.

    .venv/bin/python benchmarks/bench_lab_snmp_agent.py [--rate 115] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

USER, AUTH_PASSWORD, PRIV_PASSWORD = "benchuser", "bench-auth-pass", "bench-priv-pass"
FIRST_IP = ipaddress.IPv4Address("127.16.0.1")
OIDS = [
    "1.3.6.1.2.1.1.3.0",  # sysUpTime
    "1.3.6.1.2.1.31.1.1.1.6.1",  # ifHCInOctets.1
    "1.3.6.1.2.1.31.1.1.1.10.1",  # ifHCOutOctets.1
    "1.3.6.1.2.1.31.1.1.1.6.2",
    "1.3.6.1.2.1.31.1.1.1.10.2",
    "1.3.6.1.2.1.1.5.0",  # sysName
    "1.3.6.1.2.1.2.1.0",  # ifNumber
    "1.3.6.1.2.1.1.1.0",  # sysDescr
]


# ---------------------------------------------------------------- the agent process


def serve() -> None:
    """Run the agent; stdin commands: 'mark' (start a window), 'report' (print its JSON)."""
    from collector.lab.mibview import Oid, SnmpType, Value
    from collector.lab.snmp import AgentDevice, AuthProtocol, PrivProtocol, SnmpAgent, UsmUser
    from collector.lab.snmp.staticview import Entry, StaticMibView
    from collector.secrets import Secret

    user = UsmUser(USER.encode(), AuthProtocol.SHA256, Secret(AUTH_PASSWORD),
                   PrivProtocol.AES128, Secret(PRIV_PASSWORD))
    boot = time.time() - 86_400
    devices: dict[str, AgentDevice] = {}

    def make_view(ip: str) -> StaticMibView:
        base = int(ipaddress.IPv4Address(ip)) % 100_000

        def octets(rate: int) -> Callable[[float], Value]:
            return lambda now: Value(SnmpType.COUNTER64, int((now - boot) * rate))

        entries: dict[Oid, Entry] = {
            (1, 3, 6, 1, 2, 1, 1, 1, 0): Value(SnmpType.OCTET_STRING,
                                               b"Lab AP, firmware 8.10.185.0 (bench)"),
            (1, 3, 6, 1, 2, 1, 1, 3, 0): lambda now: Value(SnmpType.TIMETICKS,
                                                           int((now - boot) * 100)),
            (1, 3, 6, 1, 2, 1, 1, 5, 0): Value(SnmpType.OCTET_STRING, f"AP-{base:06d}".encode()),
            (1, 3, 6, 1, 2, 1, 2, 1, 0): Value(SnmpType.INTEGER, 2),
        }
        for if_index, rate in ((1, 30_000 + base), (2, 50_000 + base)):
            entries[(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, if_index)] = octets(rate)
            entries[(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10, if_index)] = octets(rate * 3)
        return StaticMibView(entries)

    def resolve(ip: str, port: int) -> AgentDevice | None:
        device = devices.get(ip)
        if device is None:
            device = AgentDevice(f"AP-{ip}", make_view(ip), boot, None, user)
            devices[ip] = device
        return device

    async def main() -> None:
        agent = SnmpAgent(resolve, port=0)
        await agent.start()
        loop = asyncio.get_running_loop()
        window = {"cpu": 0.0, "wall": 0.0, "received": 0}
        done = asyncio.Event()

        def cpu() -> float:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            return usage.ru_utime + usage.ru_stime

        def on_command() -> None:
            line = sys.stdin.readline().strip()
            if line == "mark":
                window.update(cpu=cpu(), wall=time.monotonic(), received=agent.counters.received)
            elif line == "report":
                report = {
                    "cpu_seconds": cpu() - window["cpu"],
                    "wall_seconds": time.monotonic() - window["wall"],
                    "datagrams": agent.counters.received - window["received"],
                    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "devices": len(devices),
                    "localized_keys": len(agent.engine.v3.keys),
                    "counters": {k: v for k, v in vars_of(agent.counters).items() if v},
                    "usm": {k: v for k, v in vars_of(agent.engine.v3.stats).items() if v},
                }
                print(json.dumps(report), flush=True)
            elif line in ("", "quit"):
                done.set()

        loop.add_reader(sys.stdin.fileno(), on_command)
        print(f"ready {agent.port}", flush=True)
        await done.wait()
        agent.close()

    asyncio.run(main())


def vars_of(obj: object) -> dict[str, int]:
    return {name: getattr(obj, name) for name in getattr(obj, "__slots__", ())}


# ---------------------------------------------------------------- the driver (this process)


Job = Callable[[int], Coroutine[Any, Any, None]]


async def paced(rate: float, seconds: float, job: Job) -> None:
    """Start ``job(i)`` at ``rate`` per second for ``seconds`` (absolute schedule), then wait."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks: list[asyncio.Task[None]] = []
    for i in range(int(rate * seconds)):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(job(i)))
    await asyncio.gather(*tasks)


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(args: argparse.Namespace) -> int:
    from gufo.snmp import Aes128Key, Sha256Key, SnmpVersion, User
    from gufo.snmp.aio.client import SnmpSession
    from gufo.snmp.user import KeyType

    user = User(USER,
                auth_key=Sha256Key(Sha256Key.get_master_key(AUTH_PASSWORD.encode()),
                                   key_type=KeyType.Master),
                priv_key=Aes128Key(Sha256Key.get_master_key(PRIV_PASSWORD.encode()),
                                   key_type=KeyType.Master))
    agent = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert agent.stdin is not None and agent.stdout is not None
    port = int(agent.stdout.readline().split()[1])
    n = int(args.rate * args.seconds)

    def session(i: int) -> SnmpSession:
        ip = str(FIRST_IP + i)
        return SnmpSession(addr=ip, port=port, version=SnmpVersion.v3, user=user, timeout=2)

    def command(text: str) -> dict[str, Any]:
        assert agent.stdin is not None and agent.stdout is not None
        agent.stdin.write(text + "\n")
        agent.stdin.flush()
        answer: dict[str, Any] = json.loads(agent.stdout.readline()) if text == "report" else {}
        return answer

    results: dict[str, dict[str, Any]] = {}
    try:
        # Steady state: discover every AP first (not measured), then poll each once, paced.
        sessions = [session(i) for i in range(n)]
        for chunk in range(0, n, 200):
            await asyncio.gather(*(s.refresh() for s in sessions[chunk : chunk + 200]))
        for name, phase_sessions in (("steady", sessions), ("first-contact", None)):
            ok = failed = 0

            async def poll(i: int, phase_sessions: list[SnmpSession] | None = phase_sessions
                           ) -> None:
                nonlocal ok, failed
                try:
                    if phase_sessions is not None:
                        values = await phase_sessions[i].get_many(OIDS)
                    else:
                        async with session(n + i) as fresh:
                            values = await fresh.get_many(OIDS)
                    ok += len(values) == len(OIDS)
                except Exception:  # counted: any failed poll
                    failed += 1

            command("mark")
            outside = proc_cpu_seconds(agent.pid)
            started = time.monotonic()
            await paced(args.rate, args.seconds, poll)
            report = command("report")
            wall = time.monotonic() - started
            outside = proc_cpu_seconds(agent.pid) - outside
            cpu_pct = 100 * report["cpu_seconds"] / report["wall_seconds"]
            results[name] = {"polls_ok": ok, "polls_failed": failed,
                             "rate_per_s": round(n / wall, 1),
                             "agent_cpu_pct_of_one_core": round(cpu_pct, 1),
                             "agent_cpu_pct_from_proc": round(100 * outside / wall, 1),
                             "agent_cpu_ms_per_poll": round(1000 * report["cpu_seconds"]
                                                            / max(ok, 1), 3),
                             **report}
            print(f"{name:>13}: {ok} ok, {failed} failed at {n / wall:.1f} polls/s; agent CPU "
                  f"{cpu_pct:.1f} % of one core (/proc: {100 * outside / wall:.1f} %), "
                  f"{results[name]['agent_cpu_ms_per_poll']} ms/poll, "
                  f"peak RSS {report['peak_rss_mib']:.1f} MiB", flush=True)
    finally:
        agent.stdin.close()
        agent.wait(10)
    print(json.dumps(results))
    return 0 if results["steady"]["agent_cpu_pct_of_one_core"] <= 30 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=115.0, help="polls per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return 0
    return asyncio.run(drive(args))


if __name__ == "__main__":
    sys.exit(main())
