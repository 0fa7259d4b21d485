#!/usr/bin/env bash
# Check that npm scripts run on the project's Node.js (scripts/check-node.sh), install the Debian
# packages yizhan needs, only those missing, then check that what the tests run really starts (a
# package can be present and still lack what --no-install-recommends left out).
#   scripts/setup-os.sh run    what `npm start` needs: influxd (and socat with YIZHAN_SERIAL=pty)
#   scripts/setup-os.sh test   what the tests and benchmarks run: influxd, socat, mosquitto and its
#                              clients, chromium, redis-server, haproxy (the load balancer test and
#                              bench:cluster run deploy/haproxy/haproxy.cfg), openssl, gcc with the C headers,
#                              PostgreSQL's server programs (initdb, pg_ctl) for the operations-store
#                              tests, /usr/bin/python3 with the modules of the Modbus slave fixture,
#                              fonts-noto-cjk (the browser tests' screenshots show Chinese), and
#                              pdftotext (poppler-utils: the planning report's PDF text is checked)
# As root on Debian it installs with apt-get; otherwise it prints the exact command and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-run}"
# Debian's interpreter: the Debian python3-* packages are installed for it, not for a pyenv python3.
PY=/usr/bin/python3
MODBUS_SLAVE=test/edge/fixtures/modbus-slave.py
declare -A bin_pkg=(
  [influxd]=influxdb
  [socat]=socat
  [mosquitto]=mosquitto
  [mosquitto_pub]=mosquitto-clients
  [mosquitto_sub]=mosquitto-clients
  [chromium]=chromium
  [redis-server]=redis-server
  [haproxy]=haproxy
  [openssl]=openssl
  [gcc]=gcc
  [pdftotext]=poppler-utils
)
# Python modules the Modbus slave fixture imports: pymodbus's serial server needs pyserial and
# pyserial-asyncio, which python3-pymodbus only recommends.
declare -A py_pkg=(
  [pymodbus]=python3-pymodbus
  [serial]=python3-serial
  [serial_asyncio]=python3-serial-asyncio
)
case "$what" in
  run)
    need=(influxd)
    [ "${YIZHAN_SERIAL:-mock}" = pty ] && need+=(socat)
    ;;
  test) need=(influxd socat mosquitto mosquitto_pub mosquitto_sub chromium redis-server haproxy openssl gcc pdftotext) ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

# The Node.js that npm scripts run on first: the project's Node 24 from node_modules (docs/runtime.md).
bash scripts/check-node.sh

has_bin() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
# test/protocol/serial/encoder.c-reference.int.test.ts compiles the C code of docs/protocol/serial-v1.md; gcc
# without libc6-dev (only recommended) has no <stdio.h>.
compiles_c() {
  printf '#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\nint main(void){return 0;}\n' |
    gcc -std=c99 -x c -o /dev/null - 2>&1
}
# Debian keeps PostgreSQL's server programs in /usr/lib/postgresql/<major>/bin, off PATH; the
# store tests look there too (test/helpers/postgres.ts).
pg_bin() {
  local p
  p="$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$p" ] || p="$(command -v "$1" 2>/dev/null)" || return 1
  echo "$p"
}
# A throw-away cluster as the store tests make one: initdb refuses root, so root runs it as postgres.
initdb_runs() {
  local dir out rc=0
  dir="$(mktemp -d)"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    out="$(runuser -u postgres -- "$(pg_bin initdb)" -D "$dir/data" -A trust -U postgres --no-sync 2>&1)" || rc=$?
  else
    out="$("$(pg_bin initdb)" -D "$dir/data" -A trust -U postgres --no-sync 2>&1)" || rc=$?
  fi
  rm -rf "$dir"
  [ "$rc" -eq 0 ] || { echo "$out"; return 1; }
}
# The repository's load balancer config, as the test runs it (addresses from the environment).
haproxy_config_valid() {
  local h
  h="$(command -v haproxy || echo /usr/sbin/haproxy)"
  YIZHAN_LB_BIND=127.0.0.1:1 YIZHAN_BROKER_1=127.0.0.1:2 YIZHAN_BROKER_2=127.0.0.1:3 \
    "$h" -c -q -f deploy/haproxy/haproxy.cfg 2>&1
}
modbus_slave_starts() { "$PY" "$MODBUS_SLAVE" --check 2>&1; }
# Chromium draws Chinese with what fontconfig finds; without a CJK font the pages show boxes.
has_cjk_font() { command -v fc-list >/dev/null 2>&1 && fc-list ':lang=zh-cn' family | grep -q 'Noto Sans CJK'; }

