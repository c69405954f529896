/**
 * Names AWS refuses at apply although they pass every pattern Terraform checks. Each function returns
 * why AWS refuses the name, or undefined when AWS accepts it.
 */

/**
 * S3 reserves these starts and ends for its own features (Punycode, S3 Access Points, documentation
 * examples, Object Lambda, directory and table buckets).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'] as const;
const RESERVED_BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '--x-s3', '--table-s3'] as const;

export function bucketNameRefusal(name: string): string | undefined {
  const prefix = RESERVED_BUCKET_PREFIXES.find((reserved) => name.startsWith(reserved));
  if (prefix) return `S3 refuses bucket names starting with "${prefix}"`;
  const suffix = RESERVED_BUCKET_SUFFIXES.find((reserved) => name.endsWith(reserved));
  if (suffix) return `S3 refuses bucket names ending with "${suffix}"`;
  return undefined;
}

/**
 * "Constraints: … Cannot start with sg-" (CreateSecurityGroup, GroupName).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
 */
export function securityGroupNameRefusal(name: string): string | undefined {
  return name.toLowerCase().startsWith('sg-') ? 'EC2 refuses security group names starting with "sg-"' : undefined;
}

/**
 * The shape of the bucket names Terraform generates from a `bucket_prefix`: the prefix, then a 26-digit
 * unique suffix. A refused ending therefore cannot occur today; checking the whole shape keeps the rule
 * true if the naming changes.
 */
export function generatedBucketName(bucketPrefix: string): string {
  return `${bucketPrefix}${'0'.repeat(26)}`;
}
