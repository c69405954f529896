#!/bin/bash
# Worker setup for the pdf-text example (docs/processors.md): run once per worker, as root, before it takes work.
set -euo pipefail

# The workers' security group lets out HTTPS only, and Ubuntu's own mirrors are plain HTTP: point apt at an
# HTTPS mirror of the Ubuntu archive first. Packages are still checked against Ubuntu's signing keys.
sed -i -E 's#http://([a-z0-9.-]*\.)?archive\.ubuntu\.com/ubuntu/?#https://mirrors.edge.kernel.org/ubuntu/#; s#http://security\.ubuntu\.com/ubuntu/?#https://mirrors.edge.kernel.org/ubuntu/#' \
  /etc/apt/sources.list.d/ubuntu.sources
apt-get update -q
apt-get install -y -q --no-install-recommends poppler-utils
pdftotext -v
