import { paginateFilterLogEvents, ResourceNotFoundException, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { BOOT_FAILURES_PREFIX, LOGS_PREFIX } from '../../contracts';
import { UsageError } from '../errors';

/** Instance ids that have logs, from the `logs/<instance-id>/` prefixes. */
export async function listLogInstances(s3: S3Client, bucketName: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucketName, Prefix: LOGS_PREFIX, Delimiter: '/' })) {
    for (const prefix of page.CommonPrefixes ?? []) {
      // logs/boot-failures/ holds the bootstraps' failure markers, not an instance's logs.
      if (prefix.Prefix && prefix.Prefix !== BOOT_FAILURES_PREFIX) ids.push(prefix.Prefix.slice(LOGS_PREFIX.length).replace(/\/$/, ''));
    }
  }
  return ids;
}

export interface LogObject {
  readonly key: string;
  readonly body: string;
}

/** Every log object of one instance, oldest key first. Throws UsageError when it has none. */
export async function readInstanceLogs(s3: S3Client, bucketName: string, instanceId: string): Promise<LogObject[]> {
  const prefix = `${LOGS_PREFIX}${instanceId}/`;
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucketName, Prefix: prefix })) {
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
  }
  if (keys.length === 0) throw new UsageError(`no logs for instance ${instanceId} under s3://${bucketName}/${prefix}`);
  const logs: LogObject[] = [];
  for (const key of keys.sort()) {
    const { Body: body } = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
    logs.push({ key, body: body ? await body.transformToString() : '' });
  }
  return logs;
}

export interface FunctionLogEvent {
  readonly timestamp: number;
  readonly logStreamName: string;
  readonly message: string;
}

/**
 * Every event of a log group from `startTime` on, oldest first, across its streams (FilterLogEvents,
 * paginated). Throws UsageError when the group does not exist.
 */
export async function readLogGroupEvents(logs: CloudWatchLogsClient, logGroupName: string, startTime: number): Promise<FunctionLogEvent[]> {
  const events: FunctionLogEvent[] = [];
  try {
    for await (const page of paginateFilterLogEvents({ client: logs }, { logGroupName, startTime })) {
      for (const event of page.events ?? []) {
        events.push({ timestamp: event.timestamp ?? 0, logStreamName: event.logStreamName ?? '', message: event.message ?? '' });
      }
    }
  } catch (error) {
    if (error instanceof ResourceNotFoundException) throw new UsageError(`no log group ${logGroupName}: ${error.message}`);
    throw error;
  }
  // Stable: events of one millisecond keep the order the service gave them.
  return events.sort((a, b) => a.timestamp - b.timestamp);
}
