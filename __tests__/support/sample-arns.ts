import type { TerraformJson } from './synth';

/** The account every sample ARN uses (AWS's documentation account). */
export const SAMPLE_ACCOUNT = '111122223333';

type SampleArn = (config: Record<string, unknown>, region: string) => string;

/**
 * What each referenced attribute looks like once applied, per the provider's documentation, with the
 * resource's own name where the configuration has one. A reference missing here is reported, not guessed.
 */
const SAMPLE_VALUES: Readonly<Record<string, SampleArn>> = {
  'aws_sqs_queue.arn': (config, region) => `arn:aws:sqs:${region}:${SAMPLE_ACCOUNT}:${String(config.name)}`,
  'aws_dynamodb_table.arn': (config, region) => `arn:aws:dynamodb:${region}:${SAMPLE_ACCOUNT}:table/${String(config.name)}`,
  // A real stream label is an ISO time with colons (2026-01-01T00:00:00.000). parliament splits ARNs on
  // colons and would misread every stream grant; accepting that would hide real findings on the same
  // statement, so the sample label has none.
  'aws_dynamodb_table.stream_arn': (config, region) =>
    `arn:aws:dynamodb:${region}:${SAMPLE_ACCOUNT}:table/${String(config.name)}/stream/2026-01-01T000000.000`,
  'aws_s3_bucket.arn': (config) => `arn:aws:s3:::${String(config.bucket_prefix)}20260101000000000000000001`,
  'aws_subnet.arn': (_config, region) => `arn:aws:ec2:${region}:${SAMPLE_ACCOUNT}:subnet/subnet-0123456789abcdef0`,
  'aws_security_group.arn': (_config, region) => `arn:aws:ec2:${region}:${SAMPLE_ACCOUNT}:security-group/sg-0123456789abcdef0`,
  'aws_iam_role.arn': (config) => `arn:aws:iam::${SAMPLE_ACCOUNT}:role/${String(config.name)}`,
  'aws_iam_instance_profile.arn': (config) => `arn:aws:iam::${SAMPLE_ACCOUNT}:instance-profile/${String(config.name)}`,
  'aws_launch_template.arn': (_config, region) => `arn:aws:ec2:${region}:${SAMPLE_ACCOUNT}:launch-template/lt-0123456789abcdef0`,
  // The provider gives a log group's ARN without the trailing ":*" the API returns.
  'aws_cloudwatch_log_group.arn': (config, region) => `arn:aws:logs:${region}:${SAMPLE_ACCOUNT}:log-group:${String(config.name)}`,
  'aws_key_pair.arn': (config, region) => `arn:aws:ec2:${region}:${SAMPLE_ACCOUNT}:key-pair/${String(config.key_name)}`,
  'aws_cloudwatch_event_bus.arn': (config, region) => `arn:aws:events:${region}:${SAMPLE_ACCOUNT}:event-bus/${String(config.name)}`,
  // A rule on the default bus is `rule/<name>`; on another bus `rule/<bus>/<name>` (a bus of the stack is a
  // reference here; its sample name stands in).
  'aws_cloudwatch_event_rule.arn': (config, region) => {
    const bus = String(config.event_bus_name ?? 'default');
    const busPart = bus === 'default' ? '' : `${bus.startsWith('${') ? 'pipeline-bus' : bus}/`;
    return `arn:aws:events:${region}:${SAMPLE_ACCOUNT}:rule/${busPart}${String(config.name)}`;
  },
};

/**
 * Replaces every Terraform expression in `value` (`${aws_sqs_queue.x.arn}`, the partition, the account
 * taken from an ARN with `element(split(":", …), 4)`) with what it would be after apply. Expressions it
 * cannot map are added to `unmapped` and left in place.
 */
export function withSampleValues(value: string, json: TerraformJson, region: string, unmapped: Set<string>): string {
  return value.replace(/\$\{([^{}]*)\}/g, (whole, expression: string) => {
    const sample = sampleOf(expression.trim(), json, region);
    if (sample === undefined) unmapped.add(whole);
    return sample ?? whole;
  });
}

function sampleOf(expression: string, json: TerraformJson, region: string): string | undefined {
  if (/^data\.aws_partition\.[\w-]+\.partition$/.test(expression)) return 'aws';
  const account = /^element\(split\(":", (.+)\), 4\)$/.exec(expression);
  if (account) return sampleOf(account[1], json, region) === undefined ? undefined : SAMPLE_ACCOUNT;
  const reference = /^([a-z0-9_]+)\.([\w-]+)\.([a-z_]+)$/.exec(expression);
  if (!reference) return undefined;
  const [, type, name, attribute] = reference;
  const config = json.resource[type]?.[name];
  const sample = SAMPLE_VALUES[`${type}.${attribute}`];
  return config && sample ? sample(config, region) : undefined;
}

/** Deep copy of a decoded policy document with every string passed through {@link withSampleValues}. */
export function documentWithSampleValues<T>(document: T, json: TerraformJson, region: string, unmapped: Set<string>): T {
  if (typeof document === 'string') return withSampleValues(document, json, region, unmapped) as T;
  if (Array.isArray(document)) return document.map((item) => documentWithSampleValues(item, json, region, unmapped)) as T;
  if (typeof document === 'object' && document !== null) {
    return Object.fromEntries(
      Object.entries(document).map(([key, item]) => [key, documentWithSampleValues(item, json, region, unmapped)]),
    ) as T;
  }
  return document;
}
