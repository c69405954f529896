import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { policyDocument, type PolicyStatement } from '../shared/iam';

/** SQS's shortest retention. */
const MIN_RETENTION_SECONDS = 60;

export interface WakeQueueProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  /** The bus the item events are published on. */
  readonly eventBusName: string;
  /** The rule's event pattern: this table's PENDING events (ItemEvents.eventPattern). */
  readonly eventPattern: string;
  /**
   * Seconds a batch the orchestrator is handling stays hidden; Lambda refuses a mapping whose queue's
   * visibility timeout is below the function's timeout, and AWS recommends six times it
   * (modules/lambda recommendedTriggerVisibilitySeconds).
   */
  readonly visibilityTimeoutSeconds: number;
  /**
   * @default 900 — seconds an undelivered wake is kept; must exceed visibilityTimeoutSeconds, or a failed batch
   * would expire before it became visible again. Older wakes are worth little: the schedule has run since, and
   * any run looks at the whole queue.
   */
  readonly retentionSeconds?: number;
}

/**
 * The wake queue (docs/orchestrator.md, "Triggers"): a rule on the item events' bus sends the events of rows
 * that became PENDING here, and the orchestrator's event source mapping (modules/lambda) takes them in
 * batches, so a burst of rows becomes a handful of orchestrator runs, not one run per row. Only this rule may
 * send to the queue. The messages are wake-up calls: the orchestrator never reads them, and the work itself
 * travels through the work queue.
 */
export class WakeQueue extends Construct {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly queueName: string;
  readonly ruleName: string;
  readonly visibilityTimeoutSeconds: number;

  constructor(scope: Construct, id: string, props: WakeQueueProps) {
    super(scope, id);
    const retentionSeconds = props.retentionSeconds ?? 900;
    if (!Number.isInteger(retentionSeconds) || retentionSeconds < MIN_RETENTION_SECONDS || retentionSeconds > 1_209_600) {
      throw new Error(`retentionSeconds must be an integer from ${MIN_RETENTION_SECONDS} to 1209600, got ${retentionSeconds}`);
    }
    const visibility = props.visibilityTimeoutSeconds;
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > 43_200) {
      throw new Error(`visibilityTimeoutSeconds must be an integer from 0 to 43200, got ${visibility}`);
    }
    if (retentionSeconds <= visibility) {
      throw new Error(
        `retentionSeconds (${retentionSeconds}) must exceed visibilityTimeoutSeconds (${visibility}): a failed batch would expire before it is received again`,
      );
    }

    // No dead-letter queue: a wake that keeps failing is dropped at its retention, and the failing runs raise
    // the orchestrator-errors alarm; the schedule runs the orchestrator meanwhile.
    const queue = new SqsQueue(this, 'queue', {
      name: `${props.baseName}-wake`,
      messageRetentionSeconds: retentionSeconds,
      visibilityTimeoutSeconds: visibility,
      sqsManagedSseEnabled: true,
    });
    const rule = new CloudwatchEventRule(this, 'rule', {
      name: `${props.baseName}-wake`,
      description: 'Wakes the orchestrator when rows of the items table become PENDING',
      eventBusName: props.eventBusName,
      eventPattern: props.eventPattern,
    });
    new CloudwatchEventTarget(this, 'target', { rule: rule.name, eventBusName: props.eventBusName, arn: queue.arn });
    new SqsQueuePolicy(this, 'policy', {
      queueUrl: queue.url,
      policy: policyDocument([
        {
          sid: 'WakeRuleSends',
          principal: { Service: 'events.amazonaws.com' },
          actions: ['sqs:SendMessage'],
          resources: [queue.arn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.arn } },
        },
      ]),
    });

    this.queueUrl = queue.url;
    this.queueArn = queue.arn;
    this.queueName = queue.name;
    this.ruleName = rule.name;
    this.visibilityTimeoutSeconds = visibility;
  }

  /** What the orchestrator's event source mapping needs, through the function's role, and nothing else. */
  consumeStatement(): PolicyStatement {
    return {
      sid: 'WakeQueueConsume',
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      resources: [this.queueArn],
    };
  }
}
