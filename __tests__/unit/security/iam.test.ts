import { EVERY_OPTIONAL_FEATURE, removeSynthesizedStacks, statementsOf, synthStack, type ParsedStatement, type TerraformJson } from '../../support/synth';

/**
 * Actions AWS cannot scope to a resource, so `Resource: "*"` is the only way to grant them.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html — DescribeInstances
 * and DescribeImages list no resource types.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html — PutMetricData
 * lists no resource types; the worker's grant is held to its namespace by the `cloudwatch:namespace` condition.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html — ListStreams
 * lists no resource types.
 */
const UNSCOPABLE_ACTIONS = ['ec2:DescribeInstances', 'ec2:DescribeImages', 'cloudwatch:PutMetricData', 'dynamodb:ListStreams'];

/** Resources whose policy is a resource policy: in a KMS key policy `"*"` means "this key", not "everything". */
const KEY_POLICY_TYPES = new Set(['aws_kms_key']);

interface FoundStatement extends ParsedStatement {
  readonly where: string;
}

function allowStatements(json: TerraformJson): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [type, resources] of Object.entries(json.resource)) {
    for (const [name, config] of Object.entries(resources)) {
      for (const attribute of ['policy', 'assume_role_policy', 'inline_policy']) {
        if (typeof config[attribute] !== 'string') continue;
        for (const statement of statementsOf(config[attribute])) {
          if (statement.Effect === 'Allow') found.push({ ...statement, where: `${type}.${name}.${attribute}` });
        }
      }
    }
  }
  return found;
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : [value].flat());

// Every optional feature on, so every policy the product can create is checked.
const configurations = [
  { case: 'defaults', env: {} },
  { case: 'every optional feature', env: EVERY_OPTIONAL_FEATURE },
];

afterAll(removeSynthesizedStacks);

describe.each(configurations)('IAM policies with $case', ({ env }) => {
  const statements = allowStatements(synthStack(env).json);

  it('finds the policies it checks', () => {
    expect(statements.length).toBeGreaterThan(10);
  });

  it('never allows every action, or every action of a service', () => {
    const tooBroad = statements.flatMap(({ where, Action }) =>
      asList(Action).filter((action) => action === '*' || /^[a-z0-9-]+:\*$/.test(action)).map((action) => `${where}: ${action}`),
    );

    expect(tooBroad).toEqual([]);
  });

  it('uses Resource "*" only for actions AWS cannot scope', () => {
    const unscoped = statements
      .filter(({ where }) => !KEY_POLICY_TYPES.has(where.split('.')[0]))
      .filter(({ Resource }) => asList(Resource).includes('*'))
      .flatMap(({ where, Action }) => asList(Action).filter((action) => !UNSCOPABLE_ACTIONS.includes(action)).map((action) => `${where}: ${action}`));

    expect(unscoped).toEqual([]);
  });

  it('holds the metrics grant to the worker namespace', () => {
    const putMetricData = statements.filter(({ Action }) => asList(Action).includes('cloudwatch:PutMetricData'));

    expect(putMetricData.length).toBeGreaterThan(0);
    for (const statement of putMetricData) {
      expect(statement.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'RagPipeline/Worker' } });
    }
  });

  it('grants each unscopable action in its own statement, so nothing rides along on "*"', () => {
    const sharing = statements.filter(
      ({ Action, Resource }) => asList(Resource).includes('*') && asList(Action).some((action) => UNSCOPABLE_ACTIONS.includes(action)) && asList(Action).length > 1,
    );

    expect(sharing).toEqual([]);
  });
});
