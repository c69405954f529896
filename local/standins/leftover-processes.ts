import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { COMMAND_PLACEHOLDERS } from '../../contracts';

/**
 * The local stand-in for the part of systemd that ends a worker's commands with it. On an instance the worker's
 * unit is a control group: when the worker ends, systemd kills whatever is left in it, and the instance powers
 * off. A local worker is a plain process, so a command it started in its own process group would outlive a
 * worker killed with SIGKILL. Commands are found by their environment: the worker gives each one
 * RAG_INPUT_FILE, a path in its scratch directory, and their children inherit it (a process that clears its
 * environment escapes this stand-in, not the control group). Linux only: elsewhere /proc is absent and none
 * are found.
 */

const MARKER = `${COMMAND_PLACEHOLDERS.input}=`;

/** Processes other than this one whose RAG_INPUT_FILE is under `scratchDir`. */
export function commandProcessesUnder(scratchDir: string): number[] {
  const prefix = `${MARKER}${path.resolve(scratchDir)}/`;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue; // gone meanwhile, or another user's
    }
    if (environ.split('\0').some((variable) => variable.startsWith(prefix))) found.push(Number(entry));
  }
  return found;
}

/** SIGKILLs every process {@link commandProcessesUnder} finds; returns their IDs. */
export function killCommandProcessesUnder(scratchDir: string): number[] {
  const pids = commandProcessesUnder(scratchDir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}
