/**
 * The worker's bootstrap: the one user data script every worker boots with. cloud-init runs it once, as
 * root, at first boot. `renderUserData` replaces ENVIRONMENT_MARKER with the `export NAME='value'` lines;
 * nothing else is substituted, so every other line is fixed and checked by bash -n and shellcheck in the
 * tests. Bash variables are written `$NAME`, never with braces: in this template literal `${` would be a
 * TypeScript substitution.
 *
 * Node.js pin: the official linux-x64 tar.xz of v22.22.2 and its SHA-256 as nodejs.org/dist/v22.22.2/SHASUMS256.txt
 * lists it (docs/orchestrator.md says where it was checked). To upgrade, change NODE_VERSION and NODE_SHA256 together.
 */
export const ENVIRONMENT_MARKER = '# @@WORKER_ENVIRONMENT@@';

export const NODE_VERSION = '22.22.2';
export const NODE_SHA256 = '88fd1ce767091fd8d4a99fdb2356e98c819f93f3b1f8663853a2dee9b438068a';

export const USER_DATA_TEMPLATE = String.raw`#!/bin/bash
# rag-worker bootstrap: installs Node.js, fetches the worker bundle from S3 and runs it as ubuntu.
# Whatever happens, the instance powers off at the end; its shutdown behaviour is "terminate".
set -euo pipefail
shopt -s inherit_errexit

# WORKER_INSTANCE_ID is read from IMDS in main; empty until then (the failure upload reads it itself).
WORKER_INSTANCE_ID=''

power_off() {
  local status=$?
  # Nothing may cut the last steps short: the upload is bounded by its timeouts, and the power-off must run.
  trap '' TERM INT HUP
  log bootstrap_exiting "exiting with status $status; powering off"
  # Node.js or the worker failed, or the worker was killed (OOM): ship the log before the instance goes.
  if [ "$status" -ne 0 ]; then
    upload_failure_log || log bootstrap_log_upload_failed "could not upload $WORKER_LOG_PATH"
  fi
  # poweroff, not halt: only a power-off terminates an instance whose shutdown behaviour is "terminate".
  shutdown -h now
}
trap power_off EXIT
# A signal ends the script through exit, so the EXIT trap runs then too.
trap 'exit 143' TERM INT HUP

# Worker environment, rendered by runtime/bootstrap/user-data.ts. The values are data: single quotes keep
# every character literal, which is what shellcheck's notes about unexpanded $ and \ would question.
# shellcheck disable=SC1003,SC2016
{
${ENVIRONMENT_MARKER}
}

readonly NODE_VERSION='${NODE_VERSION}'
readonly NODE_SHA256='${NODE_SHA256}'
readonly NODE_DIR=/opt/nodejs
readonly WORKER_DIR=/opt/rag-worker
readonly IMDS=http://169.254.169.254/latest
# SHA-256 of an empty body: a GET signs its (empty) payload.
readonly EMPTY_PAYLOAD_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# One JSON line per step, like the worker's, to stderr (cloud-init's log) and to the worker's log file, so
# the bootstrap's story is in the log that reaches S3. Messages are fixed text and identifiers: nothing
# in them needs JSON escaping.
log() {
  local event=$1 line
  shift
  line=$(printf '{"time":"%s","source":"bootstrap","event":"%s","msg":"%s"}' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$event" "$*")
  echo "$line" >&2
  echo "$line" >>"$WORKER_LOG_PATH" || true
}

# Retries of each metadata read; the failure upload lowers it so the power-off is not held up.
IMDS_RETRIES=5

# IMDSv2 (the only version the launch allows): a session token first, then the metadata.
imds_token() {
  curl -fsS --retry "$IMDS_RETRIES" --retry-connrefused --connect-timeout 2 --max-time 10 \
    -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/api/token"
}

imds_get() {
  local token=$1 path=$2
  curl -fsS --retry "$IMDS_RETRIES" --retry-connrefused --connect-timeout 2 --max-time 10 \
    -H "X-aws-ec2-metadata-token: $token" "$IMDS/$path"
}

install_node() {
  local archive="node-v$NODE_VERSION-linux-x64.tar.xz"
  local download
  download=$(mktemp -d)
  log node_download_started "downloading Node.js $NODE_VERSION"
  curl -fsSL --retry 5 --retry-connrefused --connect-timeout 10 --max-time 300 \
    -o "$download/$archive" "https://nodejs.org/dist/v$NODE_VERSION/$archive"
  echo "$NODE_SHA256  $download/$archive" | sha256sum --check --strict --quiet
  mkdir -p "$NODE_DIR"
  tar -xJf "$download/$archive" -C "$NODE_DIR" --strip-components=1 --no-same-owner
  rm -rf "$download"
  # Running it proves the binary works on this instance before anything depends on it.
  local installed
  installed=$("$NODE_DIR/bin/node" --version)
  log node_installed "installed Node.js $installed"
}

# The instance profile's temporary credentials as a curl config read from stdin, so neither the key nor
# the session token appears on a command line. python3, not Node.js: Node.js may be what failed, and
# Ubuntu cloud images always have python3 (cloud-init is Python).
credentials_as_curl_config() {
  local token=$1 role credentials
  role=$(imds_get "$token" meta-data/iam/security-credentials/)
  credentials=$(imds_get "$token" "meta-data/iam/security-credentials/$role")
  python3 -c '
import json, sys
c = json.load(sys.stdin)
if not (c.get("AccessKeyId") and c.get("SecretAccessKey") and c.get("Token")):
    sys.exit("incomplete instance credentials")
print("user = " + json.dumps(c["AccessKeyId"] + ":" + c["SecretAccessKey"]))
print("header = " + json.dumps("x-amz-security-token: " + c["Token"]))
' <<<"$credentials"
}

# Ubuntu has no AWS CLI: curl signs the GET with SigV4 itself. A fresh IMDS token, as the Node.js
# download may have outlived the first one.
fetch_worker() {
  local token config
  token=$(imds_token)
  config=$(credentials_as_curl_config "$token")
  mkdir -p "$WORKER_DIR"
  log worker_fetch_started "fetching s3://$S3_BUCKET_NAME/$WORKER_CODE_S3_KEY"
  curl -fsS --retry 5 --retry-connrefused --connect-timeout 10 --max-time 120 \
    --config - <<<"$config" \
    --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
    -H "x-amz-content-sha256: $EMPTY_PAYLOAD_SHA256" \
    -o "$WORKER_DIR/worker.js" \
    "https://$S3_BUCKET_NAME.s3.$AWS_REGION.amazonaws.com/$WORKER_CODE_S3_KEY"
  chmod 0644 "$WORKER_DIR/worker.js"
}

# Uploads the log file as logs/<instance-id>/<UTC time>-bootstrap-failure.log (the worker's own uploads
# use the same layout). Every step is bounded, so the power-off waits two minutes at most. The payload
# is not hashed into the signature (UNSIGNED-PAYLOAD, which S3 accepts); TLS protects it in transit.
upload_failure_log() {
  local IMDS_RETRIES=1 token config key
  token=$(imds_token) || return 1
  if [ -z "$WORKER_INSTANCE_ID" ]; then
    WORKER_INSTANCE_ID=$(imds_get "$token" meta-data/instance-id) || return 1
  fi
  config=$(credentials_as_curl_config "$token") || return 1
  key="logs/$WORKER_INSTANCE_ID/$(date -u +%Y-%m-%dT%H-%M-%S-%3NZ)-bootstrap-failure.log"
  curl -fsS --retry 1 --connect-timeout 5 --max-time 30 \
    --config - <<<"$config" \
    --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    -H 'content-type: text/plain' \
    -T "$WORKER_LOG_PATH" \
    "https://$S3_BUCKET_NAME.s3.$AWS_REGION.amazonaws.com/$key" || return 1
  log bootstrap_log_uploaded "uploaded s3://$S3_BUCKET_NAME/$key"
}

main() {
  local token
  token=$(imds_token)
  WORKER_INSTANCE_ID=$(imds_get "$token" meta-data/instance-id)
  export WORKER_INSTANCE_ID
  log bootstrap_started "instance $WORKER_INSTANCE_ID"

  install_node
  fetch_worker

  # The worker appends its own JSON lines to the same file, so ubuntu must own it.
  touch "$WORKER_LOG_PATH"
  chown ubuntu:ubuntu "$WORKER_LOG_PATH"
  chmod 0640 "$WORKER_LOG_PATH"

  log worker_starting "starting the worker"
  local status=0
  runuser -u ubuntu -- "$NODE_DIR/bin/node" "$WORKER_DIR/worker.js" >>"$WORKER_LOG_PATH" 2>&1 || status=$?
  log worker_exited "the worker exited with status $status"
  return "$status"
}

main
`;
