import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { LaunchDeferralKind, LaunchFailureKind, OrchestratorMetrics } from '../../contracts';
import { policyDocument } from '../shared/iam';
import type { AcceptedFinding } from '../shared/parliament';

/** Most alarms look at five-minute windows: fast enough to page, slow enough not to flap on a single tick. */
const PERIOD_SECONDS = 300;
/** Launch alarms look at single minutes, the orchestrator's tick: a refused launch pages within minutes. */
const LAUNCH_PERIOD_SECONDS = 60;
/** An outcome event unread for a day pages: its consumer has stopped, and SQS drops it after 14 days. */
const OUTCOME_QUEUE_AGE_SECONDS = 24 * 3600;
/**
 * A just-created instance profile is refused until IAM propagates it, usually for seconds: only this many
 * consecutive minutes of such refusals page anyone.
 */
const PROFILE_NOT_READY_MINUTES = 5;

export interface PipelineAlarmsProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  /** AWS partition and account, for the topic key's policy. */
  readonly partition: string;
  readonly accountId: string;
  readonly workQueueName: string;
  readonly workDeadLetterQueueName: string;
  readonly pipeDeadLetterQueueName: string;
  readonly pipeName: string;
  /** The item events' pipe (modules/events) and its dead-letter queue. */
  readonly eventsPipeName: string;
  readonly eventsPipeDeadLetterQueueName: string;
  /** @default undefined — no outcome queue (PIPELINE_EVENTS_QUEUE), so no alarms on it */
  readonly outcomeQueue?: { readonly queueName: string; readonly deadLetterQueueName: string; readonly ruleName: string };
  /** @default undefined — no wake queue (PIPELINE_EVENT_TRIGGER=false), so no alarm on its rule */
  readonly wakeRuleName?: string;
  /**
   * @default 'default' — the bus the wake and outcome rules are on. AWS/Events metrics of a rule on the default
   * bus carry only RuleName; those of a rule on a custom bus carry EventBusName and RuleName.
   */
  readonly itemEventBusName?: string;
  readonly orchestratorFunctionName: string;
  /** @default 900 — the queue-age alarm fires when the oldest waiting message is older than this */
  readonly queueAgeThresholdSeconds?: number;
  /** @default undefined — no topic; the alarms still exist and show in the console, they notify nobody */
  readonly alarmEmail?: string;
}

interface AlarmSpec {
  readonly id: string;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: 'Maximum' | 'Sum';
  readonly threshold: number;
  /** @default PERIOD_SECONDS */
  readonly periodSeconds?: number;
  /** @default 1 — consecutive breaching periods before the alarm fires */
  readonly evaluationPeriods?: number;
}

/**
 * The pipeline's alarms, in one place so operators find them together (docs/infrastructure.md explains
 * each): a dead letter anywhere, work waiting too long, orchestrator errors, pipe failures (both pipes), the
 * optional outcome queue, and launches
 * refused or deferred (the orchestrator's metrics, contracts/metrics.ts). An encrypted SNS topic with an
 * e-mail subscription is added only when an address is configured.
 */
export class PipelineAlarms extends Construct {
  /** Undefined when no e-mail address is configured. */
  readonly topicArn?: string;
  readonly alarmNames: string[] = [];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const queueAgeThreshold = props.queueAgeThresholdSeconds ?? 900;
    if (!Number.isInteger(queueAgeThreshold) || queueAgeThreshold < 60) {
      throw new Error(`queueAgeThresholdSeconds must be an integer of at least 60, got ${queueAgeThreshold}`);
    }

    if (props.alarmEmail !== undefined) {
      const topic = new SnsTopic(this, 'topic', {
        name: `${props.baseName}-alarms`,
        kmsMasterKeyId: this.topicKey(props).arn,
      });
      new SnsTopicSubscription(this, 'email', { topicArn: topic.arn, protocol: 'email', endpoint: props.alarmEmail });
      this.topicArn = topic.arn;
    }

