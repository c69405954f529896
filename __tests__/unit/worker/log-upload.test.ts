import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { logObjectKey, uploadLog } from '../../../worker/log-upload';
import { createFileLogger } from '../../../worker/logger';

const s3Mock = mockClient(S3Client);

beforeEach(() => s3Mock.reset());

describe('logObjectKey', () => {
  it('puts the log under logs/<instance-id>/ with the time and the reason', () => {
    const key = logObjectKey({ instanceId: 'i-0abc', reason: 'idle', now: new Date('2026-11-25T16:05:09.123Z') });

    expect(key).toBe('logs/i-0abc/2026-11-25T16-05-09-123Z-idle.log');
  });
});

describe('uploadLog', () => {
  it('uploads the whole log file', async () => {
    const logPath = path.join(mkdtempSync(path.join(tmpdir(), 'worker-log-')), 'sqs_worker.logs');
    writeFileSync(logPath, '{"event":"bootstrap"}\n{"event":"worker_idle"}\n');
    s3Mock.on(PutObjectCommand).resolves({});

    const key = await uploadLog(new S3Client({ region: 'us-east-1' }), {
      bucketName: 'bucket',
      instanceId: 'i-0abc',
      logPath,
      reason: 'signal',
      now: new Date('2026-11-25T16:05:09.123Z'),
    });

    expect(key).toBe('logs/i-0abc/2026-11-25T16-05-09-123Z-signal.log');
    const input = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(input).toMatchObject({ Bucket: 'bucket', Key: key });
    expect(Buffer.from(input.Body as Uint8Array).toString()).toBe('{"event":"bootstrap"}\n{"event":"worker_idle"}\n');
  });
});

describe('createFileLogger', () => {
  it('appends one JSON object per line, on disk as soon as it is logged', () => {
    const logPath = path.join(mkdtempSync(path.join(tmpdir(), 'worker-log-')), 'nested', 'sqs_worker.logs');

    const logger = createFileLogger(logPath, 'i-0abc');
    logger.info({ event: 'processing_started', item_id: 'a' });
    logger.warn({ event: 'item_failed', item_id: 'b', reason: 'access denied' });

    const lines = readFileSync(logPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        event: 'processing_started',
        item_id: 'a',
        instance_id: 'i-0abc',
        time: expect.any(String),
      }),
      expect.objectContaining({ level: 'warn', event: 'item_failed', item_id: 'b', reason: 'access denied' }),
    ]);
  });
});
