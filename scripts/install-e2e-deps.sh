#!/usr/bin/env bash
# Installs what the end-to-end console test needs on Debian/Ubuntu (CI and dev machines):
#   - a real VNC server for a demo VM: TigerVNC's Xvnc (an X server that is its own VNC server);
#   - xsetroot (x11-xserver-utils), to paint the demo screen a known colour;
#   - Debian's Chromium, which playwright-core drives headless (no browser download from npm);
#   - the stock OpenStack command lines (openstack, nova), which test/programs/openstack-cli.test.ts drives;
#   - the stock client libraries test/programs/stock-clients.test.ts drives: openstacksdk, novaclient's Python API,
#     libcloud, and Ansible (Debian's ansible bundles the vmware.vmware_rest collection; it needs aiohttp);
#   - the distribution's nodejs, which the guest agent's .deb depends on (test/programs/agent-package.test.ts installs it).
#   - the stock vim25 SOAP clients test/programs/vim25-soap-clients.test.ts drives: pyVmomi, and govmomi's source with
#     the Go toolchain that builds test/programs/govmomi/main.go offline in GOPATH mode.
# Idempotent; run as root or with sudo available.
set -euo pipefail

packages=(tigervnc-standalone-server x11-xserver-utils chromium fonts-dejavu-core python3-openstackclient python3-novaclient
  python3-openstacksdk python3-libcloud ansible python3-aiohttp nodejs
  python3-pyvmomi golang-go golang-github-vmware-govmomi-dev)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "e2e dependencies already installed: ${packages[*]}"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

command -v Xvnc >/dev/null && command -v chromium >/dev/null && command -v openstack >/dev/null && command -v ansible >/dev/null
echo "installed: ${missing[*]}"
