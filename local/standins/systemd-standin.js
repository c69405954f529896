#!/usr/bin/env node
/**
 * A stand-in for systemctl and for the part of systemd the worker's unit relies on, for the bootstrap
 * harness (bootstrap-harness.ts). It reads the unit file the bootstrap wrote and runs it as systemd would:
 *
 * - `start <unit>` (with or without --no-block) returns at once and leaves a supervisor running the unit:
 *   ExecStart with the unit's Environment= on a clean environment (PATH, plus the harness's
 *   `service-env.json`, which stands in for the instance profile and points the SDK at the emulator), its
 *   stdout and stderr appended to StandardOutput=append:<file>. User= is recorded, not switched to.
 * - `stop <unit>`: KillSignal to the main process (KillMode=mixed: to it alone), SIGKILL to its process
 *   group once TimeoutStopSec has passed; returns when the unit is inactive.
 * - When the main process ends (by itself or stopped): ExecStopPost (a leading `+` dropped) with EXIT_CODE,
 *   EXIT_STATUS and SERVICE_RESULT as systemd sets them, bounded by TimeoutStopSec too; then the unit's
 *   SuccessAction= or FailureAction=, recorded in `sequence` (`poweroff` for the power-off).
 * - `is-system-running` prints the harness's `system-state` (default `running`); `daemon-reload` and
 *   `poweroff` are recorded. `wait <unit>` (no systemctl verb) returns once the unit is inactive.
 *
 * Configuration comes from the environment: RECORD (the harness's record directory). State lives in
 * RECORD/systemd/: `<unit>.supervisor` (pid), `<unit>.result.json` once inactive.
 */
