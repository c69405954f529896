import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
  type ReceiveMessageCommandInput,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { Consumer, type ConsumerOptions, type StopReason } from '../../../worker/consumer';
import type { Disposition } from '../../../worker/job';
import { recordingLogger } from '../../support/worker-logger';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/queue';
const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'us-east-1' });

const message = (n: number): Message => ({ MessageId: `m-${n}`, ReceiptHandle: `rh-${n}`, Body: '{}' });

/** ReceiveMessage hands out these batches, then long-polls empty for WaitTimeSeconds like SQS. */
function scriptReceives(batches: Message[][]): void {
  sqsMock.on(ReceiveMessageCommand).callsFake(async (input: ReceiveMessageCommandInput) => {
    const next = batches.shift();
    if (next) return { Messages: next };
    await new Promise((resolve) => setTimeout(resolve, (input.WaitTimeSeconds ?? 0) * 1000));
    return {};
  });
}

interface Deferred {
  resolve(disposition: Disposition): void;
  reject(error: unknown): void;
  signal?: AbortSignal;
}

/** A handler whose results the test settles by hand, one deferred per message id. */
function controlledHandler() {
  const pending = new Map<string, Deferred>();
  const handle = jest.fn(
    (received: Message, signal: AbortSignal) =>
      new Promise<Disposition>((resolve, reject) => pending.set(received.MessageId!, { resolve, reject, signal })),
  );
  return { handle, job: (id: string) => pending.get(id)! };
}

function consumer(overrides: Partial<ConsumerOptions> & Pick<ConsumerOptions, 'handle'>) {
  const { logger, events, names } = recordingLogger();
  const instance = new Consumer({
    sqs,
    queueUrl: QUEUE_URL,
    concurrency: 10,
    visibilityTimeoutSeconds: 10,
    idleTimeoutMs: 60_000,
    shutdownGraceMs: 5_000,
    logger,
    ...overrides,
  });
  let result: StopReason | undefined;
  const running = instance.run().then((reason) => (result = reason));
  return { instance, events, names, running, result: () => result };
}

/** Lets pending promise callbacks run without moving the clock. */
const settle = () => jest.advanceTimersByTimeAsync(0);

