#!/usr/bin/env bash
# Runs an npm script's command on the Node.js the project runs on, so that `npm test`, `npm run local` and the
# rest work as they are on a machine whose own Node is older than package.json's engines:
# scripts/provision-node.ts unpacks the pinned Node 22 into .tools/node when this machine's Node is older (and,
# where it cannot, says what to install, naming the platform), its bin directory goes first on PATH, and the
# command runs there — with every node, npm and npx it starts.
#
#   bash scripts/with-node.sh '<shell command>' [arguments]
#
# The arguments are appended to the command, as npm appends those of `npm run <script> -- <arguments>`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

[ $# -ge 1 ] || { echo "usage: bash scripts/with-node.sh '<shell command>' [arguments]" >&2; exit 2; }
[ -x "$root/node_modules/.bin/tsx" ] || { echo "with-node: node_modules/.bin/tsx not found: run npm ci first." >&2; exit 1; }

node_bin=$("$root/node_modules/.bin/tsx" "$root/scripts/provision-node.ts") || exit 1
if [ -n "$node_bin" ]; then export PATH="$node_bin:$PATH"; fi

command=$1
shift
exec sh -c "$command \"\$@\"" with-node "$@"
