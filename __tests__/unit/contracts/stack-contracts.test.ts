import { OrchestratorEnv, StackOutput, type OrchestratorEnvironment } from '../../../contracts';
import type { OrchestratorProps } from '../../../modules/lambda';
import { EVERY_OPTIONAL_FEATURE, removeSynthesizedStacks, synthStack } from '../../support/synth';

/*
 * Type tests: `npx tsc --noEmit` checks this file, and each `@ts-expect-error` fails the type-check when the
 * line under it compiles. They prove that the stack cannot give the orchestrator an environment with a
 * variable missing (main.ts passes its environment to the Orchestrator construct's typed prop).
 */
const complete: OrchestratorEnvironment = {
  SQS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/rag-pipeline-dev-work',
  DYNAMODB_TABLE_NAME: 'rag-pipeline-dev-items',
  EC2_TAG_KEY: 'Role',
  EC2_TAG_VALUE: 'rag-worker',
  EC2_AMI_ID: 'ami-0123456789abcdef0',
  EC2_INSTANCE_TYPE: 't3.micro',
  EC2_FALLBACK_INSTANCE_TYPES: '',
  EC2_AUTOTERMINATE_MINUTES: '5',
  EC2_SUBNET_ID: 'subnet-0aaa0001',
  EC2_FALLBACK_SUBNET_IDS: '',
  S3_BUCKET_NAME: 'rag-pipeline-dev-bucket',
  EC2_LAUNCH_TEMPLATE_ID: 'lt-0abc1234def567890',
  EC2_LAUNCH_TEMPLATE_VERSION: '1',
  EC2_PURCHASE_OPTION: 'on-demand',
  EC2_ROOT_VOLUME_GIB: '8',
  EC2_ON_DEMAND_AFTER_INTERRUPTION: 'false',
  WORKER_INTERRUPTION_RETRIES: '5',
  MAX_WORKERS: '1',
  MESSAGES_PER_WORKER: '10',
  EC2_WORKER_NAME: 'rag-pipeline-dev-worker',
  EC2_WORKER_TAGS: '{}',
  WORKER_CODE_S3_KEY: 'worker/worker.js',
  WORKER_CONCURRENCY: '10',
  SQS_VISIBILITY_TIMEOUT_SECONDS: '300',
  SQS_MAX_RECEIVE_COUNT: '5',
};

/** The complete environment but `name`, typed as such. */
function without<K extends keyof OrchestratorEnvironment>(name: K): Omit<OrchestratorEnvironment, K> {
  const rest: Partial<OrchestratorEnvironment> = { ...complete };
  delete rest[name];
  return rest as Omit<OrchestratorEnvironment, K>;
}

// @ts-expect-error: SQS_QUEUE_URL is missing, so the orchestrator could not start.
const missingVariable: OrchestratorProps['environment'] = without(OrchestratorEnv.queueUrl);

// @ts-expect-error: an optional variable is still set, empty, never left out (EC2_FALLBACK_INSTANCE_TYPES without fallbacks).
const missingOptional: OrchestratorProps['environment'] = without(OrchestratorEnv.fallbackInstanceTypes);

afterAll(removeSynthesizedStacks);

describe('stack contracts', () => {
  it('the environment type names every OrchestratorEnv variable', () => {
    expect(Object.keys(complete).sort()).toEqual(Object.values(OrchestratorEnv).sort());
    // The values the type tests above assign, so the compiler keeps them.
    expect(Object.keys(missingVariable)).not.toContain(OrchestratorEnv.queueUrl);
    expect(Object.keys(missingOptional)).not.toContain(OrchestratorEnv.fallbackInstanceTypes);
  });

  it('the stack writes every StackOutput when every optional resource is on, and no other output', () => {
    const { json } = synthStack(EVERY_OPTIONAL_FEATURE);

    expect(Object.keys(json.output).sort()).toEqual(Object.values(StackOutput).sort());
  });

  it('leaves out only the outputs of resources that are off', () => {
    const { json } = synthStack({ PIPELINE_EVENT_TRIGGER: 'false' });

    expect(Object.values(StackOutput).filter((name) => !(name in json.output)).sort()).toEqual(
      [StackOutput.wakeQueueUrl, StackOutput.eventsQueueUrl, StackOutput.eventsDlqUrl, StackOutput.alarmTopicArn].sort(),
    );
  });
});
