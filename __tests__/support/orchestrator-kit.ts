import { Writable } from 'node:stream';
import { EC2Client, type Image } from '@aws-sdk/client-ec2';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { LaunchDeferralKind, LaunchFailureKind } from '../../contracts';
import { createClients } from '../../functions/orchestrator/clients';
import { EMULATOR_SDK_CREDENTIALS } from '../../local/emulator/moto';
import { loadConfig } from '../../functions/orchestrator/config';
import { createHandler } from '../../functions/orchestrator/handler';
import { createLogger } from '../../functions/orchestrator/logger';
import type { LaunchMetrics } from '../../functions/orchestrator/metrics';
import { orchestratorEnvironment } from './orchestrator-env';

/**
 * One kit for the orchestrator's unit suites: a complete environment, mocked SQS/EC2/S3/SSM clients, a
 * logger whose JSON lines the test reads back, recorded metrics and a settable clock.
 */

export const AMI_PARAMETER = '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id';
export const AMI_ID = 'ami-0abcdef1234567890';
export const PREFERRED_SUBNET = 'subnet-0aaa0001';
export const FALLBACK_SUBNET = 'subnet-0bbb0002';
export const THIRD_SUBNET = 'subnet-0ccc0003';
/** Where the kit's subnets are; us-east-1e is the zone without t3 in the Unsupported message. */
export const SUBNET_ZONES: Readonly<Record<string, string>> = {
  [PREFERRED_SUBNET]: 'us-east-1e',
  [FALLBACK_SUBNET]: 'us-east-1a',
  [THIRD_SUBNET]: 'us-east-1b',
};

/** The orchestrator's environment (orchestrator-env.ts) with the kit's image parameter and preferred subnet. */
export const ENV: Readonly<Record<string, string>> = orchestratorEnvironment({
  amiId: `resolve:ssm:${AMI_PARAMETER}`,
  subnetId: PREFERRED_SUBNET,
});

/** Canonical's Ubuntu 24.04 amd64 image, as DescribeImages describes it. */
export const UBUNTU_IMAGE: Image = {
  ImageId: AMI_ID,
  OwnerId: '099720109477',
  Architecture: 'x86_64',
  PlatformDetails: 'Linux/UNIX',
  RootDeviceType: 'ebs',
  RootDeviceName: '/dev/sda1',
  State: 'available',
  Name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261101',
  BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { SnapshotId: 'snap-0123456789abcdef0', VolumeSize: 8, VolumeType: 'gp3' } }],
};

/** 2026-11-25T16:03:00Z: three minutes into a ten-minute token window. */
export const START_MS = Date.parse('2026-11-25T16:03:00Z');

export const mocks = {
  sqs: mockClient(SQSClient),
  ec2: mockClient(EC2Client),
  s3: mockClient(S3Client),
  ssm: mockClient(SSMClient),
};

export interface RecordedMetric {
  readonly metric: 'LaunchFailures' | 'LaunchesDeferred';
  readonly kind: LaunchFailureKind | LaunchDeferralKind;
  readonly count: number;
}

/** A settable clock shared by the handler and the fake EC2. */
export interface Clock {
  (): number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function createClock(startMs = START_MS): Clock {
  let now = startMs;
  const clock = (() => now) as Clock;
  clock.set = (ms) => (now = ms);
  clock.advance = (ms) => (now += ms);
  return clock;
}

/**
 * Resets the mocks to a healthy account: the queue holds `visible` messages, the SSM parameter names the
 * Ubuntu image, no boot failed. EC2 is left to the test (FakeEc2.install or its own answers).
 */
export function resetMocks({ visible = 3, inFlight = 0 }: { visible?: number; inFlight?: number } = {}): void {
  for (const mock of Object.values(mocks)) mock.reset();
  queueHas(visible, inFlight);
  mocks.ssm.on(GetParametersCommand).resolves({ Parameters: [{ Name: AMI_PARAMETER, Value: AMI_ID, Type: 'String' }], InvalidParameters: [] });
  mocks.s3.on(ListObjectsV2Command).resolves({ Contents: [], IsTruncated: false });
}

export function queueHas(visible: number, inFlight = 0): void {
  mocks.sqs.on(GetQueueAttributesCommand).resolves({
    Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: String(inFlight) },
  });
}

/** A handler wired to the mocked clients, a readable logger, recorded metrics and `clock`. */
export function orchestrator(overrides: Record<string, string | undefined> = {}, clock: Clock = createClock()) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const recorded: RecordedMetric[] = [];
  const metrics: LaunchMetrics = {
    launchFailed: (kind) => recorded.push({ metric: 'LaunchFailures', kind, count: 1 }),
    launchesDeferred: (kind, count) => recorded.push({ metric: 'LaunchesDeferred', kind, count }),
  };
  const config = loadConfig({ ...ENV, ...overrides });
  const clients = createClients({ region: 'us-east-1', credentials: EMULATOR_SDK_CREDENTIALS });
  // Waits are recorded, not slept: a wake run's second look at an empty queue (functions/orchestrator/trigger.ts).
  const sleeps: number[] = [];
  const sleep = async (ms: number) => void sleeps.push(ms);
  const tick = createHandler({ config, clients, logger: createLogger(sink), metrics, now: clock, sleep });
  return {
    tick,
    sleeps,
    config,
    clock,
    lines,
    metrics: recorded,
    events: () => lines.map((line) => line.event),
    line: (event: string) => lines.find((line) => line.event === event),
  };
}
