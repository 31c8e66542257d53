"""``pubwifi web [--host H] [--port P]``: the UI through waitress (a production WSGI server);
``pubwifi web user add NAME --role viewer|engineer|admin`` (password from a prompt, or stdin
when it is not a terminal: never argv), ``user list``, ``user remove NAME``;
``pubwifi web first-admin``: when there is no user yet, an ``admin`` with a random one-time
password kept in ``DATA_DIR/web/admin-password`` (mode 0600), which must be changed at the
first login (the demo runs it).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import secrets
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from collector.errors import InputError
from collector.ledger.cli import query_client
from collector.ledger.mirror import LedgerMirror
from collector.savings.tariff import load_tariffs
from collector.settings import Settings, load_settings
from web.users import Role, UserStore, check_password

if TYPE_CHECKING:
    from flask import Flask

    from web.snapshot import Refresher, Snapshot


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("web", help="the web UI (and its users)")
    parser.add_argument("--host", help="listen address (default PUBWIFI_WEB_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default PUBWIFI_WEB_PORT, 8080)")
    parser.add_argument("--inventory", type=Path, metavar="FILE")
    parser.add_argument(
        "--refresh",
        type=float,
        default=300.0,
        metavar="S",
        help="rebuild the fleet view every S seconds (default 300, the poll interval)",
    )
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.set_defaults(func=run_serve)
    sub = parser.add_subparsers(dest="web_command", metavar="{user,first-admin}")
    user = sub.add_parser("user", help="manage web users")
    actions = user.add_subparsers(dest="action", required=True, metavar="{add,list,remove}")
    add = actions.add_parser("add", help="add a user (password from a prompt or stdin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.label for r in Role])
    add.set_defaults(func=run_user_add)
    listing = actions.add_parser("list", help="the users and their roles")
    listing.set_defaults(func=run_user_list)
    remove = actions.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    remove.set_defaults(func=run_user_remove)
    first = sub.add_parser("first-admin", help="the first admin, with a one-time password file")
    first.set_defaults(func=run_first_admin)


def _store(settings: Settings) -> UserStore:
    return UserStore.in_dir(settings.data_dir)


def read_password() -> str:
    """From a prompt (twice) on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise InputError.at("password", 0, "the two entries differ")
        return check_password(first)
    return check_password(sys.stdin.readline().rstrip("\r\n"))


def run_user_add(args: argparse.Namespace) -> int:
    store = _store(load_settings())
    user = store.add(args.name, Role.parse(args.role), read_password())
    print(f"web user {user.name} added ({user.role.label}) in {store.path}")
    return 0


def run_user_list(args: argparse.Namespace) -> int:
    for user in _store(load_settings()).all():
        note = "  (one-time password: change at first login)" if user.must_change else ""
        print(f"{user.name:<24} {user.role.label}{note}")
    return 0


def run_user_remove(args: argparse.Namespace) -> int:
    store = _store(load_settings())
    if store.get(args.name) is None:
        raise InputError.at("NAME", 0, f"no user {args.name!r}")
    store.remove(args.name)
    print(f"web user {args.name} removed")
    return 0


def first_admin(data_dir: Path) -> Path | None:
    """Make ``admin`` with a one-time password in ``data_dir/web/admin-password`` (0600) when
    there is no user; the file's path, or None when users exist already."""
    store = UserStore.in_dir(data_dir)
    path = data_dir / "web" / "admin-password"
    if store.count():
        admin = store.get("admin")
        return path if path.exists() and admin is not None and admin.must_change else None
    password = secrets.token_urlsafe(15)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(password + "\n")
    path.chmod(0o600)
    store.add("admin", Role.ADMIN, password, must_change=True)
    return path


def run_first_admin(args: argparse.Namespace) -> int:
    settings = load_settings()
    path = first_admin(settings.data_dir)
    if path is None:
        print("web: users exist already; no one-time password made")
    else:
        print(f"web: user admin, one-time password in {path} (0600; change it at first login)")
    return 0


def build(
    settings: Settings, inventory_path: Path | None, refresh_s: float
) -> tuple[Flask, Refresher]:
    """The app and its refresher, wired from the settings."""
    from collector.inventory.cache import cached_inventory
    from web.app import create_app
    from web.snapshot import Refresher, build_snapshot, fetch_health

    inventory = cached_inventory(
        inventory_path or settings.inventory, settings.data_dir / "web"
    ).aps
    query = query_client(settings)
    book = load_tariffs(settings.tariffs)
    mirror = LedgerMirror.existing(settings.data_dir)
    ledger_dir = settings.data_dir / "ledger"
    metrics_url = f"http://127.0.0.1:{settings.metrics_port}/metrics"

    def snapshot() -> Snapshot:
        # the copy appears when the collector first closes a day: look again each time
        return build_snapshot(
            query,
            book,
            inventory,
            ledger_dir=ledger_dir,
            mirror=mirror or LedgerMirror.existing(settings.data_dir),
        )

    refresher = Refresher(snapshot, lambda: fetch_health(metrics_url), interval_s=refresh_s)
    app = create_app(
        secret_key=settings.require_web_secret_key().reveal(),
        inventory=inventory,
        query=query,
        book=book,
        mirror=mirror,
        refresher=refresher,
        users=UserStore.in_dir(settings.data_dir),
        data_dir=settings.data_dir,
    )
    return app, refresher


def run_serve(args: argparse.Namespace) -> int:
    from waitress import create_server

    started = time.monotonic()
    settings = load_settings()
    host = args.host or settings.web_host
    port = args.port if args.port is not None else settings.web_port
    app, refresher = build(settings, args.inventory, args.refresh)
    refresher.start()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = create_server(app, host=host, port=port, threads=args.threads, ident="pubwifi")
    print(
        f"web: http://{host}:{server.effective_port}/ (ready in "
        f"{time.monotonic() - started:.2f} s)",
        flush=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        refresher.stop()
    return 0
