import { PassThrough } from 'node:stream';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand, ResourceAlreadyExistsException } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { startLogShipper, type LogShipperOptions } from '../../../local/standins/log-shipper';
import { memoryLog } from '../../support/memory-log';

const logsMock = mockClient(CloudWatchLogsClient);
const GROUP = '/aws/lambda/orch';
const STREAM = '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef';

const sentEvents = () => logsMock.commandCalls(PutLogEventsCommand).flatMap((call) => call.args[0].input.logEvents ?? []);

beforeEach(() => {
  logsMock.reset();
  logsMock.on(CreateLogStreamCommand).resolves({});
  logsMock.on(PutLogEventsCommand).resolves({});
});

function shipper(overrides: Partial<LogShipperOptions> = {}) {
  const log = memoryLog();
  const options = { logs: new CloudWatchLogsClient({ region: 'us-east-1' }), logGroupName: GROUP, logStreamName: STREAM, log, ...overrides };
  return { shipper: startLogShipper(options), log };
}

describe('startLogShipper', () => {
  it("delivers each output's lines in the order written, to one stream it creates once", async () => {
    const { shipper: ship } = shipper();
    const stdout = new PassThrough();
    ship.attach(stdout);

    stdout.write('START RequestId: r1 Version: $LATEST\n{"event":"orch');
    stdout.write('estrator.ticked"}\n');
    await ship.flush();
    stdout.end('END RequestId: r1');
    await ship.close();

    expect(logsMock.commandCalls(CreateLogStreamCommand).map((call) => call.args[0].input)).toEqual([{ logGroupName: GROUP, logStreamName: STREAM }]);
    expect(logsMock.commandCalls(PutLogEventsCommand).every((call) => call.args[0].input.logGroupName === GROUP && call.args[0].input.logStreamName === STREAM)).toBe(true);
    expect(sentEvents().map((event) => event.message)).toEqual(['START RequestId: r1 Version: $LATEST', '{"event":"orchestrator.ticked"}', 'END RequestId: r1']);
  });

  it('sends a large output in batches within the PutLogEvents limits, in order, one request at a time', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    logsMock.on(PutLogEventsCommand).callsFake(async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return {};
    });
    const { shipper: ship } = shipper();
    const stdout = new PassThrough();
    ship.attach(stdout);

    const lines = Array.from({ length: 25_000 }, (_, index) => `line ${index}`);
    stdout.write(`${lines.slice(0, 15_000).join('\n')}\n`);
    void ship.flush();
    stdout.end(`${lines.slice(15_000).join('\n')}\n`);
    void ship.flush();
    await ship.close();

    const batches = logsMock.commandCalls(PutLogEventsCommand).map((call) => call.args[0].input.logEvents ?? []);
    expect(batches.map((batch) => batch.length)).toEqual([10_000, 5_000, 10_000]);
    expect(sentEvents().map((event) => event.message)).toEqual(Array.from({ length: 25_000 }, (_, index) => `line ${index}`));
    expect(maxInFlight).toBe(1);
  });

  it('keeps timestamps in chronological order when the clock steps back', async () => {
    const clock = [5_000, 4_000, 6_000];
    const { shipper: ship } = shipper({ now: () => clock.shift() ?? 7_000 });

    ship.add('a');
    ship.add('b');
    ship.add('c');
    await ship.close();

    expect(sentEvents()).toEqual([
      { timestamp: 5_000, message: 'a' },
      { timestamp: 5_000, message: 'b' },
      { timestamp: 6_000, message: 'c' },
    ]);
  });

  it('delivers on its interval without being asked', async () => {
    jest.useFakeTimers();
    try {
      const { shipper: ship } = shipper({ intervalMs: 1_000 });
      ship.add('tick');

      await jest.advanceTimersByTimeAsync(999);
      const before = sentEvents().length;
      await jest.advanceTimersByTimeAsync(1);

      expect(before).toBe(0);
      expect(sentEvents().map((event) => event.message)).toEqual(['tick']);
      await ship.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('uses a stream that already exists', async () => {
    logsMock
      .on(CreateLogStreamCommand)
      .rejects(new ResourceAlreadyExistsException({ message: 'The specified log stream already exists', $metadata: {} }));
    const { shipper: ship, log } = shipper();

    ship.add('line');
    await ship.close();

    expect(sentEvents().map((event) => event.message)).toEqual(['line']);
    expect(log.events).toEqual([]);
  });

  it('reports the events a failed delivery lost, and goes on with the next ones', async () => {
    logsMock.on(PutLogEventsCommand).rejectsOnce(new Error('connect ECONNREFUSED 127.0.0.1:5000')).resolves({});
    const { shipper: ship, log } = shipper();

    ship.add('lost 1');
    ship.add('lost 2');
    await ship.flush();
    ship.add('delivered');
    await ship.close();

    expect(log.events).toEqual([
      expect.objectContaining({
        level: 'warn',
        event: 'function_log_delivery_failed',
        fields: expect.objectContaining({ logGroupName: GROUP, logStreamName: STREAM, lostEvents: 2, error: 'connect ECONNREFUSED 127.0.0.1:5000' }),
      }),
    ]);
    expect(logsMock.commandCalls(PutLogEventsCommand).at(-1)?.args[0].input.logEvents?.map((event) => event.message)).toEqual(['delivered']);
  });
});
