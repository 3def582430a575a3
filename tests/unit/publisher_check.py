#!/usr/bin/env python3
"""Independent checks for the publisher unit tests.

  publisher_check.py schema SCHEMA.json RECORDS.jsonl   validate every line against the schema
  publisher_check.py murmur2 VECTORS.tsv                recompute Kafka's murmur2 partitioner

VECTORS.tsv lines: <key as hex, "-" when empty> <partition count> <murmur2 as signed int> <partition>.
Exit status 0 when everything matches, 1 otherwise (with the reason on stderr).
"""
import json
import sys


def validate(schema_path, records_path):
    import jsonschema
    with open(schema_path) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    bad = 0
    with open(records_path) as f:
        for n, line in enumerate(f, 1):
            for err in validator.iter_errors(json.loads(line)):
                print(f"record {n}: {err.json_path}: {err.message}", file=sys.stderr)
                bad += 1
    return bad == 0


def java_murmur2(data: bytes) -> int:
    """org.apache.kafka.common.utils.Utils.murmur2, with 32-bit wrap-around."""
    mask = 0xFFFFFFFF
    seed, m, r = 0x9747B28C, 0x5BD1E995, 24
    length = len(data)
    h = (seed ^ length) & mask
    for i in range(length // 4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    rest = length % 4
    tail = length & ~3
    if rest >= 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def check_murmur2(path):
    ok = True
    count = 0
    with open(path) as f:
        for line in f:
            key_hex, parts, got_hash, got_part = line.split()
            key = b"" if key_hex == "-" else bytes.fromhex(key_hex)
            want_hash = java_murmur2(key)
            want_part = (want_hash & 0x7FFFFFFF) % int(parts)
            count += 1
            if want_hash != int(got_hash) or want_part != int(got_part):
                print(f"key {key!r}: want {want_hash}/{want_part}, got {got_hash}/{got_part}",
                      file=sys.stderr)
                ok = False
    return ok and count > 0


def main(argv):
    if len(argv) == 4 and argv[1] == "schema":
        return 0 if validate(argv[2], argv[3]) else 1
    if len(argv) == 3 and argv[1] == "murmur2":
        return 0 if check_murmur2(argv[2]) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
