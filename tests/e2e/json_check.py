#!/usr/bin/python3
"""Check ferry --json event lines against doc/ferry-events.schema.json.

usage: /usr/bin/python3 json_check.py SCHEMA FILE...

Every line of every FILE must be one JSON object that the schema accepts
(Debian's python3-jsonschema, draft 2020-12).  Prints one line per bad
event (file:line: why, and the event) and exits 1 if there is one, 0 if
all are good, 77 when python3-jsonschema is not installed.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("json_check: python3-jsonschema is not installed (scripts/deps)",
          file=sys.stderr)
    sys.exit(77)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = checked = 0
    for path in argv[1:]:
        with open(path, encoding="utf-8", errors="strict") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                checked += 1
                try:
                    ev = json.loads(line)
                except ValueError as e:
                    errors = ["not JSON: %s" % e]
                else:
                    if not isinstance(ev, dict):
                        errors = ["not a JSON object"]
                    else:
                        errors = [
                            "%s: %s" % ("/".join(map(str, e.absolute_path))
                                        or "event", e.message)
                            for e in validator.iter_errors(ev)]
                if errors:
                    bad += 1
                    if bad <= 20:
                        print("%s:%d: %s\n    %s" % (path, n, "; ".join(errors),
                                                    line.rstrip()[:400]),
                              file=sys.stderr)
    if bad:
        print("json_check: %d of %d events do not match %s" %
              (bad, checked, argv[0]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