const { spawn } = require('node:child_process');
const { appendFileSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { clearTimeout, setTimeout } = require('node:timers');

const SELF = path.join(__dirname, 'systemd-standin.js');

const RECORD = process.env.RECORD;
const STATE = path.join(RECORD, 'systemd');
mkdirSync(STATE, { recursive: true });
/** Signals systemd counts as a clean exit of the main process (systemd.service, SuccessExitStatus=). */
const CLEAN_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE'];

const record = (file, line) => appendFileSync(path.join(RECORD, file), `${line}\n`);
const resultFile = (unit) => path.join(STATE, `${unit}.result.json`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(argv) {
  const args = argv.filter((arg) => arg !== '--no-block');
  const [verb, unit] = args;
  // `supervise` is this stand-in re-running itself for a started unit, not a systemctl call of the boot.
  if (verb !== 'supervise') record('systemctl.args', argv.join(' '));
  switch (verb) {
    case 'daemon-reload':
      return 0;
    case 'start':
      return start(unit);
    case 'stop':
      return stop(unit);
    case 'wait':
      await waitInactive(unit, 600_000);
      return 0;
    case 'is-system-running': {
      const stateFile = path.join(RECORD, 'system-state');
      const state = existsSync(stateFile) ? readFileSync(stateFile, 'utf8').trim() : 'running';
      process.stdout.write(`${state}\n`);
      return state === 'running' ? 0 : 1;
    }
    case 'poweroff':
      record('sequence', 'poweroff');
      return 0;
    case 'supervise':
      return supervise(unit);
    default:
      process.stderr.write(`systemd-standin: unsupported: ${argv.join(' ')}\n`);
      return 1;
  }
}

function start(unit) {
  record('sequence', `start ${unit}`);
  const supervisor = spawn(process.execPath, [SELF, 'supervise', unit], {
    detached: true,
    stdio: 'ignore',
    env: process.env,
  });
  writeFileSync(path.join(STATE, `${unit}.supervisor`), String(supervisor.pid));
  supervisor.unref();
  return 0;
}

async function stop(unit) {
  record('sequence', `stop ${unit}`);
  const pidFile = path.join(STATE, `${unit}.supervisor`);
  if (!existsSync(resultFile(unit)) && existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    } catch {
      // Already gone: its result is (about to be) written.
    }
  }
  await waitInactive(unit, 600_000);
  return 0;
}

async function waitInactive(unit, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(resultFile(unit))) {
    if (Date.now() > deadline) throw new Error(`${unit} still active after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The unit file as `{ Unit: {key: [values]}, Service: {...} }`. */
function parseUnit(text) {
  const sections = {};
  let current;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = sections[section[1]] ??= {};
      continue;
    }
    const at = line.indexOf('=');
    const key = line.slice(0, at);
    (current[key] ??= []).push(line.slice(at + 1));
  }
  return sections;
}

const last = (values, fallback) => (values && values.length > 0 ? values[values.length - 1] : fallback);
const commandOf = (line) => line.replace(/^[+\-:!@]+/, '').split(/\s+/);

async function supervise(unit) {
  const unitDir = process.env.SYSTEMD_UNIT_DIR;
  const { Unit: unitSection = {}, Service: service = {} } = parseUnit(readFileSync(path.join(unitDir, unit), 'utf8'));
  const timeoutStopMs = Number(last(service.TimeoutStopSec, '90')) * 1000;
  const killSignal = last(service.KillSignal, 'SIGTERM');
  const serviceEnvFile = path.join(RECORD, 'service-env.json');
  const env = {
    PATH: process.env.PATH,
    ...(existsSync(serviceEnvFile) ? JSON.parse(readFileSync(serviceEnvFile, 'utf8')) : {}),
  };
  for (const assignment of service.Environment ?? []) {
    const at = assignment.indexOf('=');
    env[assignment.slice(0, at)] = assignment.slice(at + 1);
  }
  const output = last(service.StandardOutput, 'inherit');
  const outputFd = output.startsWith('append:') ? openSync(output.slice('append:'.length), 'a') : 'ignore';
  record('sequence', `run ${unit} as ${last(service.User, 'root')}`);

  const [command, ...args] = commandOf(last(service.ExecStart));
  const main = spawn(command, args, { env, stdio: ['ignore', outputFd, outputFd], detached: true });
  writeFileSync(path.join(STATE, `${unit}.main`), String(main.pid));
  let timedOut = false;
  let killTimer;
  process.on('SIGTERM', () => {
    record('sequence', `${killSignal} to ${unit}`);
    try {
      // KillMode=mixed: the stop signal to the main process alone, SIGKILL to the whole group at the timeout.
      process.kill(main.pid, killSignal);
    } catch {
      return;
    }
    killTimer = setTimeout(() => {
      timedOut = true;
      record('sequence', `SIGKILL to ${unit} after TimeoutStopSec`);
      try {
        process.kill(-main.pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }, timeoutStopMs);
  });
  const { code, signal } = await new Promise((resolve) => main.once('exit', (c, s) => resolve({ code: c, signal: s })));
  clearTimeout(killTimer);
  const exit = {
    EXIT_CODE: signal ? 'killed' : 'exited',
    EXIT_STATUS: signal ? signal.replace(/^SIG/, '') : String(code),
    SERVICE_RESULT: timedOut
      ? 'timeout'
      : signal
        ? CLEAN_SIGNALS.includes(signal) ? 'success' : 'signal'
        : code === 0 ? 'success' : 'exit-code',
  };
  record('sequence', `${unit} exited: ${exit.EXIT_CODE} ${exit.EXIT_STATUS} (${exit.SERVICE_RESULT})`);

  let stopPostStatus = null;
  for (const line of service.ExecStopPost ?? []) {
    const [postCommand, ...postArgs] = commandOf(line);
    const post = spawn(postCommand, postArgs, { env: { ...env, ...exit }, stdio: ['ignore', outputFd, outputFd], detached: true });
    const postTimer = setTimeout(() => process.kill(-post.pid, 'SIGKILL'), timeoutStopMs);
    stopPostStatus = await new Promise((resolve) => post.once('exit', (c, s) => resolve(s ?? c)));
    clearTimeout(postTimer);
  }
  const failed = exit.SERVICE_RESULT !== 'success';
  const action = last(failed ? unitSection.FailureAction : unitSection.SuccessAction, 'none');
  if (action !== 'none') record('sequence', action);
  writeFileSync(resultFile(unit), JSON.stringify({ ...exit, stopPostStatus, action }));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`systemd-standin: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
