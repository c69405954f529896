/**
 * Names of the stack's Terraform outputs: main.ts builds them from this list, and the programs outside the
 * stack (the ops CLI, the local run) read them by it. `cdktf output --outputs-file` writes them as
 * `{ "<stack>": { "<name>": value } }`. Outputs are prefixed by what they describe (terraform-aws-modules).
 */
export const StackOutput = {
  region: 'region',
  tableName: 'table_name',
  /** The item events name it in `resources`: a subscriber's rule matches it. */
  tableArn: 'table_arn',
  tableStreamArn: 'table_stream_arn',
  /** The table's status index; empty with PIPELINE_STATUS_INDEX=false. */
  statusIndexName: 'status_index_name',
  queueUrl: 'queue_url',
  dlqUrl: 'dlq_url',
  pipeDlqUrl: 'pipe_dlq_url',
  bucketName: 'bucket_name',
  workerCodeKey: 'worker_code_key',
  lambdaFunctionName: 'lambda_function_name',
  lambdaLogGroupName: 'lambda_log_group_name',
  scheduleRuleName: 'schedule_rule_name',
  pipeArn: 'pipe_arn',
  /** The bus the item events are published on (`default` unless PIPELINE_EVENT_BUS=pipeline). */
  eventBusName: 'event_bus_name',
  eventsPipeArn: 'events_pipe_arn',
  eventsPipeDlqUrl: 'events_pipe_dlq_url',
  /** The wake queue; only with PIPELINE_EVENT_TRIGGER=true (the default). */
  wakeQueueUrl: 'wake_queue_url',
  /** The outcome queue; only with PIPELINE_EVENTS_QUEUE=true. */
  eventsQueueUrl: 'events_queue_url',
  /** The outcome queue's dead-letter queue; only with PIPELINE_EVENTS_QUEUE=true. */
  eventsDlqUrl: 'events_dlq_url',
  vpcId: 'vpc_id',
  /** The preferred subnet; subnet_ids lists them all in preference order. */
  subnetId: 'subnet_id',
  /** A list: every workers' subnet, in preference order. */
  subnetIds: 'subnet_ids',
  securityGroupId: 'security_group_id',
  instanceProfileName: 'instance_profile_name',
  workerRoleArn: 'worker_role_arn',
  amiId: 'ami_id',
  dashboardName: 'dashboard_name',
  /** The alarms' SNS topic; only with PIPELINE_ALARM_EMAIL. */
  alarmTopicArn: 'alarm_topic_arn',
} as const;

export type StackOutputKey = keyof typeof StackOutput;
export type StackOutputName = (typeof StackOutput)[StackOutputKey];

/**
 * Where the outputs file is written by default (`cdktf output --outputs-file outputs.json`, the local run)
 * and where the ops CLI looks for it, relative to the working directory. Holds an account's resource
 * names: git-ignored.
 */
export const STACK_OUTPUTS_FILE = 'outputs.json';
