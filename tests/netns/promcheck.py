#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# A strict check of the Prometheus text exposition format (version 0.0.4)
# for what xshaper prints: every sample belongs to a family announced by
# one HELP and one TYPE line before it, names and labels are well formed,
# label values are escaped, values are numbers, no series is repeated,
# counters end in _total, and a histogram's series are its _bucket, _sum and
# _count, each bucket set with le ascending and cumulative counts, ending in
# le="+Inf" equal to its _count. Reads stdin; prints the problems; exit 1 on
# any.
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


HIST_SUFFIXES = ('_bucket', '_sum', '_count')


def family_of(name, types):
    """The histogram family a sample name belongs to, or None."""
    for suffix in HIST_SUFFIXES:
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) == 'histogram':
            return base, suffix
    return None


def check_histograms(buckets, counts, problems):
    for key, series in buckets.items():
        les = []
        for where, le, v in series:
            try:
                les.append((float(le), where, le, v))
            except ValueError:
                problems.append(f'{where}: le {le!r} is not a number')
        if not les:
            continue
        for a, b in zip(les, les[1:]):
            if b[0] <= a[0]:
                problems.append(f'{b[1]}: le not ascending in {key}')
            if b[3] < a[3]:
                problems.append(f'{b[1]}: bucket counts not cumulative in {key}')
        if les[-1][2] != '+Inf':
            problems.append(f'{les[-1][1]}: {key} does not end in le="+Inf"')
        elif key not in counts:
            problems.append(f'{les[-1][1]}: {key} has no _count')
        elif counts[key] != les[-1][3]:
            problems.append(f'{les[-1][1]}: {key}: +Inf bucket {les[-1][3]} != _count '
                            f'{counts[key]}')
    for key in counts:
        if key not in buckets:
            problems.append(f'{key}: a _count without buckets')


def main():
    problems = []
    helps, types, seen = {}, {}, set()
    buckets, counts = {}, {}
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
        hist = family_of(name, types)
        family = hist[0] if hist else name
        if family not in types or family not in helps:
            problems.append(f'{where}: {name} has no HELP and TYPE before it')
        elif types[family] == 'counter' and not name.endswith('_total'):
            problems.append(f'{where}: counter {name} does not end in _total')
        elif types[family] == 'histogram' and not hist:
            problems.append(f'{where}: histogram sample {name} is no _bucket, _sum or _count')
        parsed = parse_labels(labels, where, problems)
        v = None
        try:
            v = float(value)
            if types.get(family) in ('counter', 'histogram') and v < 0:
                problems.append(f'{where}: negative counter')
        except ValueError:
            problems.append(f'{where}: value {value!r} is not a number')
        if hist and v is not None:
            rest = tuple(sorted((k, x) for k, x in parsed if k != 'le'))
            key = family + str(rest)
            if hist[1] == '_bucket':
                le = dict(parsed).get('le')
                if le is None:
                    problems.append(f'{where}: bucket without le')
                else:
                    buckets.setdefault(key, []).append((where, le, v))
            elif hist[1] == '_count':
                counts[key] = v
        key = name + '{' + ','.join(f'{k}={v}' for k, v in sorted(parsed)) + '}'
        if key in seen:
            problems.append(f'{where}: series repeated: {key}')
        seen.add(key)
        samples += 1
    check_histograms(buckets, counts, problems)
    if samples == 0:
        problems.append('no samples')
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
