#!/usr/bin/env bash
# Install the Debian packages yizhan needs, only those missing.
#   scripts/setup-os.sh run    what `npm start` needs (influxd)
#   scripts/setup-os.sh test   what the tests need (influxd, socat, mosquitto, chromium, redis-server, openssl)
# As root on Debian it installs with apt-get; otherwise it prints the exact command and exits 1.
set -euo pipefail
what="${1:-run}"
declare -A bin_pkg=(
  [influxd]=influxdb
  [socat]=socat
  [mosquitto]=mosquitto
  [mosquitto_pub]=mosquitto-clients
  [chromium]=chromium
  [redis-server]=redis-server
  [openssl]=openssl
)
case "$what" in
  run) need=(influxd) ;;
  test) need=(influxd socat mosquitto mosquitto_pub chromium redis-server openssl) ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac
missing=()
for b in "${need[@]}"; do
  command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("${bin_pkg[$b]}")
done
# The Modbus test runs a third-party slave: Debian's pymodbus under Debian's own python3.
if [ "$what" = test ] && ! /usr/bin/python3 -c 'import pymodbus' >/dev/null 2>&1; then
  missing+=(python3-pymodbus)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "正在安装系统软件包 / installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # On a systemd machine Debian starts the services it installs. yizhan runs its own influxd with a
  # project-local data folder on port 8086, so stop the system one we just brought in.
  for pkg in "${missing[@]}"; do
    if [ "$pkg" = influxdb ] && command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet influxdb 2>/dev/null; then
      systemctl disable --now influxdb >/dev/null 2>&1 || true
      echo "已停用系统 influxdb 服务（yizhan 自带实例）/ stopped the system influxdb service; re-enable: systemctl enable --now influxdb"
    fi
  done
  exit 0
fi
echo "缺少系统软件包 / missing Debian packages: ${missing[*]}" >&2
echo "请安装 / please install:  sudo apt-get install -y ${missing[*]}" >&2
exit 1
