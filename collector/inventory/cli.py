"""``pubwifi inventory check|generate``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from collector.errors import InputError, Problem
from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("inventory", help="check or generate an inventory file")
    commands = parser.add_subparsers(dest="inventory_command", required=True, metavar="ACTION")

    check = commands.add_parser("check", help="validate an inventory file")
    check.add_argument("file", nargs="?", default="inventory.yaml", type=Path)
    check.add_argument(
        "--require-secrets",
        action="store_true",
        help="fail when a ${ENV} secret reference is not set (default: warn)",
    )
    check.set_defaults(func=_check)

    gen = commands.add_parser("generate", help="write a deterministic inventory of N APs")
    gen.add_argument("--aps", type=int, required=True, help="number of APs")
    gen.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    gen.add_argument("--first-ip", default="127.16.0.1", help="first management address")
    gen.add_argument("--snmp-port", type=int, default=161)
    gen.add_argument("--ssh-port", type=int, default=22)
    gen.add_argument("--platform", default="mixed", help="'mixed' or one platform key")
    gen.add_argument("--snmp-version", choices=["3", "2c"], default="3")
    gen.add_argument("--seed", type=int, default=2025)
    gen.add_argument(
        "--program",
        type=int,
        metavar="YEAR",
        help="add a Wi-Fi 6 rollout programme for YEAR (replacements and new APs per quarter)",
    )
    gen.add_argument(
        "--replacements", type=int, help="programme replacements (default: 450, scaled)"
    )
    gen.add_argument("--new-aps", type=int, help="programme new APs (default: 280, scaled)")
    gen.set_defaults(func=_generate)


def _check(args: argparse.Namespace) -> int:
    inventory = load_inventory(args.file)
    by_standard = Counter(ap.standard.value for ap in inventory)
    planned = sum(ap.replacement is not None for ap in inventory)
    new = sum(ap.new_in is not None for ap in inventory)
    districts = {ap.district.code for ap in inventory}
    print(
        f"{args.file}: ok: {len(inventory)} APs, {len(inventory.sites)} sites, "
        f"{len(districts)} districts, {len(inventory.platforms)} platforms "
        f"({', '.join(sorted(inventory.platforms))}); "
        f"standards {dict(sorted(by_standard.items()))}; "
        f"{planned} replacements and {new} new APs planned"
    )
    unset = [(ref, users) for ref, users in inventory.secret_refs().items() if not ref.is_set()]
    problems = [
        Problem(str(args.file), 0, f"secret {ref} is not set (used by {', '.join(users)})")
        for ref, users in sorted(unset, key=lambda item: item[0].env)
    ]
    if problems and args.require_secrets:
        raise InputError(problems)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


def _generate(args: argparse.Namespace) -> int:
    options = GenerateOptions(
        aps=args.aps,
        first_ip=args.first_ip,
        snmp_port=args.snmp_port,
        ssh_port=args.ssh_port,
        platform=args.platform,
        snmp_version=args.snmp_version,
        seed=args.seed,
        program=args.program,
        replacements=args.replacements,
        new_aps=args.new_aps,
    )
    try:
        text = generate(options)
    except ValueError as error:
        raise InputError.at("command line", 0, str(error)) from None
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as error:  # a missing folder, no permission: said plainly, no traceback
        raise InputError.at(str(args.output), 0, f"cannot write: {error.strerror}") from None
    print(f"wrote {options.aps} APs to {args.output}")
    return 0
