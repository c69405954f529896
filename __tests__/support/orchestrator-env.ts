import { OrchestratorEnv } from '../../contracts';
import { FUNCTION_NAME_ENV, REGION_ENV } from '../../functions/orchestrator/config';

/** The orchestrator's settings by their contract key (contracts/environment.ts): a misspelt key is a compile error. */
export type OrchestratorSettings = Partial<Record<keyof typeof OrchestratorEnv, string>>;

/** A complete, valid dev environment, as the stack sets it (the fallbacks unset: none configured). */
export const ORCHESTRATOR_DEFAULTS = {
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/rag-pipeline-dev-work',
  tableName: 'rag-pipeline-dev-items',
  tagKey: 'Role',
  tagValue: 'rag-worker',
  amiId: 'resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id',
  instanceType: 't3.micro',
  autoterminateMinutes: '5',
  subnetId: 'subnet-0aaa0001',
  bucketName: 'rag-pipeline-dev-bucket',
  launchTemplateId: 'lt-0abc1234def567890',
  launchTemplateVersion: '1',
  purchaseOption: 'on-demand',
  rootVolumeGib: '8',
  onDemandAfterInterruption: 'false',
  interruptionRetries: '5',
  maxWorkers: '1',
  messagesPerWorker: '10',
  workerName: 'rag-pipeline-dev-worker',
  workerTags: '{"project":"rag-pipeline","environment":"dev"}',
  workerCodeKey: 'worker/worker.js',
  workerConcurrency: '4',
  visibilityTimeoutSeconds: '300',
  maxReceiveCount: '5',
} as const satisfies OrchestratorSettings;

/**
 * The orchestrator's environment: {@link ORCHESTRATOR_DEFAULTS} with `settings` over them, under the variable
 * names the contract gives, plus what the Lambda runtime sets (region, function name).
 */
export function orchestratorEnvironment(
  settings: OrchestratorSettings = {},
  runtime: { region?: string; functionName?: string } = {},
): Record<string, string> {
  const values: OrchestratorSettings = { ...ORCHESTRATOR_DEFAULTS, ...settings };
  const env: Record<string, string> = {
    [REGION_ENV]: runtime.region ?? 'us-east-1',
    [FUNCTION_NAME_ENV]: runtime.functionName ?? 'rag-pipeline-dev-orchestrator',
  };
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) env[OrchestratorEnv[key as keyof typeof OrchestratorEnv]] = value;
  }
  return env;
}
