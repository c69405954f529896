import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { describeImage, readParameter } from './effects';
import { checkImage, type ImageVerdict } from './image';

const SSM_PREFIX = 'resolve:ssm:';
const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

/** Turns the EC2_AMI_ID setting into a checked image. */
export interface ImageResolver {
  resolve(setting: string): Promise<ImageVerdict>;
}

/**
 * Resolves `resolve:ssm:<parameter>` with ssm:GetParameters on every call, so overlapping runs agree on the
 * image as soon as the parameter changes (a per-container copy would let two containers launch different
 * images, with different client tokens). The DescribeImages check is cached per image ID for the
 * container's life: an image's owner and architecture never change. Answers that can change (an image not
 * visible yet, still pending) are not cached. Images of `ownAccount` pass the owner check (checkImage).
 */
export function createImageResolver(clients: { readonly ec2: EC2Client; readonly ssm: SSMClient }, region: string, ownAccount?: string): ImageResolver {
  const checked = new Map<string, ImageVerdict>();
  return {
    async resolve(setting) {
      let imageId = setting;
      if (setting.startsWith(SSM_PREFIX)) {
        const parameter = setting.slice(SSM_PREFIX.length);
        const value = await readParameter(clients.ssm, parameter);
        if (value === undefined) {
          return { verdict: 'refused', imageId: setting, problems: [`the SSM parameter ${parameter} does not exist in ${region}`], lasting: false };
        }
        if (!AMI_ID.test(value)) {
          return { verdict: 'refused', imageId: setting, problems: [`the SSM parameter ${parameter} holds "${value}", not an AMI ID`], lasting: false };
        }
        imageId = value;
      }
      const cached = checked.get(imageId);
      if (cached) return cached;
      const verdict = checkImage(imageId, await describeImage(clients.ec2, imageId), region, ownAccount);
      if (verdict.verdict === 'accepted' || verdict.lasting) checked.set(imageId, verdict);
      return verdict;
    },
  };
}