beforeEach(() => {
  jest.useFakeTimers();
  sqsMock.reset();
  sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  sqsMock.on(ChangeMessageVisibilityCommand).resolves({});
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('Consumer', () => {
  it('long-polls 20 s for up to 10 messages, asking for the receive count and its own visibility timeout', async () => {
    scriptReceives([[message(1)]]);
    const { handle } = controlledHandler();
    consumer({ handle, visibilityTimeoutSeconds: 45 });
    await settle();

    expect(sqsMock).toHaveReceivedCommandWith(ReceiveMessageCommand, {
      QueueUrl: QUEUE_URL,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
      // The heartbeat's timing is the worker's own, whatever the queue's default is.
      VisibilityTimeout: 45,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    expect((sqsMock.commandCalls(ReceiveMessageCommand)[0].args as unknown[])[1]).toEqual({
      abortSignal: expect.any(AbortSignal),
    });
  });

  it('deletes a message only after its handler says the outcome is recorded', async () => {
    scriptReceives([[message(1)]]);
    const { handle, job } = controlledHandler();
    consumer({ handle });
    await settle();
    expect(handle).toHaveBeenCalledTimes(1);
    expect(sqsMock).not.toHaveReceivedCommand(DeleteMessageBatchCommand);

    job('m-1').resolve('delete');
    await settle();

    expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageBatchCommand, {
      QueueUrl: QUEUE_URL,
      Entries: [{ Id: '0', ReceiptHandle: 'rh-1' }],
    });
  });

  it('batches deletes that complete together', async () => {
    scriptReceives([[message(1), message(2), message(3)]]);
    const { handle, job } = controlledHandler();
    consumer({ handle });
    await settle();

    ['m-1', 'm-2', 'm-3'].forEach((id) => job(id).resolve('delete'));
    await settle();

    expect(sqsMock).toHaveReceivedCommandTimes(DeleteMessageBatchCommand, 1);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)[0].args[0].input.Entries).toHaveLength(3);
  });

  it.each([
    // Keeping is the handler's own decision (it logged why): only a failure is logged as a retry.
    { case: 'asks to keep it', settleJob: (deferred: Deferred) => deferred.resolve('keep'), retryLogged: false },
    {
      case: 'fails (a transient error)',
      settleJob: (deferred: Deferred) => deferred.reject(new Error('503')),
      retryLogged: true,
    },
  ])('leaves the message for redelivery when the handler $case', async ({ settleJob, retryLogged }) => {
    scriptReceives([[message(1)]]);
    const { handle, job } = controlledHandler();
    const { names } = consumer({ handle });
    await settle();

    settleJob(job('m-1'));
    await settle();

    expect(sqsMock).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
    expect(sqsMock).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
    expect(names().includes('message_retry')).toBe(retryLogged);
  });

  it('extends the visibility at a third of the timeout while a job runs, and stops once it ends', async () => {
    scriptReceives([[message(1)]]);
    const { handle, job } = controlledHandler();
    consumer({ handle, visibilityTimeoutSeconds: 30 });
    await settle();

    await jest.advanceTimersByTimeAsync(9_999);
    expect(sqsMock).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
    await jest.advanceTimersByTimeAsync(1);
    expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, {
      QueueUrl: QUEUE_URL,
      ReceiptHandle: 'rh-1',
      VisibilityTimeout: 30,
    });
    await jest.advanceTimersByTimeAsync(10_000);
    expect(sqsMock).toHaveReceivedCommandTimes(ChangeMessageVisibilityCommand, 2);

    job('m-1').resolve('delete');
    await settle();
    await jest.advanceTimersByTimeAsync(60_000);

    expect(sqsMock).toHaveReceivedCommandTimes(ChangeMessageVisibilityCommand, 2);
  });

  it('keeps beating after a transient extension failure: one lost beat never loses the message', async () => {
    scriptReceives([[message(1)]]);
    sqsMock
      .on(ChangeMessageVisibilityCommand)
      .rejectsOnce(Object.assign(new Error('We encountered an internal error.'), { name: 'InternalError' }))
      .resolves({});
    const { handle, job } = controlledHandler();
    const { names } = consumer({ handle, visibilityTimeoutSeconds: 30 });
    await settle();

    await jest.advanceTimersByTimeAsync(20_000);

    expect(sqsMock).toHaveReceivedCommandTimes(ChangeMessageVisibilityCommand, 2);
    expect(names()).toEqual(expect.arrayContaining(['heartbeat_failed', 'visibility_extended']));
    expect(job('m-1').signal!.aborted).toBe(false);
  });

  it.each([
    {
      case: 'ReceiptHandleIsInvalid',
      error: Object.assign(new Error('The input receipt handle is invalid.'), { name: 'ReceiptHandleIsInvalid' }),
    },
    {
      // What SQS answers for a handle that was valid once (aws/aws-sdk-java#1628).
      case: 'InvalidParameterValue "The receipt handle has expired."',
      error: Object.assign(
        new Error('Value AQEB4Th3 for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.'),
        { name: 'InvalidParameterValue' },
      ),
    },
  ])('aborts only that job when an extension fails with $case: another receive owns the message', async ({ error }) => {
    scriptReceives([[message(1), message(2)]]);
    sqsMock.on(ChangeMessageVisibilityCommand, { ReceiptHandle: 'rh-1' }).rejects(error);
    const { handle, job } = controlledHandler();
    const { names, events } = consumer({ handle, visibilityTimeoutSeconds: 30 });
    await settle();
    const lost = job('m-1').signal!;
    lost.addEventListener('abort', () => job('m-1').reject(new Error('aborted')));

    await jest.advanceTimersByTimeAsync(10_000);

    expect(lost.aborted).toBe(true);
    expect(job('m-2').signal!.aborted).toBe(false);
    expect(events).toContainEqual(expect.objectContaining({ event: 'message_lost', message_id: 'm-1' }));
    expect(names()).not.toContain('message_retry');
    // Nothing more is asked of SQS for the lost message; the other one is still kept invisible.
    await jest.advanceTimersByTimeAsync(10_000);
    const extended = sqsMock.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input.ReceiptHandle);
    expect(extended.filter((handle) => handle === 'rh-1')).toHaveLength(1);
    expect(extended.filter((handle) => handle === 'rh-2')).toHaveLength(2);
    expect(sqsMock).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
  });

  it('never asks for visibility past 12 hours from the receive, and says when the message can no longer be kept', async () => {
    scriptReceives([[message(1)]]);
    const { handle } = controlledHandler();
    const { events } = consumer({ handle, visibilityTimeoutSeconds: 3 * 3600 });
    await settle();

    await jest.advanceTimersByTimeAsync(12 * 3600 * 1000);

    // Beats every hour; at 9 h only 3 h less the safety minute are left, and nothing after that.
    const timeouts = sqsMock.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input.VisibilityTimeout);
    expect(timeouts).toEqual([...Array.from({ length: 8 }, () => 3 * 3600), 3 * 3600 - 60]);
    expect(events).toContainEqual(
      expect.objectContaining({ event: 'visibility_cap_reached', message_id: 'm-1', visible_again_at: expect.any(String) }),
    );
  });

  it('tries a final extension that failed again at the next beat, with what is left by then', async () => {
    scriptReceives([[message(1)]]);
    let calls = 0;
    sqsMock.on(ChangeMessageVisibilityCommand).callsFake(async () => {
      calls += 1;
      if (calls === 9) throw Object.assign(new Error('We encountered an internal error.'), { name: 'InternalError' });
      return {};
    });
    const { handle } = controlledHandler();
    const { events } = consumer({ handle, visibilityTimeoutSeconds: 3 * 3600 });
    await settle();

    await jest.advanceTimersByTimeAsync(12 * 3600 * 1000);

    const timeouts = sqsMock.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input.VisibilityTimeout);
    expect(timeouts.slice(8)).toEqual([3 * 3600 - 60, 2 * 3600 - 60]);
    expect(events.filter((event) => event.event === 'visibility_cap_reached')).toHaveLength(1);
  });

  it('never holds more messages than its concurrency', async () => {
    scriptReceives([[message(1), message(2)], [message(3)]]);
    const { handle, job } = controlledHandler();
    consumer({ handle, concurrency: 2 });
    await settle();
    await jest.advanceTimersByTimeAsync(60_000);

    expect(sqsMock).toHaveReceivedCommandTimes(ReceiveMessageCommand, 1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0].args[0].input.MaxNumberOfMessages).toBe(2);

    job('m-1').resolve('delete');
    await settle();

    expect(sqsMock).toHaveReceivedCommandTimes(ReceiveMessageCommand, 2);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[1].args[0].input.MaxNumberOfMessages).toBe(1);
    expect(handle).toHaveBeenCalledTimes(3);
  });

  it('stops after the idle period with no message, polling no longer than the time left', async () => {
    scriptReceives([]);
    const { handle } = controlledHandler();
    const { result, names } = consumer({ handle, idleTimeoutMs: 3_000 });
    await settle();
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0].args[0].input.WaitTimeSeconds).toBe(3);

    await jest.advanceTimersByTimeAsync(2_999);
    expect(result()).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);

    expect(result()).toBe('idle');
    expect(names()).toContain('worker_idle');
  });

  it('does not stop while a job is running, and counts the idle period from its end', async () => {
    scriptReceives([[message(1)]]);
    const { handle, job } = controlledHandler();
    const { result } = consumer({ handle, idleTimeoutMs: 3_000 });
    await settle();

    await jest.advanceTimersByTimeAsync(10_000);
    expect(result()).toBeUndefined();
    job('m-1').resolve('delete');
    await settle();
    await jest.advanceTimersByTimeAsync(2_000);
    expect(result()).toBeUndefined();
    await jest.advanceTimersByTimeAsync(3_000);

    expect(result()).toBe('idle');
  });

  it('on stop, receives no more, lets jobs finish within the grace period and deletes them', async () => {
    scriptReceives([[message(1)]]);
    const { handle, job } = controlledHandler();
    const { instance, result, running } = consumer({ handle, shutdownGraceMs: 5_000 });
    await settle();

    instance.stop();
    await jest.advanceTimersByTimeAsync(1_000);
    job('m-1').resolve('delete');
    await jest.advanceTimersByTimeAsync(20_000);
    await running;

    expect(result()).toBe('signal');
    expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageBatchCommand, { Entries: [{ Id: '0', ReceiptHandle: 'rh-1' }] });
    expect(sqsMock).not.toHaveReceivedCommand(ChangeMessageVisibilityBatchCommand);
    expect(sqsMock).toHaveReceivedCommandTimes(ReceiveMessageCommand, 2);
  });

  it('on stop, releases jobs still running after the grace period (visibility 0) and aborts them', async () => {
    scriptReceives([[message(1), message(2)]]);
    const { handle, job } = controlledHandler();
    const { instance, result, running, names } = consumer({ handle, shutdownGraceMs: 5_000 });
    await settle();
    const signal = job('m-1').signal!;
    signal.addEventListener('abort', () => {
      job('m-1').reject(new Error('aborted'));
      job('m-2').reject(new Error('aborted'));
    });

    instance.stop();
    await jest.advanceTimersByTimeAsync(4_999);
    expect(sqsMock).not.toHaveReceivedCommand(ChangeMessageVisibilityBatchCommand);
    await jest.advanceTimersByTimeAsync(25_000);
    await running;

    expect(result()).toBe('signal');
    expect(signal.aborted).toBe(true);
    expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityBatchCommand, {
      QueueUrl: QUEUE_URL,
      Entries: [
        { Id: '0', ReceiptHandle: 'rh-1', VisibilityTimeout: 0 },
        { Id: '1', ReceiptHandle: 'rh-2', VisibilityTimeout: 0 },
      ],
    });
    expect(sqsMock).not.toHaveReceivedCommand(DeleteMessageBatchCommand);
    expect(names().filter((name) => name === 'message_released')).toHaveLength(2);
  });

  it('backs off, doubling, when receiving fails (no credentials, no network)', async () => {
    const noCredentials = Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' });
    let calls = 0;
    sqsMock.on(ReceiveMessageCommand).callsFake(async () => {
      calls += 1;
      if (calls <= 2) throw noCredentials;
      if (calls === 3) return { Messages: [message(1)] };
      return new Promise(() => undefined);
    });
    const { handle } = controlledHandler();
    const { events } = consumer({ handle });
    await settle();
    expect(sqsMock).toHaveReceivedCommandTimes(ReceiveMessageCommand, 1);

    await jest.advanceTimersByTimeAsync(1_000);
    expect(sqsMock).toHaveReceivedCommandTimes(ReceiveMessageCommand, 2);
    await jest.advanceTimersByTimeAsync(1_999);
    expect(sqsMock).toHaveReceivedCommandTimes(ReceiveMessageCommand, 2);
    expect(handle).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);

    expect(handle).toHaveBeenCalledTimes(1);
    expect(events.filter((event) => event.event === 'receive_failed').map((event) => event.retry_in_ms)).toEqual([1_000, 2_000]);
  });

  it('asks for the interruption count with every receive when told to', async () => {
    scriptReceives([[message(1)]]);
    const { handle } = controlledHandler();
    consumer({ handle, messageAttributeNames: ['rag-interruptions'] });
    await settle();

    expect(sqsMock).toHaveReceivedCommandWith(ReceiveMessageCommand, { MessageAttributeNames: ['rag-interruptions'] });
  });
});