    const specs: AlarmSpec[] = [
      {
        id: 'work-dlq-messages',
        description: 'Messages reached the work dead-letter queue: rows the workers failed to process after every retry.',
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: props.workDeadLetterQueueName },
        statistic: 'Maximum',
        threshold: 0,
      },
      {
        id: 'pipe-dlq-messages',
        description: 'Records reached the pipe dead-letter queue: PENDING rows the pipe could not deliver to the work queue.',
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: props.pipeDeadLetterQueueName },
        statistic: 'Maximum',
        threshold: 0,
      },
      {
        id: 'work-queue-age',
        description: `The oldest message in the work queue is older than ${queueAgeThreshold} s: workers are not keeping up or not starting.`,
        namespace: 'AWS/SQS',
        metricName: 'ApproximateAgeOfOldestMessage',
        dimensions: { QueueName: props.workQueueName },
        statistic: 'Maximum',
        threshold: queueAgeThreshold,
      },
      {
        id: 'orchestrator-errors',
        description: 'The orchestrator Lambda function failed: workers may not be launched.',
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: props.orchestratorFunctionName },
        statistic: 'Sum',
        threshold: 0,
      },
      {
        id: 'pipe-failures',
        description: 'The EventBridge pipe had failed executions: PENDING rows may not reach the work queue.',
        namespace: 'AWS/EventBridge/Pipes',
        metricName: 'ExecutionFailed',
        dimensions: { PipeName: props.pipeName },
        statistic: 'Sum',
        threshold: 0,
      },
      {
        id: 'events-pipe-dlq-messages',
        description: 'Records reached the events pipe dead-letter queue: item events (PENDING, FINISHED, FAILED) were not published.',
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: props.eventsPipeDeadLetterQueueName },
        statistic: 'Maximum',
        threshold: 0,
      },
      {
        id: 'events-pipe-failures',
        description: 'The events pipe had failed executions: item events may be late or missing, and rows may wait for the schedule.',
        namespace: 'AWS/EventBridge/Pipes',
        metricName: 'ExecutionFailed',
        dimensions: { PipeName: props.eventsPipeName },
        statistic: 'Sum',
        threshold: 0,
      },
      ...(props.wakeRuleName === undefined ? [] : [wakeRuleAlarmSpec(ruleDimensions(props.wakeRuleName, props.itemEventBusName))]),
      ...(props.outcomeQueue ? outcomeQueueAlarmSpecs(props.outcomeQueue, ruleDimensions(props.outcomeQueue.ruleName, props.itemEventBusName)) : []),
      ...launchAlarmSpecs(props.orchestratorFunctionName),
    ];

    const actions = this.topicArn === undefined ? [] : [this.topicArn];
    for (const spec of specs) {
      const alarm = new CloudwatchMetricAlarm(this, spec.id, {
        alarmName: `${props.baseName}-${spec.id}`,
        alarmDescription: spec.description,
        namespace: spec.namespace,
        metricName: spec.metricName,
        dimensions: spec.dimensions,
        statistic: spec.statistic,
        period: spec.periodSeconds ?? PERIOD_SECONDS,
        // Every evaluated period must breach (datapoints to alarm defaults to the evaluation periods).
        evaluationPeriods: spec.evaluationPeriods ?? 1,
        threshold: spec.threshold,
        comparisonOperator: 'GreaterThanThreshold',
        // No data means nothing happened (an idle queue, a pipe with nothing to do, no launch), not trouble.
        treatMissingData: 'notBreaching',
        alarmActions: actions,
        okActions: actions,
      });
      this.alarmNames.push(alarm.alarmName);
    }
  }

  /**
   * The topic's customer-managed key. SNS's AWS-managed key (aws/sns) cannot be used: its policy does not
   * let CloudWatch encrypt, so alarm notifications would be dropped silently. The account keeps
   * administering the key (the key administrators' actions, no kms:*); CloudWatch may only encrypt.
   */
  private topicKey(props: PipelineAlarmsProps): KmsKey {
    const thisKeyOnly: AcceptedFinding = {
      issue: 'RESOURCE_STAR',
      reason:
        'In a key policy, Resource "*" means the key the policy is attached to and nothing else (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).',
    };
    const key = new KmsKey(this, 'topic-key', {
      description: `Encrypts the ${props.baseName} alarm topic`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: policyDocument([
        {
          sid: 'AccountAdministersKey',
          principal: { AWS: `arn:${props.partition}:iam::${props.accountId}:root` },
          actions: [
            'kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*',
            'kms:Disable*', 'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource',
            'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion',
          ],
          resources: ['*'],
          acceptedFindings: [thisKeyOnly],
        },
        {
          sid: 'CloudWatchPublishesAlarms',
          principal: { Service: 'cloudwatch.amazonaws.com' },
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          acceptedFindings: [thisKeyOnly],
        },
      ]),
    });
    new KmsAlias(this, 'topic-key-alias', { name: `alias/${props.baseName}-alarms`, targetKeyId: key.keyId });
    return key;
  }
}

/**
 * A rule's AWS/Events dimensions: "Metrics that specify only the RuleName dimension refer to the default event
 * bus. Metrics that specify both the EventBusName and RuleName dimensions refer to a custom event bus."
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html). An alarm must match them in full.
 */
function ruleDimensions(ruleName: string, eventBusName = 'default'): Record<string, string> {
  return eventBusName === 'default' ? { RuleName: ruleName } : { EventBusName: eventBusName, RuleName: ruleName };
}

