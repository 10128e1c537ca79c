#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# A strict check of the Prometheus text exposition format (version 0.0.4)
# for what xshaper prints: every sample belongs to a family announced by
# one HELP and one TYPE line before it, names and labels are well formed,
# label values are escaped, values are numbers, no series is repeated, and
# counters end in _total. Reads stdin; prints the problems; exit 1 on any.
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*$')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*$')
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}


def parse_labels(text, where, problems):
    labels = []
    i = 0
    while i < len(text):
        m = re.match(r'([^=]*)="', text[i:])
        if not m:
            problems.append(f'{where}: bad label syntax at {text[i:]!r}')
            return labels
        name = m.group(1)
        if not LABEL.match(name):
            problems.append(f'{where}: bad label name {name!r}')
        i += m.end()
        value = ''
        while True:
            if i >= len(text):
                problems.append(f'{where}: unterminated label value')
                return labels
            c = text[i]
            if c == '\\':
                if i + 1 >= len(text) or text[i + 1] not in '\\"n':
                    problems.append(f'{where}: bad escape in label value')
                value += text[i:i + 2]
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == '\n':
                problems.append(f'{where}: raw newline in label value')
            value += c
            i += 1
        labels.append((name, value))
        if i < len(text):
            if text[i] != ',':
                problems.append(f'{where}: expected , between labels')
                return labels
            i += 1
    names = [n for n, _ in labels]
    if len(names) != len(set(names)):
        problems.append(f'{where}: repeated label name')
    return labels


def main():
    problems = []
    helps, types, seen = {}, {}, set()
    samples = 0
    for no, line in enumerate(sys.stdin.read().split('\n'), 1):
        where = f'line {no}'
        if line == '':
            continue
        if line.startswith('#'):
            parts = line.split(' ', 3)
            if len(parts) >= 3 and parts[1] in ('HELP', 'TYPE'):
                name = parts[2]
                if not NAME.match(name):
                    problems.append(f'{where}: bad metric name {name!r}')
                book = helps if parts[1] == 'HELP' else types
                if name in book:
                    problems.append(f'{where}: second {parts[1]} for {name}')
                if any(s.startswith(name + '{') or s == name for s in seen):
                    problems.append(f'{where}: {parts[1]} for {name} after its samples')
                if len(parts) < 4 or not parts[3]:
                    problems.append(f'{where}: empty {parts[1]} for {name}')
                elif parts[1] == 'TYPE' and parts[3] not in TYPES:
                    problems.append(f'{where}: unknown type {parts[3]!r}')
                book[name] = parts[3] if len(parts) > 3 else ''
            continue
        m = re.match(r'([^{ ]+)(\{(.*)\})? (\S+)( -?\d+)?$', line)
        if not m:
            problems.append(f'{where}: not a sample: {line!r}')
            continue
        name, labels, value = m.group(1), m.group(3) or '', m.group(4)
        if not NAME.match(name):
            problems.append(f'{where}: bad metric name {name!r}')
        if name not in types or name not in helps:
            problems.append(f'{where}: {name} has no HELP and TYPE before it')
        elif types[name] == 'counter' and not name.endswith('_total'):
            problems.append(f'{where}: counter {name} does not end in _total')
        parsed = parse_labels(labels, where, problems)
        try:
            v = float(value)
            if types.get(name) == 'counter' and v < 0:
                problems.append(f'{where}: negative counter')
        except ValueError:
            problems.append(f'{where}: value {value!r} is not a number')
        key = name + '{' + ','.join(f'{k}={v}' for k, v in sorted(parsed)) + '}'
        if key in seen:
            problems.append(f'{where}: series repeated: {key}')
        seen.add(key)
        samples += 1
    if samples == 0:
        problems.append('no samples')
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
