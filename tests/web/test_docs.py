"""The web application's documentation and catalogues tell the truth:
every API route of core/server/api.c is in docs/openapi.yaml and
docs/api.md; every message key used by the pages exists in the four
catalogues, and the four catalogues have the same keys."""
import json
import os
import re

from webtest import Checks

t = Checks()
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
src = lambda p: open(os.path.join(root, p), encoding="utf-8").read()

routes = [r for f in ["api.c", "ui_tokens.c", "ui_meetings.c", "health.c"]
          for r in re.findall(r'\{"(GET|POST|DELETE)", "/api/v1([^"]*)"', src("core/server/" + f))]
spec, current, documented = src("docs/openapi.yaml"), None, set()
for line in spec.splitlines():
    m = re.match(r"^  (/\S*):$", line)
    if m:
        current = m.group(1)
    m = re.match(r"^    (get|post|delete):$", line)
    if m and current:
        documented.add((m.group(1).upper(), current))
missing = [r for r in routes if r not in documented]
t.check(routes and not missing, f"all {len(routes)} API routes are in docs/openapi.yaml", missing)
md = src("docs/api.md")
missing = [p for _, p in routes if f"/api/v1{p}" not in md and not
           any(f"/api/v1{p.rsplit('/', 1)[0]}/{x}" in md for x in ["enable`, `…/disable"])]
t.check(not missing, "all API routes are in docs/api.md", missing)

cats = {l: json.loads(src(f"core/server/i18n/{l}.json")) for l in ["fr", "nl", "de", "en"]}
for l in ["nl", "de", "en"]:
    diff = set(cats["fr"]) ^ set(cats[l])
    t.check(not diff, f"the {l} catalogue has the same keys as fr", sorted(diff))
used = set()
for f in os.listdir(os.path.join(root, "core/server")):
    if f.endswith(".c"):
        used |= set(re.findall(r'"((?:[a-z]+)\.[a-z_.]+)"', src("core/server/" + f)))
used = {k for k in used if not k.endswith((".h", ".c", ".json", ".css", ".js"))
        and not k.startswith(("i18n.", "static."))}
missing = sorted(k for k in used if k not in cats["fr"] and not k.endswith("."))
t.check(not missing, "every message key used by the pages is in the catalogues", missing)
t.finish()
