# The documentation tells the truth: every command's usage line printed by
# `filrouge help GROUP` appears in docs/cli.md, and README.md gives exactly
# the two commands.
. ./lib.sh
DOCS=../../docs/cli.md
for g in init user team patient case network task tick plugin events audit workflow referral serve; do
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
n=$(sed -n '/^## Two commands/,/^## /p' ../../README.md | grep -c '^scripts/')
test "$n" -eq 2 && pass "README gives exactly two commands" || fail "README gives $n commands"
finish
