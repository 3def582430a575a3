#!/usr/bin/env python3
"""Turns CustomResourceDefinition YAML files into the JSON schemas kubeconform reads.

Usage: crd_to_jsonschema.py CRD_DIR OUT_DIR
Writes OUT_DIR/<group>/<kind>_<version>.json (lower case), the layout of kubeconform's
`{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json` schema location. Objects that
declare properties get additionalProperties: false (unless the CRD preserves unknown fields),
so `kubeconform -strict` catches misspelt keys in custom resources as it does for built-ins.
"""
import json
import os
import sys

import yaml


def tighten(node):
    if isinstance(node, dict):
        if node.get("x-kubernetes-int-or-string"):
            node.pop("type", None)
            node["anyOf"] = [{"type": "string"}, {"type": "integer"}]
        if ("properties" in node and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")):
            node["additionalProperties"] = False
        for value in node.values():
            tighten(value)
    elif isinstance(node, list):
        for value in node:
            tighten(value)


def main():
    crd_dir, out_dir = sys.argv[1], sys.argv[2]
    written = 0
    for name in sorted(os.listdir(crd_dir)):
        if not name.endswith((".yaml", ".yml")):
            continue
        with open(os.path.join(crd_dir, name)) as f:
            for doc in yaml.safe_load_all(f):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                group, kind = spec["group"], spec["names"]["kind"]
                for version in spec["versions"]:
                    schema = version["schema"]["openAPIV3Schema"]
                    props = schema.setdefault("properties", {})
                    props["apiVersion"] = {"type": "string", "enum": [f"{group}/{version['name']}"]}
                    props["kind"] = {"type": "string", "enum": [kind]}
                    props["metadata"] = {"type": "object"}
                    tighten(schema)
                    dest = os.path.join(out_dir, group)
                    os.makedirs(dest, exist_ok=True)
                    path = os.path.join(dest, f"{kind.lower()}_{version['name']}.json")
                    with open(path, "w") as out:
                        json.dump(schema, out, indent=1, sort_keys=True)
                    written += 1
    if written == 0:
        sys.exit(f"no CustomResourceDefinition found in {crd_dir}")
    print(f"crd_to_jsonschema: {written} schemas in {out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