missing=()
add() { case " ${missing[*]} " in *" $1 "*) ;; *) missing+=("$1") ;; esac; }
for b in "${need[@]}"; do has_bin "$b" || add "${bin_pkg[$b]}"; done
if [ "$what" = test ]; then
  if [ -x "$PY" ]; then
    for m in "${!py_pkg[@]}"; do "$PY" -c "import $m" >/dev/null 2>&1 || add "${py_pkg[$m]}"; done
  else
    add python3
    for m in "${!py_pkg[@]}"; do add "${py_pkg[$m]}"; done
  fi
  if has_bin gcc && ! compiles_c >/dev/null; then add libc6-dev; fi
  pg_bin initdb >/dev/null || add postgresql
  has_bin fc-list || add fontconfig
  has_cjk_font || add fonts-noto-cjk
  has_bin gcc || add libc6-dev
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "缺少系统软件包 / missing Debian packages: ${missing[*]}" >&2
    echo "请安装 / please install:  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "正在安装系统软件包 / installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt run (unattended-upgrades on a fresh machine) instead of failing at once.
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # On a systemd machine Debian starts the services it installs. yizhan runs its own influxd with a
  # project-local data folder on port 8086, so stop the system one we just brought in.
  for pkg in "${missing[@]}"; do
    # The store tests start their own throw-away clusters; the system one is not used.
    if [ "$pkg" = postgresql ] && command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet postgresql 2>/dev/null; then
      systemctl disable --now postgresql >/dev/null 2>&1 || true
      echo "已停用系统 postgresql 服务（测试自建临时实例）/ stopped the system postgresql service; re-enable: systemctl enable --now postgresql"
    fi
    if [ "$pkg" = influxdb ] && command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet influxdb 2>/dev/null; then
      systemctl disable --now influxdb >/dev/null 2>&1 || true
      echo "已停用系统 influxdb 服务（yizhan 自带实例）/ stopped the system influxdb service; re-enable: systemctl enable --now influxdb"
    fi
    # The load balancer test starts its own haproxy on free ports with the repository's config.
    if [ "$pkg" = haproxy ] && command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet haproxy 2>/dev/null; then
      systemctl disable --now haproxy >/dev/null 2>&1 || true
      echo "已停用系统 haproxy 服务（测试自行启动）/ stopped the system haproxy service; re-enable: systemctl enable --now haproxy"
    fi
  done
fi

# What the tests run, run once: an import or header that no package check above names fails here,
# with its own error, instead of in the middle of a test.
[ "$what" = test ] || exit 0
if ! out="$(modbus_slave_starts)"; then
  echo "Modbus 测试的从站无法启动 / the Modbus test's slave ($PY $MODBUS_SLAVE) cannot start:" >&2
  echo "$out" >&2
  exit 1
fi
if ! out="$(initdb_runs)"; then
  echo "PostgreSQL 的 initdb 无法建立临时实例 / initdb cannot create the store tests' throw-away cluster:" >&2
  echo "$out" >&2
  exit 1
fi
if ! has_cjk_font; then
  echo "找不到中文字体 Noto Sans CJK（fc-list）/ no Noto Sans CJK font found by fc-list: apt-get install fonts-noto-cjk fontconfig" >&2
  exit 1
fi
if ! out="$(haproxy_config_valid)"; then
  echo "haproxy 不接受 deploy/haproxy/haproxy.cfg / haproxy refuses deploy/haproxy/haproxy.cfg:" >&2
  echo "$out" >&2
  exit 1
fi
if ! out="$(compiles_c)"; then
  echo "gcc 无法编译 C 参考代码的测试 / gcc cannot compile the C reference test:" >&2
  echo "$out" >&2
  exit 1
fi
exit 0
