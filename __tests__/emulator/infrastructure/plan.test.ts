import { readFileSync } from 'node:fs';
import { EVERY_OPTIONAL_FEATURE, offlinePlan, removeSynthesizedStacks, synthStack, type OfflinePlan } from '../../support/synth';

// terraform init + validate + plan of the whole stack, offline: fake credentials and the provider's skip
// flags come from the test-only override next to cdk.tf.json; the provider from the local mirror. The plan of
// each configuration is made once per jest run and shared with the checkov gate (support/synth.ts).
const TERRAFORM_TIMEOUT_MS = 240_000;

interface PlannedChange {
  readonly type: string;
  readonly mode: string;
  readonly change: { readonly actions: readonly string[] };
}

interface PlannedConfiguration {
  readonly address: string;
  readonly type: string;
  readonly depends_on?: readonly string[];
  readonly provisioners?: ReadonlyArray<{ type: string; when?: string; expressions: { command?: { constant_value?: string } } }>;
  readonly expressions: Record<string, { references?: readonly string[] }>;
}

interface PlanJson {
  readonly resource_changes: PlannedChange[];
  readonly configuration: { readonly root_module: { readonly resources: PlannedConfiguration[] } };
}

const readPlan = (offline: OfflinePlan) => JSON.parse(readFileSync(offline.planJsonFile, 'utf8')) as PlanJson;

let offline: OfflinePlan;
let plan: PlanJson;

beforeAll(async () => {
  offline = await offlinePlan(synthStack());
  plan = readPlan(offline);
}, TERRAFORM_TIMEOUT_MS);

afterAll(removeSynthesizedStacks);

it('is valid Terraform for hashicorp/aws 5.100.0', () => {
  expect(offline.validate).toMatchObject({ valid: true, error_count: 0, warning_count: 0 });
});

it('plans offline to create every resource of the pipeline', () => {
  const changes = plan.resource_changes.filter(({ mode }) => mode === 'managed');
  const created: Record<string, number> = {};
  for (const { type, change } of changes) {
    expect(change.actions).toEqual(['create']);
    created[type] = (created[type] ?? 0) + 1;
  }

  expect(created).toEqual({
    aws_cloudwatch_dashboard: 1,
    aws_cloudwatch_event_rule: 2,
    aws_cloudwatch_event_target: 2,
    aws_cloudwatch_log_group: 1,
    aws_cloudwatch_metric_alarm: 12,
    aws_default_security_group: 1,
    aws_dynamodb_table: 1,
    aws_iam_instance_profile: 1,
    aws_iam_role: 4,
    aws_iam_role_policy: 4,
    aws_iam_role_policy_attachment: 1,
    aws_internet_gateway: 1,
    aws_lambda_event_source_mapping: 1,
    aws_lambda_function: 1,
    aws_lambda_function_event_invoke_config: 1,
    aws_lambda_permission: 1,
    aws_launch_template: 1,
    aws_pipes_pipe: 2,
    aws_route: 1,
    aws_route_table: 1,
    aws_route_table_association: 3,
    aws_s3_bucket: 1,
    aws_s3_bucket_lifecycle_configuration: 1,
    aws_s3_bucket_notification: 1,
    aws_s3_bucket_ownership_controls: 1,
    aws_s3_bucket_policy: 1,
    aws_s3_bucket_public_access_block: 1,
    aws_s3_bucket_server_side_encryption_configuration: 1,
    aws_s3_bucket_versioning: 1,
    aws_s3_object: 2,
    aws_security_group: 1,
    aws_sqs_queue: 5,
    aws_sqs_queue_policy: 1,
    aws_subnet: 3,
    aws_vpc: 1,
    aws_vpc_endpoint: 2,
    aws_vpc_security_group_egress_rule: 1,
    terraform_data: 2,
  });
});

// hashicorp/terraform-provider-aws#40572: a pipe created in the same apply as its role policy cannot read
// its stream yet. The plan Terraform will execute must order role policy → wait → pipe for each pipe, and the
// wait must run only at creation.
it('plans each pipe after a create-time wait of its own that follows its role policy', () => {
  const configured = (type: string, where: (resource: PlannedConfiguration) => boolean) => {
    const matches = plan.configuration.root_module.resources.filter((resource) => resource.type === type && where(resource));
    expect(matches).toHaveLength(1);
    return matches[0];
  };
  const pipes = plan.configuration.root_module.resources.filter((resource) => resource.type === 'aws_pipes_pipe');
  expect(pipes).toHaveLength(2);
  const waits = new Set<string>();
  for (const pipe of pipes) {
    const wait = configured('terraform_data', (resource) => pipe.depends_on?.includes(resource.address) ?? false);
    const pipeRole = pipe.expressions.role_arn.references!.find((reference) => /^aws_iam_role\.[^.]+$/.test(reference))!;
    const rolePolicy = configured('aws_iam_role_policy', (resource) => resource.expressions.role.references!.includes(pipeRole));

    expect(pipe.depends_on).toEqual([wait.address]);
    expect(wait.depends_on).toEqual([rolePolicy.address]);
    // No `when`: a creation-time provisioner, which Terraform runs only when it creates the resource.
    expect(wait.provisioners).toEqual([{ type: 'local-exec', expressions: { command: { constant_value: 'sleep 180' } } }]);
    expect(wait.expressions.triggers_replace.references).toEqual([
      `${pipeRole}.unique_id`,
      pipeRole,
      expect.stringMatching(/^aws_dynamodb_table\.[^.]+\.stream_arn$/),
      expect.stringMatching(/^aws_dynamodb_table\.[^.]+$/),
    ]);
    waits.add(wait.address);
  }
  expect(waits.size).toBe(2);
});

describe('with every optional feature configured', () => {
  let full: OfflinePlan;

  beforeAll(async () => {
    full = await offlinePlan(synthStack(EVERY_OPTIONAL_FEATURE));
  }, TERRAFORM_TIMEOUT_MS);

  it('is valid Terraform as well', () => {
    expect(full.validate).toMatchObject({ valid: true, error_count: 0, warning_count: 0 });
  });

  it('plans the alarm topic with its key, the key pair, the SSH rule, the event bus and the outcome queue as well', () => {
    const planned = readPlan(full)
      .resource_changes.filter(({ change }) => change.actions.length === 1 && change.actions[0] === 'create')
      .map(({ type }) => type);

    expect(planned).toEqual(
      expect.arrayContaining([
        'aws_kms_key',
        'aws_kms_alias',
        'aws_sns_topic',
        'aws_sns_topic_subscription',
        'aws_key_pair',
        'aws_vpc_security_group_ingress_rule',
        'aws_cloudwatch_event_bus',
        'aws_cloudwatch_event_bus_policy',
      ]),
    );
    expect(planned.filter((type) => type === 'aws_sqs_queue')).toHaveLength(7);
    expect(planned).toHaveLength(87);
  });
});
