import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { policyDocument } from '../shared/iam';
import { DEAD_LETTER_RETENTION_SECONDS } from '../sqs';

export interface OutcomeSubscriberProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  /** The bus the item events are published on. */
  readonly eventBusName: string;
  /** The rule's event pattern: this table's FINISHED and FAILED events (ItemEvents.eventPattern). */
  readonly eventPattern: string;
}

/**
 * The optional queue of outcome events (PIPELINE_EVENTS_QUEUE): every row that became FINISHED or FAILED, for
 * users who just want a queue of finished files. It keeps events 14 days (SQS's longest). Events EventBridge
 * could not deliver after its retries go to the dead-letter queue, which alarms, as does an event left unread
 * for a day (modules/alarms). No redrive policy: `npx pipeline events` peeks with receives, which must never
 * move an event to the dead-letter queue.
 */
export class OutcomeSubscriber extends Construct {
  readonly queueUrl: string;
  readonly queueName: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueName: string;
  readonly ruleName: string;

  constructor(scope: Construct, id: string, props: OutcomeSubscriberProps) {
    super(scope, id);
    const deadLetters = new SqsQueue(this, 'dlq', {
      name: `${props.baseName}-outcomes-dlq`,
      messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
    });
    const queue = new SqsQueue(this, 'queue', {
      name: `${props.baseName}-outcomes`,
      messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
    });
    const rule = new CloudwatchEventRule(this, 'rule', {
      name: `${props.baseName}-outcomes`,
      description: 'Copies the FINISHED and FAILED events of the items table to the outcome queue',
      eventBusName: props.eventBusName,
      eventPattern: props.eventPattern,
    });
    new CloudwatchEventTarget(this, 'target', {
      rule: rule.name,
      eventBusName: props.eventBusName,
      arn: queue.arn,
      deadLetterConfig: { arn: deadLetters.arn },
    });
    // EventBridge sends to both on behalf of this rule only.
    for (const [policyId, target, sid] of [
      ['policy', queue, 'OutcomeRuleSends'],
      ['dlq-policy', deadLetters, 'OutcomeRuleDeadLetters'],
    ] as const) {
      new SqsQueuePolicy(this, policyId, {
        queueUrl: target.url,
        policy: policyDocument([
          {
            sid,
            principal: { Service: 'events.amazonaws.com' },
            actions: ['sqs:SendMessage'],
            resources: [target.arn],
            conditions: { ArnEquals: { 'aws:SourceArn': rule.arn } },
          },
        ]),
      });
    }

    this.queueUrl = queue.url;
    this.queueName = queue.name;
    this.deadLetterQueueUrl = deadLetters.url;
    this.deadLetterQueueName = deadLetters.name;
    this.ruleName = rule.name;
  }
}
