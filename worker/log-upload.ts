import { readFile } from 'node:fs/promises';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LOGS_PREFIX } from '../contracts';

export interface LogUpload {
  readonly bucketName: string;
  readonly instanceId: string;
  readonly logPath: string;
  /** Why the worker is exiting (idle, signal, crash); part of the object name. */
  readonly reason: string;
  readonly now: Date;
}

/** `logs/<instance-id>/<time>-<reason>.log`: unique per exit, sorted by time within an instance. */
export function logObjectKey(upload: Pick<LogUpload, 'instanceId' | 'reason' | 'now'>): string {
  const stamp = upload.now.toISOString().replace(/[:.]/g, '-');
  return `${LOGS_PREFIX}${upload.instanceId}/${stamp}-${upload.reason}.log`;
}

/** Uploads the whole log file (the bootstrap's lines included) and returns the object key. */
export async function uploadLog(s3: S3Client, upload: LogUpload, abortSignal?: AbortSignal): Promise<string> {
  const key = logObjectKey(upload);
  await s3.send(
    new PutObjectCommand({
      Bucket: upload.bucketName,
      Key: key,
      Body: await readFile(upload.logPath),
      ContentType: 'application/x-ndjson',
    }),
    { abortSignal },
  );
  return key;
}
