#!/usr/bin/env bash
# Installs what the tests and the local run need beyond npm, idempotently:
#   .tools/node/        Node.js 22, only when this machine's Node is older than package.json's engines:
#                       the workers' pinned runtime, unpacked (scripts/provision-node.ts)
#   node_modules/.cache/python-tools/
#                       a virtualenv with moto (the AWS emulator), checkov and parliament (the security gate)
#                       and zizmor (the workflow linter), pinned in requirements.txt. It lives with the other
#                       third-party code, so that tools reading the project's own tree never read it; npm ci
#                       clears it, and the next run here reinstalls it (local/emulator/paths.ts names it too)
#   .tools/terraformrc  a Terraform CLI configuration that installs hashicorp/aws from a local provider mirror,
#                       through a plugin cache (.tools/terraform-plugin-cache) filled here, once
# (npm run build packs the workers' Node.js runtime into .tools/node-runtime/: scripts/fetch-node-runtime.ts.)
# Each missing prerequisite gets one line naming it and how to get it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
provider_version=5.100.0
provider_path="registry.terraform.io/hashicorp/aws/${provider_version}"

fail() { echo "setup-tools: $*" >&2; exit 1; }

python=${PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 ||
  fail "Python 3 not found: install python3 (with venv), or set PYTHON to its path."
command -v terraform >/dev/null 2>&1 ||
  fail "terraform not found: install Terraform >= 1.10 and put it on PATH."

# The user-data tests lint the bootstrap with shellcheck (Debian's package); installed when we may.
if ! command -v shellcheck >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup-tools: installing shellcheck (Debian package)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck; } >/dev/null 2>&1 ||
      fail "apt-get could not install shellcheck: install the shellcheck package."
  else
    # Only the user-data tests need it; the local run does not.
    echo "setup-tools: shellcheck not found, so the user-data tests will fail: install it (Debian/Ubuntu: sudo apt-get install shellcheck)." >&2
  fi
fi

# The bootstrap tests check the worker's systemd unit with systemd-analyze (Debian's systemd package).
if ! command -v systemd-analyze >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup-tools: installing systemd-analyze (Debian package systemd)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd; } >/dev/null 2>&1 ||
      fail "apt-get could not install systemd: install the systemd package (it has systemd-analyze)."
  else
    echo "setup-tools: systemd-analyze not found, so a bootstrap test will fail: install it (Debian/Ubuntu: sudo apt-get install systemd)." >&2
  fi
fi

# 0. Node.js. On an older Node, provision-node.ts unpacks the pinned one and says how to put it on PATH;
#    where it cannot (not linux-x64), it says what to install, and the setup stops.
[ -x "$root/node_modules/.bin/tsx" ] || fail "node_modules/.bin/tsx not found: run npm ci first."
"$root/node_modules/.bin/tsx" "$root/scripts/provision-node.ts" >/dev/null || exit 1

# 1. Python tools, reinstalled only when requirements.txt changes.
venv_dir=node_modules/.cache/python-tools
venv="$root/$venv_dir"
stamp="$venv/.requirements.sha256"
wanted=$(sha256sum "$root/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/moto_server" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup-tools: installing moto, checkov, parliament and zizmor into $venv_dir (about a minute)" >&2
  "$python" -m venv "$venv" || fail "could not create $venv_dir: install the python3-venv package."
  "$venv/bin/pip" install --quiet -r "$root/requirements.txt" >"$venv/pip-install.log" 2>&1 ||
    fail "pip could not install requirements.txt into $venv_dir: see $venv_dir/pip-install.log."
  echo "$wanted" >"$stamp"
fi

# 2. Provider mirror. TF_PROVIDER_MIRROR names it; otherwise look where provider copies are usually kept.
find_mirror() {
  if [ -n "${TF_PROVIDER_MIRROR:-}" ]; then
    [ -d "$TF_PROVIDER_MIRROR/$provider_path" ] && echo "$TF_PROVIDER_MIRROR"
    return
  fi
  local dir
  for dir in "$HOME/.terraform.d/plugins" "${XDG_DATA_HOME:-$HOME/.local/share}/terraform/plugins" \
    /usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
    [ -d "$dir/$provider_path" ] && { echo "$dir"; return; }
  done
  # Machines that keep the copy elsewhere: search the usual install roots, shallowly.
  dir=$(find /opt /usr/local /srv "$HOME" -maxdepth 6 -type d -path "*/$provider_path" 2>/dev/null | head -n 1)
  [ -n "$dir" ] && echo "${dir%/"$provider_path"}"
}
# Machines that reach the Terraform registry get a mirror made once, into .tools/provider-mirror.
make_mirror_from_registry() {
  local work="$root/.tools/provider-mirror-source"
  mkdir -p "$work"
  cat >"$work/main.tf" <<TF
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "${provider_version}" }
  }
}
TF
  (cd "$work" && TF_CLI_CONFIG_FILE=/dev/null terraform providers mirror "$root/.tools/provider-mirror") >/dev/null 2>&1 &&
    echo "$root/.tools/provider-mirror"
}

mirror=$(find_mirror) || true
if [ -z "$mirror" ] && [ -d "$root/.tools/provider-mirror/$provider_path" ]; then
  mirror="$root/.tools/provider-mirror"
fi
if [ -z "$mirror" ]; then
  echo "setup-tools: no local hashicorp/aws ${provider_version} provider found; trying the Terraform registry" >&2
  mirror=$(make_mirror_from_registry) || true
fi
[ -n "$mirror" ] ||
  fail "no local copy of the hashicorp/aws ${provider_version} provider found and the registry is unreachable: set TF_PROVIDER_MIRROR to a directory holding ${provider_path}/<os_arch>/ (terraform providers mirror can make one)."

# Every init links the provider from the plugin cache instead of unpacking it again: a packed mirror, as
# `terraform providers mirror` makes, holds a zip that each init would unpack to 700 MB. (An unpacked mirror is
# linked either way.) Terraform
# does not promise safe concurrent writes to the cache, and the tests run inits in parallel: the cache is
# filled here, once, so that later inits only read it.
plugin_cache="$root/.tools/terraform-plugin-cache"
mkdir -p "$root/.tools" "$plugin_cache"
cat >"$root/.tools/terraformrc" <<RC
plugin_cache_dir = "$plugin_cache"
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
RC
if [ ! -d "$plugin_cache/$provider_path" ]; then
  warm="$root/.tools/plugin-cache-warmup"
  mkdir -p "$warm"
  cat >"$warm/main.tf" <<TF
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "${provider_version}" }
  }
}
TF
  (cd "$warm" && TF_CLI_CONFIG_FILE="$root/.tools/terraformrc" CHECKPOINT_DISABLE=1 terraform init -input=false -no-color) >/dev/null 2>&1 ||
    fail "terraform init could not fill the plugin cache from ${mirror}: run it in $warm to see why."
  rm -rf "$warm"
fi
