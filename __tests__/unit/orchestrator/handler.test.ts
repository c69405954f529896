import {
  CreateFleetCommand,
  type CreateFleetCommandInput,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  type Instance,
} from '@aws-sdk/client-ec2';
import { ListObjectsV2Command, S3ServiceException } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetParametersCommand } from '@aws-sdk/client-ssm';
import { clientToken, launchWindowStart } from '../../../functions/orchestrator/launch-token';
import { accountOfQueueUrl } from '../../../functions/orchestrator/handler';
import { parseWorkerEnvironment, renderUserData } from '../../../runtime/bootstrap/user-data';
import { AwsPoolErrors, ec2Error, FakeEc2 } from '../../support/fake-ec2';
import {
  AMI_ID,
  AMI_PARAMETER,
  type Clock,
  createClock,
  ENV,
  mocks,
  orchestrator,
  PREFERRED_SUBNET,
  queueHas,
  resetMocks,
  START_MS,
  SUBNET_ZONES,
  UBUNTU_IMAGE,
} from '../../support/orchestrator-kit';

const EVENT = { id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa', time: '2026-11-25T16:03:00Z', source: 'aws.events', 'detail-type': 'Scheduled Event' };
/** A batch of three wake messages, as the wake queue's event source mapping invokes the function. */
const WAKE_BATCH = {
  Records: ['m1', 'm2', 'm3'].map((messageId) => ({
    messageId,
    receiptHandle: `handle-${messageId}`,
    body: '{"detail-type":"Item Status Changed","detail":{"status":"PENDING"}}',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:rag-pipeline-dev-wake',
  })),
};

const workerTags = [
  { Key: 'Role', Value: 'rag-worker' },
  { Key: 'Name', Value: 'rag-pipeline-dev-worker' },
  { Key: 'project', Value: 'rag-pipeline' },
  { Key: 'environment', Value: 'dev' },
];

/** DescribeInstances lists these workers (all visible at once). */
function listed(...instances: Instance[]): void {
  mocks.ec2.on(DescribeInstancesCommand).resolves({ Reservations: instances.map((instance) => ({ Instances: [instance] })) });
}

function worker(id: string, state: string, slot?: number, token?: string): Instance {
  return {
    InstanceId: id,
    State: { Name: state as NonNullable<Instance['State']>['Name'] },
    Tags: [
      { Key: 'Role', Value: 'rag-worker' },
      ...(slot === undefined ? [] : [{ Key: 'rag-worker-slot', Value: String(slot) }]),
      ...(token === undefined ? [] : [{ Key: 'rag-worker-launch', Value: token }]),
    ],
  };
}

let fake: FakeEc2;
let clock: Clock;

beforeEach(() => {
  resetMocks();
  clock = createClock();
  fake = new FakeEc2({ subnets: SUBNET_ZONES, clock, images: [UBUNTU_IMAGE] });
  fake.install(mocks.ec2);
});

function fleetInputs(): CreateFleetCommandInput[] {
  return mocks.ec2.commandCalls(CreateFleetCommand).map((call) => call.args[0].input);
}

describe('accountOfQueueUrl', () => {
  it('reads the account of an SQS queue URL, and nothing from anything else', () => {
    expect(accountOfQueueUrl('https://sqs.us-east-1.amazonaws.com/111122223333/rag-queue')).toBe('111122223333');
    expect(accountOfQueueUrl('http://127.0.0.1:5000/123456789012/rag-queue')).toBe('123456789012');
    expect(accountOfQueueUrl('https://example.com/queue')).toBeUndefined();
  });
});

describe('orchestrator handler', () => {
  it('reads the counts with GetQueueAttributes and never receives a message', async () => {
    const { tick } = orchestrator();
    queueHas(0, 0);

    await tick(EVENT);

    expect(mocks.sqs.commandCalls(GetQueueAttributesCommand)[0].args[0].input).toStrictEqual({
      QueueUrl: ENV.SQS_QUEUE_URL,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    });
    expect(mocks.sqs).not.toHaveReceivedCommand(ReceiveMessageCommand);
  });

  it('runs the same tick for a batch from the wake queue, named by the request, without touching the batch', async () => {
    const { tick } = orchestrator();

    const summary = await tick(WAKE_BATCH, { awsRequestId: 'request-7' });

    expect(summary).toMatchObject({ tickId: 'request-7', trigger: 'wake', wakeMessages: 3, reason: 'scale-out', launchRequested: 1 });
    expect(summary.launchedInstanceIds).toHaveLength(1);
    // The mapping deletes the batch when the handler returns; the handler itself never receives or deletes.
    expect(mocks.sqs.commandCalls(GetQueueAttributesCommand).map((call) => call.args[0].input.QueueUrl)).toEqual([ENV.SQS_QUEUE_URL]);
    expect(mocks.sqs.calls().map((call) => call.args[0].constructor.name)).toEqual(['GetQueueAttributesCommand']);
  });

  it('looks at an empty queue once more, a second later, when woken: the work queue pipe may not have delivered yet', async () => {
    const { tick, sleeps, line } = orchestrator();
    mocks.sqs
      .on(GetQueueAttributesCommand)
      .resolvesOnce({ Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' } })
      .resolves({ Attributes: { ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0' } });

    const summary = await tick(WAKE_BATCH, { awsRequestId: 'request-9' });

    expect(sleeps).toEqual([1000]);
    expect(mocks.sqs.commandCalls(GetQueueAttributesCommand)).toHaveLength(2);
    expect(summary).toMatchObject({ visibleMessages: 1, reason: 'scale-out', launchRequested: 1 });
    expect(line('queue_recheck')).toMatchObject({ waitMs: 1000 });
  });

  it.each([
    { case: 'a scheduled run with an empty queue', event: EVENT, visible: '0', inFlight: '0' },
    { case: 'a wake run that sees work', event: WAKE_BATCH, visible: '2', inFlight: '0' },
    { case: 'a wake run that sees a worker holding the work', event: WAKE_BATCH, visible: '0', inFlight: '1' },
  ])('reads the queue once for $case', async ({ event, visible, inFlight }) => {
    const { tick, sleeps } = orchestrator();
    queueHas(Number(visible), Number(inFlight));

    await tick(event, { awsRequestId: 'request-10' });

    expect(sleeps).toEqual([]);
    expect(mocks.sqs.commandCalls(GetQueueAttributesCommand)).toHaveLength(1);
  });

  it('fails a wake batch whose tick fails, so the mapping lets the batch come back', async () => {
    const { tick } = orchestrator();
    mocks.sqs.on(GetQueueAttributesCommand).rejects(Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' }));

    await expect(tick(WAKE_BATCH, { awsRequestId: 'request-8' })).rejects.toThrow('Service unavailable');
  });

  it('lists the worker-tagged instances in every state, across every page', async () => {
    const { tick } = orchestrator({ MAX_WORKERS: '3' });
    queueHas(100);
    const pages = [
      { Reservations: [{ Instances: [worker('i-1', 'running', 0), worker('i-old', 'terminated', 1)] }], NextToken: 'page-2' },
      { Reservations: [{ Instances: [worker('i-2', 'pending', 2)] }] },
    ];
    // Copies, because the SDK's paginator reuses one input object for every page.
    const requests: DescribeInstancesCommandInput[] = [];
    mocks.ec2.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
      requests.push(structuredClone(input));
      return pages[requests.length - 1];
    });

    const summary = await tick(EVENT);

    // toEqual: the paginator sends NextToken: undefined on the first page, which serializes to nothing.
    expect(requests).toEqual([
      { Filters: [{ Name: 'tag:Role', Values: ['rag-worker'] }], MaxResults: 100 },
      { Filters: [{ Name: 'tag:Role', Values: ['rag-worker'] }], MaxResults: 100, NextToken: 'page-2' },
    ]);
    // The terminated one neither counts nor holds its slot.
    expect(summary).toMatchObject({ workers: 2, launchRequested: 1 });
    expect(fleetInputs().map((input) => tagValue(input, 'rag-worker-slot'))).toEqual(['1']);
  });

  it('launches nothing, and reads neither markers nor the image, when the queue is empty', async () => {
    const { tick } = orchestrator();
    queueHas(0, 0);

    const summary = await tick(EVENT);

    expect(summary).toStrictEqual({
      tickId: EVENT.id,
      trigger: 'schedule',
      visibleMessages: 0,
      inFlightMessages: 0,
      workers: 0,
      reason: 'queue-empty',
      targetWorkers: 0,
      launchRequested: 0,
      launchedInstanceIds: [],
      failures: [],
    });
    expect(mocks.ec2).not.toHaveReceivedCommand(CreateFleetCommand);
    expect(mocks.ec2).not.toHaveReceivedCommand(DescribeImagesCommand);
    expect(mocks.s3).not.toHaveReceivedCommand(ListObjectsV2Command);
    expect(mocks.ssm).not.toHaveReceivedCommand(GetParametersCommand);
  });

  it('launches one worker with exactly the documented request when work waits and none runs', async () => {
    const { tick } = orchestrator();

    const summary = await tick(EVENT);

    const userData = Buffer.from(
      renderUserData({
        region: 'us-east-1',
        queueUrl: ENV.SQS_QUEUE_URL,
        tableName: ENV.DYNAMODB_TABLE_NAME,
        bucketName: ENV.S3_BUCKET_NAME,
        workerCodeKey: 'worker/worker.js',
        autoterminateMinutes: 5,
        concurrency: 4,
        visibilityTimeoutSeconds: 300,
        maxReceiveCount: 5,
        interruptionRetries: 5,
      }),
    ).toString('base64');
    const withoutToken: CreateFleetCommandInput = {
      Type: 'instant',
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0abc1234def567890', Version: '1', LaunchTemplateSpecificationUserData: userData },
          Overrides: [
            {
              ImageId: AMI_ID,
              InstanceType: 't3.micro',
              SubnetId: PREFERRED_SUBNET,
              BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeType: 'gp3', VolumeSize: 8, Encrypted: true, DeleteOnTermination: true } }],
              MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
              Priority: 0,
            },
          ],
        },
      ],
      TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'on-demand' },
      OnDemandOptions: { AllocationStrategy: 'prioritized' },
      TagSpecifications: [
        { ResourceType: 'instance', Tags: [...workerTags, { Key: 'rag-worker-slot', Value: '0' }, { Key: 'rag-worker-purchase', Value: 'on-demand' }] },
        { ResourceType: 'fleet', Tags: [{ Key: 'Role', Value: 'rag-worker' }] },
      ],
    };
    const token = clientToken(withoutToken, { slot: 0, windowStartMs: launchWindowStart(START_MS), generation: 0 });
    expect(token).toMatch(/^rag-s0-g0-[0-9a-f]{40}$/);
    expect(fleetInputs()).toStrictEqual([
      {
        ...withoutToken,
        ClientToken: token,
        TagSpecifications: [
          { ...withoutToken.TagSpecifications![0], Tags: [...withoutToken.TagSpecifications![0].Tags!, { Key: 'rag-worker-launch', Value: token }] },
          withoutToken.TagSpecifications![1],
        ],
      },
    ]);
    expect(mocks.ssm.commandCalls(GetParametersCommand)[0].args[0].input).toStrictEqual({ Names: [AMI_PARAMETER] });
    expect(mocks.ec2.commandCalls(DescribeImagesCommand)[0].args[0].input).toStrictEqual({ ImageIds: [AMI_ID] });
    expect(summary).toMatchObject({
      reason: 'scale-out',
      launchRequested: 1,
      launchedInstanceIds: [fake.instances[0].instanceId],
      capacityTypes: ['on-demand'],
    });
  });

  it('offers every instance type in every subnet in one request, preferred type and subnet first', async () => {
    const { tick } = orchestrator({ EC2_FALLBACK_SUBNET_IDS: 'subnet-0bbb0002', EC2_FALLBACK_INSTANCE_TYPES: 't3a.micro,m7i.large' });

    await tick(EVENT);

    const overrides = fleetInputs()[0].LaunchTemplateConfigs![0].Overrides!;
    expect(overrides.map((pool) => [pool.InstanceType, pool.SubnetId, pool.Priority])).toEqual([
      ['t3.micro', PREFERRED_SUBNET, 0],
      ['t3.micro', 'subnet-0bbb0002', 1],
      ['t3a.micro', PREFERRED_SUBNET, 2],
      ['t3a.micro', 'subnet-0bbb0002', 3],
      ['m7i.large', PREFERRED_SUBNET, 4],
      ['m7i.large', 'subnet-0bbb0002', 5],
    ]);
  });

  it('passes the processor catalog key to the workers it launches, when the stack set one', async () => {
    const { tick } = orchestrator({ WORKER_PROCESSOR_CATALOG_KEY: 'worker/processors.json' });

    await tick(EVENT);

    const userData = Buffer.from(fleetInputs()[0].LaunchTemplateConfigs![0].LaunchTemplateSpecification!.LaunchTemplateSpecificationUserData!, 'base64').toString('utf8');
    expect(parseWorkerEnvironment(userData).WORKER_PROCESSOR_CATALOG_KEY).toBe('worker/processors.json');
  });

  it('passes the worker setup script to the workers it launches, when the stack set one', async () => {
    const { tick } = orchestrator({ WORKER_SETUP_S3_KEY: 'worker/setup', WORKER_SETUP_TIMEOUT_SECONDS: '900' });

    await tick(EVENT);

    const userData = Buffer.from(fleetInputs()[0].LaunchTemplateConfigs![0].LaunchTemplateSpecification!.LaunchTemplateSpecificationUserData!, 'base64').toString('utf8');
    expect(parseWorkerEnvironment(userData)).toMatchObject({ WORKER_SETUP_S3_KEY: 'worker/setup', WORKER_SETUP_TIMEOUT_SECONDS: '900' });
  });

  it('names the launch template and its version, which hold the security group, profile and key pair', async () => {
    const { tick } = orchestrator({ EC2_LAUNCH_TEMPLATE_VERSION: '7' });

    await tick(EVENT);

    expect(fleetInputs()[0].LaunchTemplateConfigs![0].LaunchTemplateSpecification).toMatchObject({ LaunchTemplateId: 'lt-0abc1234def567890', Version: '7' });
  });

  it.each([
    { case: 'running', state: 'running' },
    { case: 'pending', state: 'pending' },
  ])('launches nothing while a worker is $case (MAX_WORKERS=1)', async ({ state }) => {
    const { tick } = orchestrator();
    queueHas(40, 10);
    listed(worker('i-busy', state, 0));

    const summary = await tick(EVENT);

    expect(mocks.ec2).not.toHaveReceivedCommand(CreateFleetCommand);
    expect(summary).toMatchObject({ workers: 1, reason: 'at-capacity', launchRequested: 0 });
  });

  it('launches into the lowest free slots, one request and one client token per slot', async () => {
    const { tick } = orchestrator({ MAX_WORKERS: '3' });
    queueHas(25);
    listed(worker('i-existing', 'running', 1));

    const summary = await tick(EVENT);

    const inputs = fleetInputs();
    expect(inputs.map((input) => [input.TargetCapacitySpecification?.TotalTargetCapacity, tagValue(input, 'rag-worker-slot')])).toEqual([
      [1, '0'],
      [1, '2'],
    ]);
    expect(inputs[0].ClientToken).toMatch(/^rag-s0-g0-/);
    expect(inputs[1].ClientToken).toMatch(/^rag-s2-g0-/);
    expect(summary).toMatchObject({ workers: 1, targetWorkers: 3, launchedInstanceIds: fake.instances.map((instance) => instance.instanceId) });
  });

  it('launches once when the same tick runs twice before the first launch is listed', async () => {
    const { tick } = orchestrator();

    const first = await tick(EVENT);
    const duplicate = await tick(EVENT);
    const anotherTrigger = await tick({}, { awsRequestId: 'event-triggered-run' });

    const [firstToken, duplicateToken, anotherToken] = fleetInputs().map((input) => input.ClientToken);
    expect(duplicateToken).toBe(firstToken);
    expect(anotherToken).toBe(firstToken);
    expect(fake.instances).toHaveLength(1);
    expect(duplicate.launchedInstanceIds).toStrictEqual(first.launchedInstanceIds);
    expect(anotherTrigger.launchedInstanceIds).toStrictEqual(first.launchedInstanceIds);
  });

  it('names a tick without an event id by the Lambda request id', async () => {
    const { tick } = orchestrator();

    const summary = await tick({}, { awsRequestId: 'request-1' });

    expect(summary.tickId).toBe('request-1');
  });

  it.each([
    {
      case: 'throttling',
      refuse: () => fake.refuseCalls(() => ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503)),
      errorName: 'RequestLimitExceeded',
      message: 'Request limit exceeded.',
      errors: ['RequestLimitExceeded'],
      kind: 'throttled',
      level: 'warn',
    },
    {
      case: 'a missing permission',
      refuse: () =>
        fake.refuseCalls(() => ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation. Encoded authorization failure message: x', 403)),
      errorName: 'UnauthorizedOperation',
      message: 'You are not authorized to perform this operation. Encoded authorization failure message: x',
      errors: ['UnauthorizedOperation'],
      kind: 'unauthorized',
      level: 'error',
    },
    {
      case: 'an account quota',
      refuse: () =>
        fake.refusePools({}, () => ({ code: 'VcpuLimitExceeded', message: 'You have requested more vCPU capacity than your current vCPU limit of 1 allows.' })),
      errorName: 'VcpuLimitExceeded',
      message: 'You have requested more vCPU capacity than your current vCPU limit of 1 allows.',
      errors: [`VcpuLimitExceeded t3.micro ${PREFERRED_SUBNET}`, 'VcpuLimitExceeded t3.micro subnet-0bbb0002'],
      kind: 'capacity',
      level: 'warn',
    },
  ])('records $case as one failure of its kind, stops launching and ends the tick normally', async ({ refuse, errorName, message, errors, kind, level }) => {
    const { tick, line, metrics } = orchestrator({ MAX_WORKERS: '3', EC2_FALLBACK_SUBNET_IDS: 'subnet-0bbb0002' });
    queueHas(30);
    refuse();

    const summary = await tick(EVENT);

    // One call for the first slot: the other slots would meet the same quota, rate or permission.
    expect(fleetInputs()).toHaveLength(1);
    const failure = {
      slot: 0,
      kind,
      errorName,
      message,
      attempts: [{ capacityType: 'on-demand', generation: 0, clientToken: fleetInputs()[0].ClientToken, errors }],
    };
    expect(summary).toMatchObject({ launchRequested: 3, launchedInstanceIds: [], failures: [failure] });
    expect(line('worker_launch_failed')).toMatchObject({ level, tickId: EVENT.id, ...failure });
    expect(line('tick_completed')).toMatchObject({ level: 'warn' });
    expect(metrics).toEqual([{ metric: 'LaunchFailures', kind, count: 1 }]);
  });

  it('takes the instance of a fleet that also lists errors for other pools, and logs them', async () => {
    const { tick, line } = orchestrator({ EC2_FALLBACK_SUBNET_IDS: 'subnet-0bbb0002' });
    fake.refusePools({ subnetId: PREFERRED_SUBNET }, AwsPoolErrors.unsupportedType);

    const summary = await tick(EVENT);

    expect(summary).toMatchObject({ launchedInstanceIds: [fake.instances[0].instanceId], failures: [] });
    expect(fake.instances[0].subnetId).toBe('subnet-0bbb0002');
    expect(line('worker_launched')).toMatchObject({
      subnetId: 'subnet-0bbb0002',
      attempts: [{ capacityType: 'on-demand', generation: 0, errors: [`Unsupported t3.micro ${PREFERRED_SUBNET}`] }],
    });
  });

  it('keeps the instances launched before a failure in the summary', async () => {
    const { tick } = orchestrator({ MAX_WORKERS: '3' });
    queueHas(30);
    let launches = 0;
    mocks.ec2.on(CreateFleetCommand).callsFake(async () => {
      launches += 1;
      if (launches === 1) return { FleetId: 'fleet-1', Instances: [{ InstanceIds: ['i-first'], Lifecycle: 'on-demand' }], Errors: [] };
      throw ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
    });

    const summary = await tick(EVENT);

    expect(summary.launchedInstanceIds).toStrictEqual(['i-first']);
    expect(summary.failures.map((failure) => failure.slot)).toStrictEqual([1]);
  });

  it('rethrows an unknown launch error after logging what the tick did', async () => {
    const { tick, line, metrics } = orchestrator({ MAX_WORKERS: '2' });
    queueHas(30);
    let launches = 0;
    mocks.ec2.on(CreateFleetCommand).callsFake(async () => {
      launches += 1;
      if (launches === 1) return { FleetId: 'fleet-1', Instances: [{ InstanceIds: ['i-first'], Lifecycle: 'on-demand' }], Errors: [] };
      throw ec2Error('InvalidParameterCombination', 'The parameter iops is not supported for gp2 volumes.');
    });

    await expect(tick(EVENT)).rejects.toThrow('The parameter iops is not supported for gp2 volumes.');

    expect(line('tick_failed')).toMatchObject({
      level: 'error',
      tickId: EVENT.id,
      launchedInstanceIds: ['i-first'],
      err: expect.objectContaining({ type: 'EC2ServiceException', message: 'The parameter iops is not supported for gp2 volumes.' }),
    });
    expect(metrics).toEqual([]);
  });

  it('fails the tick when the queue cannot be read', async () => {
    const { tick, events } = orchestrator();
    mocks.sqs.on(GetQueueAttributesCommand).rejects(new Error('connect ECONNREFUSED'));

    await expect(tick(EVENT)).rejects.toThrow('connect ECONNREFUSED');

    expect(mocks.ec2).not.toHaveReceivedCommand(CreateFleetCommand);
    expect(events()).toStrictEqual(['tick_failed']);
  });

  it('fails the tick when the queue answers without counts', async () => {
    const { tick } = orchestrator();
    mocks.sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3' } });

    await expect(tick(EVENT)).rejects.toThrow('GetQueueAttributes returned ApproximateNumberOfMessagesNotVisible = undefined, not a count');
  });

  it('logs each launch and one summary line per tick', async () => {
    const { tick, lines, events } = orchestrator();
    queueHas(2, 1);

    await tick(EVENT);

    expect(events()).toStrictEqual(['worker_launched', 'tick_completed']);
    const instanceId = fake.instances[0].instanceId;
    expect(lines[0]).toMatchObject({
      level: 'info',
      slot: 0,
      instanceId,
      imageId: AMI_ID,
      subnetId: PREFERRED_SUBNET,
      instanceType: 't3.micro',
      generation: 0,
      clientToken: expect.stringMatching(/^rag-s0-g0-/),
      attempts: [],
    });
    expect(lines[1]).toMatchObject({
      level: 'info',
      service: 'orchestrator',
      tickId: EVENT.id,
      visibleMessages: 2,
      inFlightMessages: 1,
      workers: 0,
      reason: 'scale-out',
      launchRequested: 1,
      launchedInstanceIds: [instanceId],
      failures: [],
    });
    expect(typeof lines[1].time).toBe('string');
  });

  it('warns when messages are in flight and no worker is left to hold them', async () => {
    const { tick, lines } = orchestrator();
    queueHas(0, 4);

    const summary = await tick(EVENT);

    expect(summary.reason).toBe('in-flight-awaiting-redelivery');
    expect(mocks.ec2).not.toHaveReceivedCommand(CreateFleetCommand);
    expect(lines.at(-1)).toMatchObject({ event: 'tick_completed', level: 'warn' });
  });
});

