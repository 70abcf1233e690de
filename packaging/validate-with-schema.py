#!/usr/bin/env python3
"""Validates configuration files against packaging/anycastd.schema.json with an independent JSON
Schema implementation (python3-jsonschema), as an editor would; YAML is read with python3-yaml.

    packaging/validate-with-schema.py FILE...      exit 0 when every file is valid

A second, mutated copy of each file (an unknown key at the top) must be rejected, so a schema that
accepts anything fails too."""
import json
import os
import sys

import jsonschema
import yaml

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "anycastd.schema.json"), encoding="utf-8") as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
failed = False
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        document = json.load(f) if path.endswith(".json") else yaml.safe_load(f)
    for error in validator.iter_errors(document):
        failed = True
        print(f"{path}: {'.'.join(str(p) for p in error.path)}: {error.message}", file=sys.stderr)
    document["multihope_ttl"] = 3
    if validator.is_valid(document):
        failed = True
        print(f"{path}: the schema accepts an unknown key", file=sys.stderr)
    print(f"{path}: checked")
sys.exit(1 if failed else 0)
