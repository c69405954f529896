import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CreateLogGroupCommand,
  DescribeLogStreamsCommand,
  paginateFilterLogEvents,
  paginateGetLogEvents,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { destroyClients, emulatorClients, type EmulatorClients } from '../../../local/emulator/clients';
import { EMULATOR_REGION, startEmulator, type Emulator } from '../../../local/emulator/moto';
import { startSchedule } from '../../../local/standins/schedule';
import { memoryLog } from '../../support/memory-log';

// The schedule stand-in sends the function's output to its CloudWatch Logs group on moto, as Lambda
// does: one stream per execution environment, Lambda's START/END/REPORT lines around each invocation,
// every line in the order written. The function's configuration comes from a mocked GetFunctionConfiguration
// (the end-to-end suites read it from the deployed function); the logs are moto's.
jest.setTimeout(120_000);

const FUNCTION_NAME = 'orch';
const LOG_GROUP = `/aws/lambda/${FUNCTION_NAME}`;
/** More lines than one PutLogEvents request may carry. */
const LINES = 12_000;
const STREAM_NAME = /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/;

// The module's top level (the init phase) takes longer than the function's 1 s timeout, which Lambda
// does not count against it. Invocation 1 of each environment logs a burst, 2 throws, 3 hangs past the
// timeout (so Lambda discards the environment), and the next invocation starts a new one.
const HANDLER = `
const initUntil = Date.now() + 1500;
while (Date.now() < initUntil) {}
let calls = 0;
exports.handler = async (event, context) => {
  calls += 1;
  if (calls === 1) {
    console.log(JSON.stringify({ event: 'first', stream: context.logStreamName, group: context.logGroupName, requestId: context.awsRequestId }));
    for (let i = 0; i < ${LINES}; i++) process.stdout.write('line ' + i + '\\n');
    process.stderr.write('from stderr\\n');
    return 'ok';
  }
  if (calls === 2) throw new Error('boom');
  await new Promise(() => {});
};
`;

let emulator: Emulator;
let clients: EmulatorClients;
let codeDir: string;
const lambda = new LambdaClient({ region: EMULATOR_REGION });
const lambdaMock = mockClient(lambda);

