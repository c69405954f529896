import { STATUS_INDEX_NAME } from '../../../contracts';
import { StackOutput } from '../../../contracts/outputs';
import { outputsFileContent } from '../../../local/cli/progress';
import { UsageError } from '../../../ops/errors';
import { parseStackOutputs } from '../../../ops/outputs';

const OUTPUTS = {
  [StackOutput.tableName]: 'items',
  [StackOutput.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/work',
  [StackOutput.dlqUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/work-dlq',
  [StackOutput.bucketName]: 'pipeline-bucket',
  [StackOutput.region]: 'us-east-1',
  vpc_id: 'vpc-1',
};
const WITHOUT_REGION = Object.fromEntries(Object.entries(OUTPUTS).filter(([name]) => name !== StackOutput.region));
const EXPECTED = {
  tableName: 'items',
  queueUrl: OUTPUTS[StackOutput.queueUrl],
  dlqUrl: OUTPUTS[StackOutput.dlqUrl],
  bucketName: 'pipeline-bucket',
  region: 'us-east-1',
  // Files written before the output existed come from stacks that all had the index.
  statusIndexName: STATUS_INDEX_NAME,
};

describe('parseStackOutputs', () => {
  it.each([
    { case: 'cdktf nested shape, one stack', file: { 'rag-pipeline': OUTPUTS }, stack: undefined },
    { case: 'flat shape', file: OUTPUTS, stack: undefined },
    { case: 'nested shape, stack chosen among several', file: { a: OUTPUTS, b: { ...OUTPUTS, table_name: 'other' } }, stack: 'a' },
  ])('reads the $case', ({ file, stack }) => {
    expect(parseStackOutputs(JSON.stringify(file), 'outputs.json', stack)).toEqual(EXPECTED);
  });

  it("reads the orchestrator's log group when the stack outputs it, and leaves it undefined in older files", () => {
    const withLogGroup = { ...OUTPUTS, [StackOutput.lambdaLogGroupName]: '/aws/lambda/rag-pipeline-dev-orchestrator' };

    expect(parseStackOutputs(JSON.stringify(withLogGroup), 'f.json').lambdaLogGroupName).toBe('/aws/lambda/rag-pipeline-dev-orchestrator');
    expect(parseStackOutputs(JSON.stringify(OUTPUTS), 'f.json').lambdaLogGroupName).toBeUndefined();
  });

  it('reads the event bus and the outcome queue when the stack has them', () => {
    const withEvents = { ...OUTPUTS, [StackOutput.eventBusName]: 'default', [StackOutput.eventsQueueUrl]: 'https://sqs/outcomes' };

    expect(parseStackOutputs(JSON.stringify(withEvents), 'f.json')).toMatchObject({ eventBusName: 'default', eventsQueueUrl: 'https://sqs/outcomes' });
    expect(parseStackOutputs(JSON.stringify(OUTPUTS), 'f.json').eventsQueueUrl).toBeUndefined();
  });

  it('reads the status index, and no index when the stack has none (an empty output)', () => {
    const withIndex = { ...OUTPUTS, [StackOutput.statusIndexName]: 'status-index' };
    const withoutIndex = { ...OUTPUTS, [StackOutput.statusIndexName]: '' };

    expect(parseStackOutputs(JSON.stringify(withIndex), 'f.json').statusIndexName).toBe('status-index');
    expect(parseStackOutputs(JSON.stringify(withoutIndex), 'f.json').statusIndexName).toBeUndefined();
  });

  it('leaves the region undefined when the stack does not output it', () => {
    expect(parseStackOutputs(JSON.stringify(WITHOUT_REGION), 'f.json').region).toBeUndefined();
  });

  it("reads the local run's file: its stack plus top-level endpoint and region", () => {
    const file = { endpoint: 'http://127.0.0.1:5000', region: 'eu-west-1', 'rag-pipeline': WITHOUT_REGION };
    expect(parseStackOutputs(JSON.stringify(file), 'f.json')).toEqual({
      ...EXPECTED,
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:5000',
    });
  });

  it("reads exactly what the local run's --outputs-file writes", () => {
    const text = outputsFileContent('rag-pipeline', 'http://127.0.0.1:5000', 'us-east-1', OUTPUTS);

    expect(parseStackOutputs(text, 'f.json')).toEqual({ ...EXPECTED, endpoint: 'http://127.0.0.1:5000' });
  });

  it.each([
    { case: 'not JSON', text: '{nope', message: /f\.json is not valid JSON/ },
    { case: 'an array', text: '[]', message: /must hold a JSON object/ },
    { case: 'no outputs at all', text: '{}', message: /neither stack outputs nor a "table_name" output/ },
    { case: 'several stacks and no --stack', text: JSON.stringify({ a: OUTPUTS, b: OUTPUTS }), message: /several stacks \(a, b\): choose one with --stack/ },
    {
      case: 'missing outputs',
      text: JSON.stringify({ s: { table_name: 'items', vpc_id: 'v' } }),
      message: /has no queue_url, dlq_url, bucket_name output \(found: table_name, vpc_id\)/,
    },
    { case: 'an empty output value', text: JSON.stringify({ ...OUTPUTS, bucket_name: '' }), message: /has no bucket_name output/ },
  ])('refuses $case, naming the file', ({ text, message }) => {
    expect(() => parseStackOutputs(text, 'f.json')).toThrow(UsageError);
    expect(() => parseStackOutputs(text, 'f.json')).toThrow(message);
  });

  it('names the missing stack and the ones present', () => {
    expect(() => parseStackOutputs(JSON.stringify({ a: OUTPUTS }), 'f.json', 'prod')).toThrow(
      'outputs file f.json has no stack "prod" (stacks: a)',
    );
  });
});
