import { Testing } from 'cdktf';
import { WakeQueue } from '../../../modules/wake';
import { onlyResource, removeSynthesizedStacks, synthStack } from '../../support/synth';

afterAll(removeSynthesizedStacks);

/**
 * "set the source queue's visibility timeout to at least six times the configuration timeout on your function.
 * The extra time allows Lambda to retry if your function is throttled while processing a previous batch."
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html)
 */
describe('the wake queue against its function', () => {
  it('hides a batch for six times the function timeout and keeps wakes longer than that', () => {
    const { json } = synthStack({});
    const fn = onlyResource(json, 'aws_lambda_function').config;
    const queue = onlyResource(json, 'aws_sqs_queue', (config) => config.name === 'rag-pipeline-dev-wake').config;

    expect(queue.visibility_timeout_seconds).toBe(6 * (fn.timeout as number));
    expect(queue.message_retention_seconds as number).toBeGreaterThan(queue.visibility_timeout_seconds as number);
  });

  it.each([
    { visibilityTimeoutSeconds: 360, retentionSeconds: 300 },
    { visibilityTimeoutSeconds: 360, retentionSeconds: 360 },
  ])('refuses retention $retentionSeconds s with visibility $visibilityTimeoutSeconds s: a failed batch would expire unseen', (sizes) => {
    expect(() =>
      Testing.synthScope((scope) => void new WakeQueue(scope, 'wake', { baseName: 'rag-pipeline-dev', eventBusName: 'default', eventPattern: '{}', ...sizes })),
    ).toThrow(`retentionSeconds (${sizes.retentionSeconds}) must exceed visibilityTimeoutSeconds (360): a failed batch would expire before it is received again`);
  });
});
