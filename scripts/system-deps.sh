#!/usr/bin/env bash
# Installs the Debian packages shelfcast needs that are missing; does nothing (fast) when all are present.
# PostgreSQL: the local stand-in for Redshift and the optional ERP server. Java 17: Spark's JVM.
# --tests adds what only the tests need: Chromium, which Playwright drives headless for the dashboards.
set -euo pipefail
packages=(postgresql postgresql-client openjdk-17-jre-headless)
[[ ${1:-} == --tests ]] && packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: need root or sudo to apt-get install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
