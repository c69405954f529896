import { Writable } from 'node:stream';
import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createClients } from '../../../functions/orchestrator/clients';
import { loadConfig } from '../../../functions/orchestrator/config';
import { createHandler } from '../../../functions/orchestrator/handler';
import { clientToken } from '../../../functions/orchestrator/launch-request';
import { createLogger } from '../../../functions/orchestrator/logger';
import { renderUserData } from '../../../runtime/bootstrap/user-data';

const env: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  SQS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/rag-pipeline-dev-work',
  DYNAMODB_TABLE_NAME: 'rag-pipeline-dev-items',
  EC2_TAG_KEY: 'Role',
  EC2_TAG_VALUE: 'rag-worker',
  EC2_AMI_ID: 'resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id',
  EC2_INSTANCE_TYPE: 't3.micro',
  EC2_AUTOTERMINATE_MINUTES: '5',
  EC2_SUBNET_ID: 'subnet-0abc1234',
  EC2_SECURITY_GROUP_ID: 'sg-0abc1234',
  S3_BUCKET_NAME: 'rag-pipeline-dev-bucket',
  EC2_KEY_NAME: '',
  EC2_INSTANCE_PROFILE_NAME: 'rag-pipeline-dev-worker',
  MAX_WORKERS: '1',
  MESSAGES_PER_WORKER: '10',
  EC2_WORKER_NAME: 'rag-pipeline-dev-worker',
  EC2_WORKER_TAGS: '{"project":"rag-pipeline","environment":"dev"}',
  WORKER_CODE_S3_KEY: 'worker/worker.js',
  WORKER_CONCURRENCY: '4',
  SQS_VISIBILITY_TIMEOUT_SECONDS: '300',
  SQS_MAX_RECEIVE_COUNT: '5',
};

const EVENT = { id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa', time: '2026-11-25T16:00:00Z' };

const sqsMock = mockClient(SQSClient);
const ec2Mock = mockClient(EC2Client);

/** A handler wired to mocked clients and a logger whose JSON lines the test reads back. */
function setup(overrides: Record<string, string> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const config = loadConfig({ ...env, ...overrides });
  const clients = createClients({ region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const tick = createHandler({ config, clients, logger: createLogger(sink) });
  return { tick, config, lines, events: () => lines.map((line) => line.event) };
}

function queueHas(visible: number, inFlight: number): void {
  sqsMock.on(GetQueueAttributesCommand).resolves({
    Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: String(inFlight) },
  });
}

function workersRunning(...ids: string[]): void {
  ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: ids.map((id) => ({ Instances: [{ InstanceId: id }] })) });
}

/** RunInstances answers with a new instance per client token and the same instance for a repeated token, as EC2 does. */
function ec2LaunchesIdempotently(): void {
  const byToken = new Map<string, string>();
  ec2Mock.on(RunInstancesCommand).callsFake((input: RunInstancesCommandInput) => {
    const token = input.ClientToken ?? '';
    if (!byToken.has(token)) byToken.set(token, `i-${String(byToken.size + 1).padStart(17, '0')}`);
    return { Instances: [{ InstanceId: byToken.get(token) }] };
  });
}

function ec2Error(name: string): EC2ServiceException {
  return new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: `${name}: simulated` });
}

function runInstancesInputs(): RunInstancesCommandInput[] {
  return ec2Mock.commandCalls(RunInstancesCommand).map((call) => call.args[0].input);
}

const expectedTags = [
  { Key: 'Role', Value: 'rag-worker' },
  { Key: 'Name', Value: 'rag-pipeline-dev-worker' },
  { Key: 'project', Value: 'rag-pipeline' },
  { Key: 'environment', Value: 'dev' },
];

beforeEach(() => {
  sqsMock.reset();
  ec2Mock.reset();
  ec2LaunchesIdempotently();
});