beforeAll(async () => {
  emulator = await startEmulator();
  clients = emulatorClients(emulator.endpoint, EMULATOR_REGION);
  codeDir = mkdtempSync(path.join(tmpdir(), 'function-logs-'));
  writeFileSync(path.join(codeDir, 'index.js'), HANDLER);
});
afterAll(async () => {
  if (clients) destroyClients(clients);
  await emulator?.stop();
  rmSync(codeDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await emulator.reset();
  lambdaMock.reset();
  lambdaMock.on(GetFunctionConfigurationCommand).resolves({
    FunctionName: FUNCTION_NAME,
    FunctionArn: `arn:aws:lambda:${EMULATOR_REGION}:123456789012:function:${FUNCTION_NAME}`,
    Handler: 'index.handler',
    Timeout: 1,
    MemorySize: 256,
    Environment: { Variables: {} },
  });
});

/** Runs the schedule until `ticks` invocations have finished, then stops it (delivering the last lines). */
async function runTicks(ticks: number) {
  const log = memoryLog();
  let reached: () => void;
  const done = new Promise<void>((resolve) => (reached = resolve));
  let seen = 0;
  const schedule = await startSchedule({
    lambda,
    logs: clients.logs,
    functionName: FUNCTION_NAME,
    codeDir,
    endpoint: emulator.endpoint,
    region: EMULATOR_REGION,
    ruleName: 'schedule',
    tickMs: 10,
    logIntervalMs: 200,
    log,
    onTick: () => ++seen === ticks && reached(),
  });
  await done;
  await schedule.stop();
  return { schedule, log };
}

async function streamMessages(logs: CloudWatchLogsClient, logStreamName: string): Promise<string[]> {
  const messages: string[] = [];
  for await (const page of paginateGetLogEvents({ client: logs }, { logGroupName: LOG_GROUP, logStreamName, startFromHead: true })) {
    if ((page.events ?? []).length === 0) break; // the forward token repeats at the end
    messages.push(...(page.events ?? []).map((event) => event.message ?? ''));
  }
  return messages;
}

it("sends the function's lines to its log group, a stream per environment, in order, with Lambda's own lines", async () => {
  await clients.logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));

  const { schedule, log } = await runTicks(4);

  expect(schedule.logGroupName).toBe(LOG_GROUP);
  const { logStreams = [] } = await clients.logs.send(new DescribeLogStreamsCommand({ logGroupName: LOG_GROUP, orderBy: 'LogStreamName' }));
  expect(logStreams).toHaveLength(2);
  for (const stream of logStreams) expect(stream.logStreamName).toMatch(STREAM_NAME);
  // The first environment's stream is the one whose events start first (they are a second apart at least).
  const [firstStream, secondStream] = [...logStreams].sort((a, b) => a.firstEventTimestamp! - b.firstEventTimestamp!);
  const [first, second] = await Promise.all([firstStream, secondStream].map((stream) => streamMessages(clients.logs, stream.logStreamName!)));
  // Each environment knows its own stream, as a Lambda context does.
  expect(first[1]).toContain(`"stream":"${firstStream.logStreamName}"`);
  expect(second[1]).toContain(`"stream":"${secondStream.logStreamName}"`);

  const requestIds = first.filter((message) => message.startsWith('START ')).map((message) => /RequestId: (\S+)/.exec(message)![1]);
  expect(requestIds).toHaveLength(3);
  const [ok, failed, timedOut] = requestIds;
  const burst = Array.from({ length: LINES }, (_, index) => `line ${index}`);
  expect(first.filter((message) => message !== 'from stderr')).toEqual([
    `START RequestId: ${ok} Version: $LATEST`,
    expect.stringContaining(`"group":"${LOG_GROUP}","requestId":"${ok}"`),
    ...burst,
    `END RequestId: ${ok}`,
    expect.stringMatching(new RegExp(`^REPORT RequestId: ${ok}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB$`)),
    `START RequestId: ${failed} Version: $LATEST`,
    expect.stringMatching(new RegExp(`^\\S+Z\\t${failed}\\tERROR\\tInvoke Error \\t\\{"errorType":"Error","errorMessage":"boom"`)),
    `END RequestId: ${failed}`,
    expect.stringMatching(new RegExp(`^REPORT RequestId: ${failed}\\t`)),
    `START RequestId: ${timedOut} Version: $LATEST`,
    expect.stringMatching(new RegExp(`^\\S+Z ${timedOut} Task timed out after 1\\.00 seconds$`)),
  ]);
  // stderr is a stream of its own: its line is there, wherever it fell among stdout's.
  expect(first).toContain('from stderr');
  // The next invocation ran in a fresh environment: a cold start, in its own stream.
  expect(second[0]).toMatch(/^START RequestId: \S+ Version: \$LATEST$/);
  expect(second.filter((message) => message !== 'from stderr').slice(2, 2 + LINES)).toEqual(burst);
  expect(second).toContain('from stderr');
  expect(log.events.filter((event) => event.event === 'function_log_delivery_failed')).toEqual([]);

  // What `aws logs filter-log-events --log-group-name /aws/lambda/<function>` reads: every line of both streams.
  let filtered = 0;
  for await (const page of paginateFilterLogEvents({ client: clients.logs }, { logGroupName: LOG_GROUP })) filtered += page.events?.length ?? 0;
  expect(filtered).toBe(first.length + second.length);
});

