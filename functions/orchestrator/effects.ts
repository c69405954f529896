import {
  DescribeImagesCommand,
  paginateDescribeInstances,
  RunInstancesCommand,
  type EC2Client,
  type Image,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { BOOT_FAILURES_PREFIX, WORKER_SLOT_TAG_KEY } from '../../contracts';
import { bootFailuresStartAfter, parseBootFailureKey, type BootFailure } from './boot-backoff';
import { parseSlot, type WorkerInstance } from './slots';

const DESCRIBE_PAGE_SIZE = 100;

/**
 * Every instance carrying the worker tag, in every state, across every page. Terminated and shutting-down
 * instances are listed too (for about an hour after termination): their client tokens are used up.
 */
export async function listWorkers(ec2: EC2Client, tag: { readonly key: string; readonly value: string }): Promise<WorkerInstance[]> {
  const workers: WorkerInstance[] = [];
  const pages = paginateDescribeInstances(
    { client: ec2, pageSize: DESCRIBE_PAGE_SIZE },
    { Filters: [{ Name: `tag:${tag.key}`, Values: [tag.value] }] },
  );
  for await (const page of pages) {
    for (const reservation of page.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        if (!instance.InstanceId) continue;
        workers.push({
          instanceId: instance.InstanceId,
          state: instance.State?.Name ?? 'unknown',
          slot: parseSlot(instance.Tags?.find((tag) => tag.Key === WORKER_SLOT_TAG_KEY)?.Value),
          clientToken: instance.ClientToken || undefined,
        });
      }
    }
  }
  return workers;
}

/** The instance RunInstances returned: new, or the one an earlier request with the same token launched. */
export interface LaunchedInstance {
  readonly instanceId: string;
  readonly state: string;
}

/** Launches one instance (or gets back the one its client token already launched). */
export async function launchInstance(ec2: EC2Client, input: RunInstancesCommandInput): Promise<LaunchedInstance> {
  const { Instances: instances = [] } = await ec2.send(new RunInstancesCommand(input));
  const instance = instances[0];
  if (!instance?.InstanceId) throw new Error(`RunInstances (client token ${input.ClientToken}) returned no instance`);
  return { instanceId: instance.InstanceId, state: instance.State?.Name ?? 'pending' };
}

/**
 * The boot-failure markers written since `sinceMs`. StartAfter skips the older ones, since the keys sort by
 * time; keys that are not markers are left out.
 */
export async function listBootFailures(s3: S3Client, bucket: string, sinceMs: number): Promise<BootFailure[]> {
  const failures: BootFailure[] = [];
  const pages = paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: BOOT_FAILURES_PREFIX, StartAfter: bootFailuresStartAfter(sinceMs) },
  );
  for await (const page of pages) {
    for (const object of page.Contents ?? []) {
      const failure = object.Key === undefined ? undefined : parseBootFailureKey(object.Key);
      if (failure && failure.failedAtMs >= sinceMs) failures.push(failure);
    }
  }
  return failures;
}

/** An SSM parameter's value; undefined when the parameter does not exist (GetParameters lists it as invalid). */
export async function readParameter(ssm: SSMClient, name: string): Promise<string | undefined> {
  const { Parameters: parameters = [] } = await ssm.send(new GetParametersCommand({ Names: [name] }));
  return parameters[0]?.Value;
}

/** The image's description; undefined when DescribeImages does not return it. */
export async function describeImage(ec2: EC2Client, imageId: string): Promise<Image | undefined> {
  try {
    const { Images: images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    return images.find((image) => image.ImageId === imageId);
  } catch (error) {
    // "The image id '[ami-…]' does not exist" for an unknown or deregistered ID.
    if (error instanceof Error && error.name === 'InvalidAMIID.NotFound') return undefined;
    throw error;
  }
}
