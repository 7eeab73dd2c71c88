# The documentation tells the truth: every command's usage line printed by
# `filrouge help GROUP` appears in docs/cli.md, `--help` after a command
# prints its usage, and README.md gives exactly the two commands.
. ./lib.sh
DOCS=../../docs/cli.md
for g in $("$FR" help | sed -n "s/^  \([a-z][a-z-]*\)[ [].*/\1/p" | grep -v "^help$\|^version$" | sort -u); do
    "$FR" help "$g" | grep '^filrouge ' | while IFS= read -r line; do
        grep -qxF -- "$line" "$DOCS" || echo "$line"
    done >"$TMP/missing"
    if [ -s "$TMP/missing" ]; then
        fail "docs/cli.md is missing usage lines of '$g' (regenerate it from filrouge help):"
        sed 's/^/#   /' "$TMP/missing"
    else
        pass "docs/cli.md documents the '$g' commands"
    fi
done
# A newcomer types --help after a command: its usage, not "unknown option".
ok "--help after a command prints its usage" -- plugin enable --help
out_has "the usage line of that command" "filrouge plugin enable ID"
out_lacks "and only that command's" "plugin disable"
ok "--help after a group lists the group" -- plugin --help
out_has "every command of the group" "filrouge plugin check DIR"
refused "after --, --help is an argument like any other" 2 "unexpected '--help'" -- case list -- --help
n=$(sed -n '/^## Two commands/,/^## /p' ../../README.md | grep -c '^scripts/')
test "$n" -eq 2 && pass "README gives exactly two commands" || fail "README gives $n commands"
finish