it('crashes the invocation it is asked to, as Lambda reports a dead environment, and the next tick gets a fresh one', async () => {
  await clients.logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
  const outcomes: { result?: unknown; error?: string }[] = [];
  let reached: () => void;
  const thirdTick = new Promise<void>((resolve) => (reached = resolve));
  const schedule = await startSchedule({
    lambda,
    logs: clients.logs,
    functionName: FUNCTION_NAME,
    codeDir,
    endpoint: emulator.endpoint,
    region: EMULATOR_REGION,
    ruleName: 'schedule',
    tickMs: 10,
    logIntervalMs: 200,
    log: memoryLog(),
    onTick: (outcome) => outcomes.push(outcome) === 3 && reached(),
  });
  try {
    // The first invocation is already on its way (its init takes 1.5 s): the second one crashes.
    await schedule.crashNextInvocation();
    expect(outcomes.map((outcome) => outcome.error ?? outcome.result)).toEqual(['ok', "the function's process exited (code null)"]);
    await thirdTick;
  } finally {
    await schedule.stop();
  }

  expect(outcomes.map((outcome) => outcome.error ?? outcome.result)).toEqual(['ok', "the function's process exited (code null)", 'ok']);
  expect(schedule.failedTicks()).toBe(1);
  const { logStreams = [] } = await clients.logs.send(new DescribeLogStreamsCommand({ logGroupName: LOG_GROUP }));
  const [first, second] = await Promise.all(
    [...logStreams].sort((a, b) => a.firstEventTimestamp! - b.firstEventTimestamp!).map((stream) => streamMessages(clients.logs, stream.logStreamName!)),
  );
  const [, crashedId] = first.filter((message) => message.startsWith('START ')).map((message) => /RequestId: (\S+)/.exec(message)![1]);
  // Every line of the first invocation's burst was delivered before the environment died.
  expect(first.filter((message) => message.startsWith('line '))).toHaveLength(LINES);
  expect(first.filter((message) => message !== 'from stderr').slice(-3)).toEqual([
    `START RequestId: ${crashedId} Version: $LATEST`,
    `RequestId: ${crashedId} Error: Runtime exited with error: signal: killed`,
    'Runtime.ExitError',
  ]);
  // A cold start: the module's state is new, so its first call's burst comes again.
  expect(second[0]).toMatch(/^START RequestId: \S+ Version: \$LATEST$/);
  expect(second[1]).toContain('"event":"first"');
});

it('reports lines it could not deliver when the log group does not exist, and keeps invoking', async () => {
  const { schedule, log } = await runTicks(2);

  expect(schedule.ticks()).toBeGreaterThanOrEqual(2);
  expect(log.events).toContainEqual(
    expect.objectContaining({
      event: 'function_log_delivery_failed',
      fields: expect.objectContaining({ logGroupName: LOG_GROUP, error: 'The specified log group does not exist.' }),
    }),
  );
});

it('runs the invocations after an UpdateFunctionConfiguration in a new environment that has the new variables, as Lambda does', async () => {
  const settingDir = mkdtempSync(path.join(tmpdir(), 'function-config-'));
  writeFileSync(path.join(settingDir, 'index.js'), 'exports.handler = async () => process.env.SETTING;\n');
  const configuration = (setting: string) => ({
    FunctionName: FUNCTION_NAME,
    FunctionArn: `arn:aws:lambda:${EMULATOR_REGION}:123456789012:function:${FUNCTION_NAME}`,
    Handler: 'index.handler',
    Timeout: 3,
    MemorySize: 256,
    Environment: { Variables: { SETTING: setting } },
  });
  lambdaMock.on(GetFunctionConfigurationCommand).resolves(configuration('one'));
  await clients.logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
  const results: unknown[] = [];
  let changed: () => void;
  let reachedTwo: () => void;
  const firstTick = new Promise<void>((resolve) => (changed = resolve));
  const secondSetting = new Promise<void>((resolve) => (reachedTwo = resolve));
  const schedule = await startSchedule({
    lambda,
    logs: clients.logs,
    functionName: FUNCTION_NAME,
    codeDir: settingDir,
    endpoint: emulator.endpoint,
    region: EMULATOR_REGION,
    ruleName: 'schedule',
    tickMs: 10,
    logIntervalMs: 200,
    log: memoryLog(),
    onTick: (outcome) => {
      results.push(outcome.error ?? outcome.result);
      if (results.length === 2) changed();
      if (outcome.result === 'two') reachedTwo();
    },
  });
  try {
    await firstTick;
    lambdaMock.on(GetFunctionConfigurationCommand).resolves(configuration('two'));
    await secondSetting;
  } finally {
    await schedule.stop();
    rmSync(settingDir, { recursive: true, force: true });
  }

  const firstTwo = results.indexOf('two');
  expect(results.slice(0, 2)).toEqual(['one', 'one']);
  // At most the invocation already reading the configuration ran with the old one; none after the first new one.
  expect(results.slice(0, firstTwo).every((result) => result === 'one')).toBe(true);
  expect(results.slice(firstTwo).every((result) => result === 'two')).toBe(true);
  // The new configuration ran in an environment of its own: a second log stream, as a cold start writes.
  const { logStreams = [] } = await clients.logs.send(new DescribeLogStreamsCommand({ logGroupName: LOG_GROUP }));
  expect(logStreams).toHaveLength(2);
});
