#!/usr/bin/env python3
"""Rewrites the "## Commands" part of docs/cli.md from `filrouge help GROUP`
(the `docs` test checks that every usage line is there).

usage: core/tools/cli_doc.py build/filrouge docs/cli.md
"""
import re
import subprocess
import sys

exe, doc = sys.argv[1], sys.argv[2]
overview = subprocess.run([exe, "help"], capture_output=True, text=True).stdout
groups = []
for line in overview.splitlines():
    m = re.match(r"^  ([a-z][a-z-]*)[ \[]", line)
    if m and m.group(1) not in groups and m.group(1) not in ("help", "version"):
        groups.append(m.group(1))
parts = []
for g in groups:
    out = subprocess.run([exe, "help", g], capture_output=True, text=True).stdout
    parts.append(f"### {g}\n\n```\n{out}```\n")
text = open(doc).read()
head = text.split("## Commands")[0]
open(doc, "w").write(head + "## Commands\n\n(This part is generated from `filrouge help` by "
                      "`core/tools/cli_doc.py build/filrouge docs/cli.md`; the `docs` test fails "
                      "when it is out of date.)\n\n" + "\n".join(parts))