describe('boot-failure backoff', () => {
  const marker = (iso: string, instanceId = 'i-0123456789abcdef0') => ({ Key: `logs/boot-failures/${iso}-${instanceId}.json` });

  it('reads the markers of the lookback only, with StartAfter, when a launch is wanted', async () => {
    const { tick } = orchestrator();

    await tick(EVENT);

    expect(mocks.s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input)).toEqual([
      { Bucket: ENV.S3_BUCKET_NAME, Prefix: 'logs/boot-failures/', StartAfter: 'logs/boot-failures/2026-11-25T13-03-00-000Z' },
    ]);
  });

  it('holds every launch back after recent boot failures, logs it and counts the deferred launches', async () => {
    const { tick, line, metrics } = orchestrator({ MAX_WORKERS: '3' });
    queueHas(30);
    // Three failures in the lookback: wait 4 minutes after the latest (16:01), so until 16:05; it is 16:03.
    mocks.s3.on(ListObjectsV2Command).resolves({
      Contents: [marker('2026-11-25T15:00:00Z'), marker('2026-11-25T15:30:00Z'), marker('2026-11-25T16:01:00Z'), { Key: 'logs/boot-failures/notes.txt' }],
    });

    const summary = await tick(EVENT);

    const deferred = { kind: 'boot-failures', launches: 3, recentFailures: 3, latestFailureAt: '2026-11-25T16:01:00.000Z', retryAt: '2026-11-25T16:05:00.000Z' };
    expect(summary).toMatchObject({ launchRequested: 3, launchedInstanceIds: [], failures: [], deferred });
    expect(mocks.ec2).not.toHaveReceivedCommand(CreateFleetCommand);
    expect(mocks.ssm).not.toHaveReceivedCommand(GetParametersCommand);
    expect(line('launch_deferred')).toMatchObject({ level: 'warn', ...deferred });
    expect(line('tick_completed')).toMatchObject({ level: 'warn', deferred });
    expect(metrics).toEqual([{ metric: 'LaunchesDeferred', kind: 'boot-failures', count: 3 }]);
  });

  it('launches again once the wait after the latest failure is over', async () => {
    const clock = createClock(Date.parse('2026-11-25T16:05:00Z'));
    const { tick, metrics } = orchestrator({}, clock);
    mocks.s3.on(ListObjectsV2Command).resolves({
      Contents: [marker('2026-11-25T15:00:00Z'), marker('2026-11-25T15:30:00Z'), marker('2026-11-25T16:01:00Z')],
    });

    const summary = await tick(EVENT);

    expect(summary.launchedInstanceIds).toHaveLength(1);
    expect(summary.deferred).toBeUndefined();
    expect(metrics).toEqual([]);
  });

  it('treats a refused listing as a missing grant: nothing is launched and the failure is counted', async () => {
    const { tick, metrics, line } = orchestrator();
    mocks.s3.on(ListObjectsV2Command).rejects(
      new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' }),
    );

    const summary = await tick(EVENT);

    expect(summary.failures).toEqual([{ kind: 'unauthorized', errorName: 'AccessDenied', message: 'Access Denied', attempts: [] }]);
    expect(mocks.ec2).not.toHaveReceivedCommand(CreateFleetCommand);
    expect(line('worker_launch_failed')).toMatchObject({ level: 'error', kind: 'unauthorized' });
    expect(metrics).toEqual([{ metric: 'LaunchFailures', kind: 'unauthorized', count: 1 }]);
  });
});

