#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Customer lists for the shell tools: read one, or make one up.

  customers.py table FILE
      One tab-separated line per customer, in file order:
        id name v4 v6 down_rate down_ceil up_rate up_ceil prefixes
      v4/v6: one host address of the customer in that family ('-' if none):
      the address itself for a host prefix, else the first host in the
      prefix. Rates in bit/s. prefixes: all of them, comma-separated,
      normalised (host bits cleared, always with the length).

  customers.py u32 FILE
      The hash plan of the classic u32 shaper (scripts/classic-shaper.sh):
        v6byte K                 the IPv6 address byte the v6 table hashes on
        INDEX 4|6 PREFIX BUCKET  one line per prefix and bucket, most
                                 specific prefixes first; BUCKET is two hex
                                 digits, or '-': too short to hash, goes to
                                 the linear list behind the hash table
      INDEX is the customer's place in the file, from 0.

  customers.py generate N [--down CEIL] [--up CEIL] [--v6]
      A list of N customers on 198.19.0.0/16 (/32 each, from 198.19.1.1),
      and with --v6 a /56 each from 2001:db8:100::/40, on stdout.

The list format is xshaper.ini(5), CUSTOMER LIST: CSV with a header row naming
the columns (any order, extra columns ignored), '#' comments and blank
lines skipped, prefixes separated by spaces or ';', rates in kbit/mbit/gbit
or a bare number of Mbit/s. Only what the tools need is checked here;
xshaper check is the validator.
"""

import argparse
import csv
import ipaddress
import re
import sys

COLUMNS = ("id", "name", "prefixes", "down_rate", "down_ceil", "up_rate", "up_ceil")
UNITS = {"": 1e6, "bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9}


def rate_bps(text, where):
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in UNITS:
        sys.exit(f"{where}: bad rate '{text}' (want e.g. 50mbit, 1.5gbit)")
    return int(float(m.group(1)) * UNITS[m.group(2).lower()])


def host_of(net):
    """An address that belongs to the prefix and can be a host's."""
    if net.num_addresses == 1:
        return net.network_address
    return net.network_address + 1


def read_list(path):
    with open(path, newline="") as f:
        lines = [(n, l) for n, l in enumerate(f, 1)
                 if l.strip() and not l.lstrip().startswith("#")]
    if not lines:
        sys.exit(f"{path}: no header row")
    rows = csv.reader([l for _, l in lines], skipinitialspace=True)
    header = [h.strip().lower() for h in next(rows)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        sys.exit(f"{path}:{lines[0][0]}: header lacks {', '.join(missing)}")
    col = {c: header.index(c) for c in COLUMNS}
    for (line, _), row in zip(lines[1:], rows):
        where = f"{path}:{line}"
        if len(row) < len(header):
            sys.exit(f"{where}: {len(row)} fields, header has {len(header)}")
        nets = []
        for p in re.split(r"[\s;]+", row[col["prefixes"]].strip()):
            if not p:
                continue
            try:
                nets.append(ipaddress.ip_network(p, strict=False))
            except ValueError as e:
                sys.exit(f"{where}: bad prefix '{p}': {e}")
        if not nets:
            sys.exit(f"{where}: no prefix")
        v4 = next((str(host_of(n)) for n in nets if n.version == 4), "-")
        v6 = next((str(host_of(n)) for n in nets if n.version == 6), "-")
        rates = [rate_bps(row[col[c]], where) for c in COLUMNS[3:]]
        name = re.sub(r"\s+", " ", row[col["name"]]).strip() or "-"
        yield [row[col["id"]].strip(), name, v4, v6, *map(str, rates),
               ",".join(str(n) for n in nets)]


def u32_plan(path):
    """IPv4 hashes on the last address octet, as classic shapers do: a
    prefix from /24 to /32 lands in each bucket it spans. IPv6 customers are
    prefixes (/48, /56, /64), so their last octet says nothing: hash on the
    byte, among those every v6 customer prefix fixes, whose value varies
    most between customers."""
    prefixes = []
    for i, row in enumerate(read_list(path)):
        for p in row[-1].split(","):
            prefixes.append((i, ipaddress.ip_network(p)))
    v6 = [n for _, n in prefixes if n.version == 6]
    fixed = min((n.prefixlen for n in v6), default=128) // 8
    k = -1
    if fixed:
        spread = [len({n.network_address.packed[b] for n in v6}) for b in range(fixed)]
        k = max(range(fixed), key=lambda b: (spread[b], b))
    print(f"v6byte {k}")
    prefixes.sort(key=lambda x: -x[1].prefixlen)
    for i, n in prefixes:
        if n.version == 4 and n.prefixlen >= 24:
            first = n.network_address.packed[3]
            buckets = [f"{b:02x}" for b in range(first, first + n.num_addresses)]
        elif n.version == 6 and k >= 0:
            buckets = [f"{n.network_address.packed[k]:02x}"]
        else:
            buckets = ["-"]
        for b in buckets:
            print(f"{i}\t{n.version}\t{n}\t{b}")


def generate(n, down, up, v6):
    if n > 254 * 255:
        sys.exit("generate: at most 64770 customers fit in 198.19.1.1-198.19.255.254")
    print("# made by scripts/customers.py generate")
    print("id,name,prefixes,down_rate,down_ceil,up_rate,up_ceil")
    for i in range(n):
        a = f"198.19.{1 + i // 254}.{1 + i % 254}"
        if v6:
            # 2001:db8:100::/40 holds 65536 /56s
            a += " " + str(ipaddress.ip_network(("2001:db8:100::", 56)).network_address
                           + (i << 72)) + "/56"
        print(f"{1000 + i},c{i},{a},{down},{down},{up},{up}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("table")
    t.add_argument("file")
    u = sub.add_parser("u32")
    u.add_argument("file")
    g = sub.add_parser("generate")
    g.add_argument("n", type=int)
    g.add_argument("--down", default="1gbit")
    g.add_argument("--up", default="1gbit")
    g.add_argument("--v6", action="store_true")
    a = ap.parse_args()
    if a.cmd == "table":
        for row in read_list(a.file):
            print("\t".join(row))
    elif a.cmd == "u32":
        u32_plan(a.file)
    else:
        generate(a.n, a.down, a.up, a.v6)


if __name__ == "__main__":
    main()
