import { GetQueueAttributesCommand, type GetQueueAttributesCommandOutput } from '@aws-sdk/client-sqs';
import { FakeEc2 } from '../../support/fake-ec2';
import { createClock, mocks, orchestrator, queueHas, resetMocks, SUBNET_ZONES, UBUNTU_IMAGE } from '../../support/orchestrator-kit';

/**
 * moto's counts are exact, so the lag AWS documents is injected here: "The ApproximateNumberOfMessagesDelayed,
 * ApproximateNumberOfMessagesNotVisible, and ApproximateNumberOfMessages metrics may not achieve consistency
 * until at least 1 minute after the producers stop sending messages."
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html)
 * A row's message is already in the work queue, yet both looks of the wake run read 0/0.
 */
const LAGGING_COUNTS: Partial<GetQueueAttributesCommandOutput> = {
  Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' },
};

const SCHEDULED = { id: 'evt-lag', source: 'aws.events', 'detail-type': 'Scheduled Event' };

function wakeBatch(size: number) {
  return {
    Records: Array.from({ length: size }, (_, index) => ({
      messageId: `m${index}`,
      body: '{"detail-type":"Item Status Changed","detail":{"status":"PENDING"}}',
      eventSource: 'aws:sqs',
    })),
  };
}

let fake: FakeEc2;

beforeEach(() => {
  resetMocks();
  fake = new FakeEc2({ subnets: SUBNET_ZONES, clock: createClock(), images: [UBUNTU_IMAGE] });
  fake.install(mocks.ec2);
  mocks.sqs.on(GetQueueAttributesCommand).resolves(LAGGING_COUNTS);
});

describe('a wake run whose SQS counts lag behind the work queue', () => {
  it('launches one worker for a wake batch when both looks read 0/0 and no worker is there', async () => {
    const { tick, sleeps } = orchestrator();

    const summary = await tick(wakeBatch(1), { awsRequestId: 'request-lag' });

    expect(sleeps).toEqual([1000]);
    expect(mocks.sqs.commandCalls(GetQueueAttributesCommand)).toHaveLength(2);
    expect(summary).toMatchObject({ trigger: 'wake', visibleMessages: 0, inFlightMessages: 0, reason: 'woken-ahead-of-counts', launchRequested: 1 });
    expect(summary.launchedInstanceIds).toHaveLength(1);
  });

  it('launches no more than MAX_WORKERS for a burst', async () => {
    const { tick } = orchestrator({ MAX_WORKERS: '2', MESSAGES_PER_WORKER: '10' });

    const summary = await tick(wakeBatch(1000), { awsRequestId: 'request-burst' });

    expect(summary).toMatchObject({ reason: 'woken-ahead-of-counts', targetWorkers: 2, launchRequested: 2 });
    expect(summary.launchedInstanceIds).toHaveLength(2);
  });

  it('still launches nothing for a scheduled run that reads 0/0', async () => {
    const { tick, sleeps } = orchestrator();
    queueHas(0, 0);

    const summary = await tick(SCHEDULED);

    expect(sleeps).toEqual([]);
    expect(summary).toMatchObject({ trigger: 'schedule', reason: 'queue-empty', launchRequested: 0, launchedInstanceIds: [] });
  });
});
