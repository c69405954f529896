/**
 * Names of the stack's Terraform outputs that programs outside the stack read (the ops CLI, the local run).
 * `cdktf output --outputs-file` writes them as `{ "<stack>": { "<name>": value } }`.
 */
export const StackOutput = {
  tableName: 'table_name',
  /** The item events name it in `resources`: a subscriber's rule matches it. */
  tableArn: 'table_arn',
  queueUrl: 'queue_url',
  dlqUrl: 'dlq_url',
  bucketName: 'bucket_name',
  region: 'region',
  lambdaLogGroupName: 'lambda_log_group_name',
  /** The bus the item events are published on (`default` unless PIPELINE_EVENT_BUS=pipeline). */
  eventBusName: 'event_bus_name',
  /** The outcome queue; only with PIPELINE_EVENTS_QUEUE=true. */
  eventsQueueUrl: 'events_queue_url',
  /** The table's status index; empty with PIPELINE_STATUS_INDEX=false. */
  statusIndexName: 'status_index_name',
} as const;

/**
 * Where the outputs file is written by default (`cdktf output --outputs-file outputs.json`, the local run)
 * and where the ops CLI looks for it, relative to the working directory. Holds an account's resource
 * names: git-ignored.
 */
export const STACK_OUTPUTS_FILE = 'outputs.json';