/**
 * The wake rule's target has no dead-letter queue: an event EventBridge cannot deliver (the queue policy
 * broken, the queue replaced) is dropped without retry and counted only as FailedInvocations (eb-rule-dlq).
 * Without this alarm every wake would be lost in silence, the schedule covering for it.
 */
function wakeRuleAlarmSpec(dimensions: Record<string, string>): AlarmSpec {
  return {
    id: 'wake-rule-failures',
    description: 'EventBridge could not deliver wake events to the wake queue: rows wait for the scheduled run (up to a minute) instead of seconds. Check the wake queue and its policy.',
    namespace: 'AWS/Events',
    metricName: 'FailedInvocations',
    dimensions,
    statistic: 'Sum',
    threshold: 0,
  };
}

/**
 * Alarms on the optional outcome queue: undelivered events (in its dead-letter queue, lost outright, or lost on
 * the way to the dead-letter queue), and events nobody reads.
 */
function outcomeQueueAlarmSpecs(queue: { readonly queueName: string; readonly deadLetterQueueName: string }, ruleDimensions: Record<string, string>): AlarmSpec[] {
  return [
    {
      id: 'outcomes-rule-failures',
      description: 'EventBridge failed to deliver outcome events to the outcome queue for good (FailedInvocations): those events are lost.',
      namespace: 'AWS/Events',
      metricName: 'FailedInvocations',
      dimensions: ruleDimensions,
      statistic: 'Sum',
      threshold: 0,
    },
    {
      id: 'outcomes-rule-dlq-failures',
      description: 'EventBridge could not put undeliverable outcome events in the outcome dead-letter queue either: those events are lost. Check the dead-letter queue and its policy.',
      namespace: 'AWS/Events',
      metricName: 'InvocationsFailedToBeSentToDlq',
      dimensions: ruleDimensions,
      statistic: 'Sum',
      threshold: 0,
    },
    {
      id: 'outcomes-dlq-messages',
      description: 'EventBridge could not deliver outcome events to the outcome queue after its retries: they are in its dead-letter queue.',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: queue.deadLetterQueueName },
      statistic: 'Maximum',
      threshold: 0,
    },
    {
      id: 'outcomes-queue-age',
      description: `An outcome event has waited more than ${OUTCOME_QUEUE_AGE_SECONDS / 3600} hours in the outcome queue: its consumer is not reading it (SQS drops events after 14 days).`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: queue.queueName },
      statistic: 'Maximum',
      threshold: OUTCOME_QUEUE_AGE_SECONDS,
    },
  ];
}

/**
 * Alarms on the orchestrator's launch metrics, by kind (contracts/metrics.ts). The orchestrator emits them
 * as Embedded Metric Format lines with exactly the dimensions FunctionName and Kind, which an alarm must
 * match in full.
 */
function launchAlarmSpecs(functionName: string): AlarmSpec[] {
  const launchMetric = (metricName: string, kind: string) => ({
    namespace: OrchestratorMetrics.namespace,
    metricName,
    dimensions: { [OrchestratorMetrics.functionDimension]: functionName, [OrchestratorMetrics.kindDimension]: kind },
    statistic: 'Sum' as const,
    threshold: 0,
    periodSeconds: LAUNCH_PERIOD_SECONDS,
  });
  return [
    {
      id: 'launch-unauthorized',
      description: 'RunInstances was refused for lack of permission (UnauthorizedOperation, AccessDenied): no worker can launch until a policy, SCP or grant is fixed.',
      ...launchMetric(OrchestratorMetrics.launchFailures, LaunchFailureKind.unauthorized),
    },
    {
      id: 'launch-unsupported-image',
      description: 'The worker AMI is not an x86_64 Ubuntu 24.04-or-later image from Canonical or AWS Deep Learning Base, which the bootstrap needs: no worker will launch until PIPELINE_AMI_ID or PIPELINE_AMI_SSM_PARAMETER (or capacity.image) is fixed.',
      ...launchMetric(OrchestratorMetrics.launchFailures, LaunchFailureKind.unsupportedImage),
    },
    {
      id: 'launch-instance-profile-not-ready',
      description: `EC2 has refused the worker instance profile for ${PROFILE_NOT_READY_MINUTES} minutes in a row: longer than IAM propagation takes, so the profile or its role is likely broken.`,
      ...launchMetric(OrchestratorMetrics.launchFailures, LaunchFailureKind.instanceProfileNotReady),
      evaluationPeriods: PROFILE_NOT_READY_MINUTES,
    },
    {
      id: 'launches-deferred-boot-failures',
      description: 'The orchestrator held back launches because recent workers failed to boot: read logs/boot-failures/ and the bootstrap-failure logs in the bucket.',
      ...launchMetric(OrchestratorMetrics.launchesDeferred, LaunchDeferralKind.bootFailures),
    },
  ];
}
