#!/usr/bin/env bash
# Debian packages the lab and the tests need (as root); installs only what is missing.
#   docker.io        the lab's own dockerd (instances run as containers)
#   docker-registry  the local registry standing in for ECR / Docker Hub
#   debootstrap      the base image, built without Docker Hub
#   curl, git, make, tar, shellcheck   the build and ansible-test sanity
#   postgresql       tests/app and bench/orderbook_bench.py start a throwaway PostgreSQL on loopback
#   chromium, chromium-driver, fonts-dejavu-core   the page's browser test (headless, Debian's build)
#   prometheus       promtool checks the observability rules (tests/unit/observability); the lab's Prometheus image
#   prometheus-alertmanager  amtool checks the observability tier's alert manager configuration (tests/unit/observability)
set -euo pipefail
packages=(docker.io docker-registry debootstrap curl git make tar ca-certificates shellcheck postgresql chromium chromium-driver fonts-dejavu-core prometheus prometheus-alertmanager)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or install them first)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
