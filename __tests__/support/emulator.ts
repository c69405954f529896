import { EventEmitter } from 'node:events';
import { startEmulator, type Emulator } from '../../local/emulator/moto';

/**
 * One moto per jest worker process, started by the first test file that asks for it and reused by every later
 * file the worker runs; reset before each test; ended with the worker process (a watchdog, see
 * `endWithProcess` in local/emulator/moto.ts), so a crashed or killed worker leaves no moto behind.
 *
 * jest gives each test file a fresh module registry and a fresh global object, so neither can carry the
 * running emulator from one file to the next. Node's built-in modules are loaded once per process and shared
 * by every file: the endpoint is kept on one of them (EventEmitter), under a symbol of its own.
 */

const SLOT = Symbol.for('rag-file-pipeline.test-kit.emulator');
type Slot = { [SLOT]?: Promise<Emulator> };

/** The worker's emulator, started on first use. Its `stop` is the worker's exit: a test file never stops it. */
export function sharedEmulator(): Promise<Emulator> {
  const slot = EventEmitter as unknown as Slot;
  slot[SLOT] ??= startEmulator({ endWithProcess: true }).catch((error: unknown) => {
    delete slot[SLOT];
    throw error;
  });
  return slot[SLOT];
}

/** What {@link useEmulator} gives each test: set by its hooks, read inside tests. */
export interface EmulatorContext {
  emulator: Emulator;
}

/**
 * Registers the hooks a suite against moto needs: the worker's emulator before the file, a reset before each
 * test (which also drops what the worker's previous file left). Call it at the top of the file, before the
 * suite's own hooks, so the reset runs first.
 */
export function useEmulator(): EmulatorContext {
  const context = {} as EmulatorContext;
  beforeAll(async () => {
    context.emulator = await sharedEmulator();
  }, 60_000);
  beforeEach(async () => {
    await context.emulator.reset();
  });
  return context;
}