describe('the image at launch', () => {
  it('launches a pinned AMI without SSM, and checks each image once per container', async () => {
    const { tick } = orchestrator({ EC2_AMI_ID: AMI_ID, MAX_WORKERS: '3' }, clock);
    queueHas(10);

    await tick(EVENT);
    clock.advance(60_000);
    queueHas(20);
    await tick(EVENT);

    expect(mocks.ssm).not.toHaveReceivedCommand(GetParametersCommand);
    expect(mocks.ec2).toHaveReceivedCommandTimes(DescribeImagesCommand, 1);
    expect(fleetInputs().map(imageOf)).toEqual([AMI_ID, AMI_ID]);
  });

  it('resolves the SSM parameter on every launching tick, so a new image is picked up at once', async () => {
    const { tick } = orchestrator({ MAX_WORKERS: '3' }, clock);
    const newer = { ...UBUNTU_IMAGE, ImageId: 'ami-0fedcba9876543210' };
    fake = new FakeEc2({ subnets: SUBNET_ZONES, clock, images: [UBUNTU_IMAGE, newer] });
    fake.install(mocks.ec2);
    queueHas(10);

    await tick(EVENT);
    clock.advance(60_000);
    mocks.ssm.on(GetParametersCommand).resolves({ Parameters: [{ Name: AMI_PARAMETER, Value: newer.ImageId }] });
    queueHas(20);
    await tick(EVENT);

    expect(fleetInputs().map(imageOf)).toEqual([AMI_ID, newer.ImageId]);
  });

  it('maps the root volume on the device the image names, at least as large as its snapshot and the setting', async () => {
    fake = new FakeEc2({
      subnets: SUBNET_ZONES,
      clock,
      images: [{ ...UBUNTU_IMAGE, RootDeviceName: '/dev/xvda', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20 } }] }],
    });
    fake.install(mocks.ec2);
    const { tick } = orchestrator();

    await tick(EVENT);

    expect(fleetInputs()[0].LaunchTemplateConfigs![0].Overrides![0].BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/xvda', Ebs: { VolumeType: 'gp3', VolumeSize: 20, Encrypted: true, DeleteOnTermination: true } },
    ]);
  });

  it('gives the root volume the configured size when it is larger than the snapshot', async () => {
    const { tick } = orchestrator({ EC2_ROOT_VOLUME_GIB: '100' });

    await tick(EVENT);

    expect(fleetInputs()[0].LaunchTemplateConfigs![0].Overrides![0].BlockDeviceMappings![0].Ebs).toMatchObject({ VolumeSize: 100 });
  });

  it('refuses a parameter that does not exist, naming it', async () => {
    const { tick, metrics } = orchestrator();
    mocks.ssm.on(GetParametersCommand).resolves({ Parameters: [], InvalidParameters: [AMI_PARAMETER] });

    const summary = await tick(EVENT);

    expect(summary.failures).toEqual([
      {
        kind: 'unsupported-image',
        errorName: 'UnsupportedImage',
        message: `EC2_AMI_ID resolve:ssm:${AMI_PARAMETER}: the SSM parameter ${AMI_PARAMETER} does not exist in us-east-1`,
        attempts: [],
      },
    ]);
    expect(mocks.ec2).not.toHaveReceivedCommand(CreateFleetCommand);
    expect(metrics).toEqual([{ metric: 'LaunchFailures', kind: 'unsupported-image', count: 1 }]);
  });

  it('checks an image again after DescribeImages did not list it, as a newly shared image appears later', async () => {
    const { tick } = orchestrator({ EC2_AMI_ID: AMI_ID });
    let describes = 0;
    mocks.ec2.on(DescribeImagesCommand).callsFake(async () => {
      describes += 1;
      if (describes === 1) throw ec2Error('InvalidAMIID.NotFound', `The image id '[${AMI_ID}]' does not exist`);
      return { Images: [UBUNTU_IMAGE] };
    });

    const first = await tick(EVENT);
    const second = await tick(EVENT);

    expect(first.failures.map((failure) => failure.kind)).toEqual(['unsupported-image']);
    expect(second.launchedInstanceIds).toHaveLength(1);
  });
});

function tagValue(input: CreateFleetCommandInput, key: string): string | undefined {
  return input.TagSpecifications?.find((spec) => spec.ResourceType === 'instance')?.Tags?.find((tag) => tag.Key === key)?.Value;
}

function imageOf(input: CreateFleetCommandInput): string | undefined {
  return input.LaunchTemplateConfigs?.[0].Overrides?.[0].ImageId;
}
