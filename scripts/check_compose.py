#!/usr/bin/env python3
"""Checks a docker-compose file: it parses, validates against the Compose
Specification's JSON schema (given as the second argument), and names only
files that exist in the repository and pinned images.

Usage: check_compose.py COMPOSE_FILE SCHEMA_JSON
"""
import json
import os
import sys

import jsonschema
import yaml


def main() -> int:
    compose_path, schema_path = sys.argv[1], sys.argv[2]
    base = os.path.dirname(os.path.abspath(compose_path))
    with open(compose_path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    problems = [f"schema: {'/'.join(map(str, e.path))}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(doc)]
    for name, service in (doc.get("services") or {}).items():
        build = service.get("build")
        if build is not None:
            context = os.path.normpath(os.path.join(base, build["context"] if isinstance(build, dict) else build))
            dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile")
            if not os.path.isfile(dockerfile):
                problems.append(f"services.{name}.build: no {dockerfile}")
        else:
            image = service.get("image", "")
            tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else ""
            if not tag or tag == "latest":
                problems.append(f"services.{name}.image: {image!r} must name a pinned tag")
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")) and not os.path.exists(os.path.join(base, source)):
                problems.append(f"services.{name}.volumes: {source} does not exist")
    for p in problems:
        print(f"{compose_path}: {p}", file=sys.stderr)
    if not problems:
        print(f"{compose_path}: OK ({len(doc.get('services', {}))} services)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