describe('orchestrator handler', () => {
  it('reads the counts with GetQueueAttributes and never receives a message', async () => {
    const { tick } = setup();
    queueHas(0, 0);
    workersRunning();

    await tick(EVENT);

    expect(sqsMock).toHaveReceivedCommandTimes(GetQueueAttributesCommand, 1);
    expect(sqsMock.commandCalls(GetQueueAttributesCommand)[0].args[0].input).toStrictEqual({
      QueueUrl: env.SQS_QUEUE_URL,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    });
    expect(sqsMock).not.toHaveReceivedCommand(ReceiveMessageCommand);
  });

  it('counts pending and running workers by tag, across every page', async () => {
    const { tick } = setup({ MAX_WORKERS: '3' });
    queueHas(100, 0);
    const pages = [
      { Reservations: [{ Instances: [{ InstanceId: 'i-1' }] }], NextToken: 'page-2' },
      { Reservations: [{ Instances: [{ InstanceId: 'i-2' }] }] },
    ];
    // Copies, because the SDK's paginator reuses one input object for every page.
    const requests: DescribeInstancesCommandInput[] = [];
    ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
      requests.push(structuredClone(input));
      return pages[requests.length - 1];
    });

    const summary = await tick(EVENT);

    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 2);
    const [first, second] = requests;
    const filters = [
      { Name: 'tag:Role', Values: ['rag-worker'] },
      { Name: 'instance-state-name', Values: ['pending', 'running'] },
    ];
    // toEqual: the paginator sends NextToken: undefined on the first page, which serializes to nothing.
    expect(first).toEqual({ Filters: filters, MaxResults: 100 });
    expect(second).toEqual({ Filters: filters, MaxResults: 100, NextToken: 'page-2' });
    expect(summary).toMatchObject({ workers: 2, launchRequested: 1 });
  });

  it('launches nothing when the queue is empty', async () => {
    const { tick } = setup();
    queueHas(0, 0);
    workersRunning();

    const summary = await tick(EVENT);

    expect(ec2Mock).not.toHaveReceivedCommand(RunInstancesCommand);
    expect(summary).toStrictEqual({
      tickId: EVENT.id,
      visibleMessages: 0,
      inFlightMessages: 0,
      workers: 0,
      reason: 'queue-empty',
      targetWorkers: 0,
      launchRequested: 0,
      launchedInstanceIds: [],
      failures: [],
    });
  });

  it('launches one worker with exactly the documented request when work waits and none runs', async () => {
    const { tick, config } = setup();
    queueHas(3, 0);
    workersRunning();

    const summary = await tick(EVENT);

    const expected: RunInstancesCommandInput = {
      MinCount: 1,
      MaxCount: 1,
      ClientToken: clientToken(EVENT.id, 0),
      ImageId: env.EC2_AMI_ID,
      InstanceType: 't3.micro',
      SubnetId: 'subnet-0abc1234',
      SecurityGroupIds: ['sg-0abc1234'],
      IamInstanceProfile: { Name: 'rag-pipeline-dev-worker' },
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
      InstanceInitiatedShutdownBehavior: 'terminate',
      BlockDeviceMappings: [
        { DeviceName: '/dev/sda1', Ebs: { VolumeType: 'gp3', VolumeSize: 8, Encrypted: true, DeleteOnTermination: true } },
      ],
      TagSpecifications: [
        { ResourceType: 'instance', Tags: expectedTags },
        { ResourceType: 'volume', Tags: expectedTags },
      ],
      UserData: Buffer.from(
        renderUserData({
          region: 'us-east-1',
          queueUrl: env.SQS_QUEUE_URL,
          tableName: env.DYNAMODB_TABLE_NAME,
          bucketName: env.S3_BUCKET_NAME,
          workerCodeKey: 'worker/worker.js',
          autoterminateMinutes: 5,
          concurrency: 4,
          visibilityTimeoutSeconds: 300,
          maxReceiveCount: 5,
        }),
      ).toString('base64'),
    };
    expect(ec2Mock).toHaveReceivedCommandTimes(RunInstancesCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(RunInstancesCommand, expected);
    expect(runInstancesInputs()[0]).toStrictEqual(expected);
    expect(config.keyName).toBeUndefined();
    expect(summary).toMatchObject({ reason: 'scale-out', launchRequested: 1, launchedInstanceIds: ['i-00000000000000001'] });
  });

  it('passes the key name only when one is set', async () => {
    const { tick } = setup({ EC2_KEY_NAME: 'ops-key' });
    queueHas(1, 0);
    workersRunning();

    await tick(EVENT);

    expect(runInstancesInputs()[0].KeyName).toBe('ops-key');
  });

  it.each([
    { case: 'running', instanceIds: ['i-running'] },
    { case: 'pending', instanceIds: ['i-pending'] },
  ])('launches nothing while a worker is $case (MAX_WORKERS=1)', async ({ instanceIds }) => {
    const { tick } = setup();
    queueHas(40, 10);
    workersRunning(...instanceIds);

    const summary = await tick(EVENT);

    expect(ec2Mock).not.toHaveReceivedCommand(RunInstancesCommand);
    expect(summary).toMatchObject({ workers: 1, reason: 'at-capacity', launchRequested: 0 });
  });

  it('fills the missing slots up to the cap, one request and one client token per slot', async () => {
    const { tick } = setup({ MAX_WORKERS: '3' });
    queueHas(25, 0);
    workersRunning('i-existing');

    const summary = await tick(EVENT);

    const inputs = runInstancesInputs();
    expect(inputs.map((input) => [input.MinCount, input.MaxCount, input.ClientToken])).toStrictEqual([
      [1, 1, clientToken(EVENT.id, 1)],
      [1, 1, clientToken(EVENT.id, 2)],
    ]);
    expect(summary).toMatchObject({ workers: 1, targetWorkers: 3, launchedInstanceIds: ['i-00000000000000001', 'i-00000000000000002'] });
  });

  it('launches once when the same tick is delivered twice before the first launch is visible', async () => {
    const { tick } = setup();
    queueHas(5, 0);
    // The duplicate runs before DescribeInstances shows the first launch: only the client token protects.
    workersRunning();

    const first = await tick(EVENT);
    const duplicate = await tick(EVENT);
    const nextTick = await tick({ ...EVENT, id: 'a-later-scheduled-event' });

    const [firstToken, duplicateToken, nextToken] = runInstancesInputs().map((input) => input.ClientToken);
    expect(duplicateToken).toBe(firstToken);
    expect(nextToken).not.toBe(firstToken);
    expect(duplicate.launchedInstanceIds).toStrictEqual(first.launchedInstanceIds);
    expect(nextTick.launchedInstanceIds).not.toStrictEqual(first.launchedInstanceIds);
  });

  it('identifies a tick without an event id by the Lambda request id', async () => {
    const { tick } = setup();
    queueHas(1, 0);
    workersRunning();

    const summary = await tick({}, { awsRequestId: 'request-1' });

    expect(summary.tickId).toBe('request-1');
    expect(runInstancesInputs()[0].ClientToken).toBe(clientToken('request-1', 0));
  });

  it.each([
    { case: 'no capacity', errorName: 'InsufficientInstanceCapacity', kind: 'capacity', level: 'warn' },
    { case: 'throttling', errorName: 'RequestLimitExceeded', kind: 'throttled', level: 'warn' },
    { case: 'a missing permission', errorName: 'UnauthorizedOperation', kind: 'unauthorized', level: 'error' },
  ])('logs $case with its context, stops launching and ends the tick normally', async ({ errorName, kind, level }) => {
    const { tick, lines } = setup({ MAX_WORKERS: '3' });
    queueHas(30, 0);
    workersRunning();
    ec2Mock.on(RunInstancesCommand).rejects(ec2Error(errorName));

    const summary = await tick(EVENT);

    expect(ec2Mock).toHaveReceivedCommandTimes(RunInstancesCommand, 1);
    const failure = { slot: 0, clientToken: clientToken(EVENT.id, 0), errorName, kind, message: `${errorName}: simulated` };
    expect(summary).toMatchObject({ launchRequested: 3, launchedInstanceIds: [], failures: [failure] });
    expect(lines.find((line) => line.event === 'orchestrator.worker.launch_failed')).toMatchObject({
      level,
      tickId: EVENT.id,
      ...failure,
    });
  });

  it('keeps the instances launched before a recoverable failure in the summary', async () => {
    const { tick } = setup({ MAX_WORKERS: '3' });
    queueHas(30, 0);
    workersRunning();
    ec2Mock
      .on(RunInstancesCommand)
      .resolvesOnce({ Instances: [{ InstanceId: 'i-first' }] })
      .rejectsOnce(ec2Error('InsufficientInstanceCapacity'));

    const summary = await tick(EVENT);

    expect(summary.launchedInstanceIds).toStrictEqual(['i-first']);
    expect(summary.failures.map((failure) => failure.slot)).toStrictEqual([1]);
  });

  it('rethrows an unknown launch error after logging what the tick did', async () => {
    const { tick, lines } = setup({ MAX_WORKERS: '2' });
    queueHas(30, 0);
    workersRunning();
    ec2Mock
      .on(RunInstancesCommand)
      .resolvesOnce({ Instances: [{ InstanceId: 'i-first' }] })
      .rejectsOnce(ec2Error('InvalidParameterValue'));

    await expect(tick(EVENT)).rejects.toThrow('InvalidParameterValue: simulated');

    expect(lines.find((line) => line.event === 'orchestrator.tick.failed')).toMatchObject({
      level: 'error',
      tickId: EVENT.id,
      launchedInstanceIds: ['i-first'],
      err: expect.objectContaining({ type: 'EC2ServiceException', message: 'InvalidParameterValue: simulated' }),
    });
  });

  it('fails the tick when the queue cannot be read', async () => {
    const { tick, events } = setup();
    sqsMock.on(GetQueueAttributesCommand).rejects(new Error('connect ECONNREFUSED'));

    await expect(tick(EVENT)).rejects.toThrow('connect ECONNREFUSED');

    expect(ec2Mock).not.toHaveReceivedCommand(RunInstancesCommand);
    expect(events()).toStrictEqual(['orchestrator.tick.failed']);
  });

  it('fails the tick when the queue answers without counts', async () => {
    const { tick } = setup();
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3' } });

    await expect(tick(EVENT)).rejects.toThrow(
      'GetQueueAttributes returned ApproximateNumberOfMessagesNotVisible = undefined, not a count',
    );
  });

  it('logs one summary line per tick with the decision and the launched instances', async () => {
    const { tick, lines, events } = setup();
    queueHas(2, 1);
    workersRunning();

    await tick(EVENT);

    expect(events()).toStrictEqual(['orchestrator.worker.launched', 'orchestrator.tick.completed']);
    expect(lines[1]).toMatchObject({
      level: 'info',
      service: 'orchestrator',
      tickId: EVENT.id,
      visibleMessages: 2,
      inFlightMessages: 1,
      workers: 0,
      reason: 'scale-out',
      launchRequested: 1,
      launchedInstanceIds: ['i-00000000000000001'],
      failures: [],
    });
    expect(typeof lines[1].time).toBe('string');
  });

  it('warns when messages are in flight and no worker is left to hold them', async () => {
    const { tick, lines } = setup();
    queueHas(0, 4);
    workersRunning();

    const summary = await tick(EVENT);

    expect(summary.reason).toBe('in-flight-awaiting-redelivery');
    expect(ec2Mock).not.toHaveReceivedCommand(RunInstancesCommand);
    expect(lines.at(-1)).toMatchObject({ event: 'orchestrator.tick.completed', level: 'warn' });
  });
});
