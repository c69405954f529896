import {
  CreateFleetCommand,
  DescribeImagesCommand,
  paginateDescribeInstances,
  type CreateFleetCommandInput,
  type EC2Client,
  type Image,
} from '@aws-sdk/client-ec2';
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { WORKER_LAUNCH_TOKEN_TAG_KEY, WORKER_SLOT_TAG_KEY } from '../../contracts';
import { markersStartAfter, parseMarkerKey, type Marker } from './markers';
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
          // A fleet's instance does not carry the request's token as its own ClientToken: the launch tags it.
          clientToken: instance.Tags?.find((tag) => tag.Key === WORKER_LAUNCH_TOKEN_TAG_KEY)?.Value || instance.ClientToken || undefined,
        });
      }
    }
  }
  return workers;
}

/** An instance a CreateFleet call launched (or, for a repeated client token, launched before). */
export interface FleetInstance {
  readonly instanceId: string;
  readonly instanceType?: string;
  readonly subnetId?: string;
  /** `spot` or `on-demand`. */
  readonly capacityType?: string;
}

/** One pool a CreateFleet call could not launch in, as its response lists it. */
export interface FleetError {
  readonly code: string;
  readonly message: string;
  readonly instanceType?: string;
  readonly subnetId?: string;
  readonly capacityType?: string;
}

/** What one instant CreateFleet call answered: the instances it launched and the errors of the pools that failed. */
export interface FleetResult {
  readonly fleetId?: string;
  readonly instances: readonly FleetInstance[];
  readonly errors: readonly FleetError[];
}

/**
 * One instant CreateFleet call. An instant fleet answers synchronously: some instances, some errors (one per pool
 * that failed), or both. Errors of the whole call (permissions, throttling, a bad parameter) are thrown.
 */
export async function launchFleet(ec2: EC2Client, input: CreateFleetCommandInput, abortSignal?: AbortSignal): Promise<FleetResult> {
  const output = await ec2.send(new CreateFleetCommand(input), { abortSignal });
  return {
    fleetId: output.FleetId,
    instances: (output.Instances ?? []).flatMap((launched) =>
      (launched.InstanceIds ?? []).map((instanceId) => ({
        instanceId,
        instanceType: launched.InstanceType,
        subnetId: launched.LaunchTemplateAndOverrides?.Overrides?.SubnetId,
        capacityType: launched.Lifecycle,
      })),
    ),
    errors: (output.Errors ?? []).map((error) => ({
      code: error.ErrorCode ?? 'UnknownFleetError',
      message: error.ErrorMessage ?? '',
      instanceType: error.LaunchTemplateAndOverrides?.Overrides?.InstanceType,
      subnetId: error.LaunchTemplateAndOverrides?.Overrides?.SubnetId,
      capacityType: error.Lifecycle,
    })),
  };
}

/**
 * The markers under `prefix` written since `sinceMs` (boot failures, interruptions). StartAfter skips the older
 * ones, since the keys sort by time; keys that are not markers are left out.
 */
export async function listMarkers(s3: S3Client, bucket: string, prefix: string, sinceMs: number): Promise<Marker[]> {
  const markers: Marker[] = [];
  const pages = paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix, StartAfter: markersStartAfter(prefix, sinceMs) });
  for await (const page of pages) {
    for (const object of page.Contents ?? []) {
      const marker = object.Key === undefined ? undefined : parseMarkerKey(prefix, object.Key);
      if (marker && marker.atMs >= sinceMs) markers.push(marker);
    }
  }
  return markers;
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
