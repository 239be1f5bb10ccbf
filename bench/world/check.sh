#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Same world: reruns the fingerprint (campaign seed 7, scenarios 0-299, clean and with each mutant) on
# the jar of this tree and diffs it with the recorded one. unordered-devices is left out: it is the
# mutant of nondeterminism, its streams differ from run to run by design (determinism kills it).
# Usage: bench/world/check.sh [jar]
set -euo pipefail
cd "$(dirname "$0")/../.."
jar=${1:-cli/target/blkmig.jar}
[ -f "$jar" ] || ./blkmig --version >/dev/null
out=$(mktemp)
java -Xmx3g -cp "$jar" bench/world/Fingerprint.java 7 300 | grep -v ' unordered-devices ' > "$out"
if diff <(grep -v ' unordered-devices ' bench/world/seed7-300.txt) "$out"; then
  echo "same world: $(wc -l < "$out") runs give the recorded stream SHA-256, headline and failed properties"
else
  echo "the world changed (lines above: < recorded, > now)"; exit 1
fi