describe('Consumer on a Spot interruption or a rebalance recommendation', () => {
  it('on a rebalance recommendation, receives no more and lets every job finish, however long it takes', async () => {
    scriptReceives([[message(1)]]);
    const { handle, job } = controlledHandler();
    const { instance, result, running } = consumer({ handle, shutdownGraceMs: 5_000 });
    await settle();

    instance.finishAndStop();
    // Far past the grace period a signal would give: nothing is released.
    await jest.advanceTimersByTimeAsync(60_000);
    expect(result()).toBeUndefined();
    job('m-1').resolve('delete');
    await jest.advanceTimersByTimeAsync(1_000);
    await running;

    expect(result()).toBe('rebalance');
    expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageBatchCommand, { Entries: [{ Id: '0', ReceiptHandle: 'rh-1' }] });
    expect(sqsMock).not.toHaveReceivedCommand(ChangeMessageVisibilityBatchCommand);
    expect(sqsMock).toHaveReceivedCommandTimes(ReceiveMessageCommand, 2);
  });

  it('on an interruption, lets a job that finishes before the cutoff record its outcome, stops the others at the cutoff and gives their messages back', async () => {
    scriptReceives([[message(1), message(2)]]);
    const { handle, job } = controlledHandler();
    const requeued: string[] = [];
    const requeue = jest.fn(async (returned: Message) => void requeued.push(returned.MessageId!));
    const { instance, result, running } = consumer({ handle, requeue });
    await settle();
    const slow = job('m-2');
    slow.signal!.addEventListener('abort', () => slow.reject(slow.signal!.reason));

    instance.interrupt(Date.now() + 75_000, '2026-11-25T16:02:00Z');
    await jest.advanceTimersByTimeAsync(30_000);
    job('m-1').resolve('delete');
    await jest.advanceTimersByTimeAsync(44_999);
    expect(slow.signal!.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await running;

    expect(result()).toBe('interrupted');
    expect(slow.signal!.reason).toMatchObject({ name: 'InterruptedError' });
    expect(requeued).toEqual(['m-2']);
    expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageBatchCommand, { Entries: [{ Id: '0', ReceiptHandle: 'rh-1' }] });
    // Given back by requeue, not released: a release would spend one of the row's receives.
    expect(sqsMock).not.toHaveReceivedCommand(ChangeMessageVisibilityBatchCommand);
  });

  it('hides a message it gives back while its own receive is still in flight: DelaySeconds covers the rest of that long poll', async () => {
    scriptReceives([[message(1)]]);
    const { handle, job } = controlledHandler();
    const requeue = jest.fn(async () => undefined);
    const { instance, running } = consumer({ handle, requeue });
    await settle();
    const stuck = job('m-1');
    stuck.signal!.addEventListener('abort', () => stuck.reject(stuck.signal!.reason));

    // The second receive (a 20 s long poll) started at 0; the cutoff comes 3 s later.
    await jest.advanceTimersByTimeAsync(2_000);
    instance.interrupt(Date.now() + 1_000, '2026-11-25T16:02:00Z');
    await jest.advanceTimersByTimeAsync(1_000);
    await settle();

    expect(requeue).toHaveBeenCalledWith(expect.objectContaining({ MessageId: 'm-1' }), 17);
    await jest.advanceTimersByTimeAsync(20_000);
    await running;
  });

  it('a signal during an interruption takes over: the grace period, then the release', async () => {
    scriptReceives([[message(1)]]);
    const { handle, job } = controlledHandler();
    const requeue = jest.fn(async () => undefined);
    const { instance, result, running } = consumer({ handle, requeue, shutdownGraceMs: 5_000 });
    await settle();
    const stuck = job('m-1');
    stuck.signal!.addEventListener('abort', () => stuck.reject(stuck.signal!.reason));

    instance.interrupt(Date.now() + 75_000, '2026-11-25T16:02:00Z');
    await jest.advanceTimersByTimeAsync(1_000);
    instance.stop();
    // The receive in flight ends with its long poll (the mock does not abort it).
    await jest.advanceTimersByTimeAsync(25_000);
    await running;

    expect(result()).toBe('signal');
    expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityBatchCommand, { Entries: [{ Id: '0', ReceiptHandle: 'rh-1', VisibilityTimeout: 0 }] });
    expect(requeue).not.toHaveBeenCalled();
  });

  it('a rebalance recommendation after an interruption changes nothing', async () => {
    scriptReceives([[message(1)]]);
    const { handle, job } = controlledHandler();
    const { instance, result, running } = consumer({ handle, requeue: async () => undefined });
    await settle();
    const stuck = job('m-1');
    stuck.signal!.addEventListener('abort', () => stuck.reject(stuck.signal!.reason));

    instance.interrupt(Date.now() + 1_000, '2026-11-25T16:02:00Z');
    instance.finishAndStop();
    await jest.advanceTimersByTimeAsync(25_000);
    await running;

    expect(result()).toBe('interrupted');
  });
});
