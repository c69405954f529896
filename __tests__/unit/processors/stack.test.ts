import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { COPY_ONLY_CATALOG, OptionalOrchestratorEnv, PROCESSOR_CATALOG_KEY, ProcessorType, type ProcessorCatalog } from '../../../contracts';
import { resolveCatalog } from '../../../runtime/processors/catalog';
import { onlyResource, refTo, removeSynthesizedStacks, resourcesOf, statementsOf, synthStack, type TerraformJson } from '../../support/synth';

// Needs the built bundles (npm test builds first).
const renamedDefault: ProcessorCatalog = {
  ...COPY_ONLY_CATALOG,
  defaultProcessor: 'mirror',
  processors: { ...COPY_ONLY_CATALOG.processors, mirror: { type: ProcessorType.copy } },
};
const withChunk = resolveCatalog({ processors: { rag: { type: ProcessorType.chunk, maxTokens: 256 } } });
const withCommand: ProcessorCatalog = resolveCatalog({ processors: { sum: { type: 'command', command: ['sha256sum', '{input}'] } } });
const copyOnly = synthStack({}, { processors: COPY_ONLY_CATALOG }).json;
const configured = synthStack({}, { processors: renamedDefault }).json;
const chunking = synthStack({}, { processors: withChunk }).json;
const setupScript = path.join(mkdtempSync(path.join(tmpdir(), 'setup-script-')), 'install.sh');
writeFileSync(setupScript, '#!/bin/bash\necho installing\n');
const commanded = synthStack({}, { processors: withCommand, setup: { scriptPath: setupScript, timeoutSeconds: 900 } }).json;

afterAll(removeSynthesizedStacks);

const lambdaEnvironment = (stack: TerraformJson) =>
  (onlyResource(stack, 'aws_lambda_function').config.environment as { variables: Record<string, string> }).variables;
const catalogObjects = (stack: TerraformJson) =>
  resourcesOf(stack, 'aws_s3_object')
    .map(([, config]) => config)
    .filter((config) => config.key === PROCESSOR_CATALOG_KEY);
const workerStatements = (stack: TerraformJson) =>
  statementsOf(
    onlyResource(stack, 'aws_iam_role_policy', (config) => config.role === refTo(stack, 'aws_iam_role', 'id', (role) => role.name === 'rag-pipeline-dev-worker'))
      .config.policy,
  );

describe('the processor catalog in the stack', () => {
  it('adds nothing when only copy is configured: no catalog object, no grant, no variable', () => {
    expect(catalogObjects(copyOnly)).toEqual([]);
    expect(lambdaEnvironment(copyOnly)).not.toHaveProperty(OptionalOrchestratorEnv.processorCatalogKey);
    expect(JSON.stringify(workerStatements(copyOnly))).not.toContain(PROCESSOR_CATALOG_KEY);
  });

  it('uploads the catalog as JSON content, so a change reads as such in cdktf diff', () => {
    const [catalog] = catalogObjects(configured);

    expect(catalogObjects(configured)).toHaveLength(1);
    expect(JSON.parse(catalog.content as string)).toEqual(renamedDefault);
    expect(catalog.content_type).toBe('application/json');
  });

  it('tells the orchestrator where the catalog is, to pass on to workers', () => {
    expect(lambdaEnvironment(configured)[OptionalOrchestratorEnv.processorCatalogKey]).toBe(PROCESSOR_CATALOG_KEY);
  });

  it('lets workers read the catalog object and nothing else more', () => {
    const bucketArn = refTo(configured, 'aws_s3_bucket', 'arn');
    const added = workerStatements(configured).filter(
      (statement) => !workerStatements(copyOnly).some((existing) => JSON.stringify(existing) === JSON.stringify(statement)),
    );

    expect(added.map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      { Action: ['s3:GetObject'], Resource: [`${bucketArn}/${PROCESSOR_CATALOG_KEY}`] },
    ]);
  });

  it('gives a chunk processor its settings, defaults filled, and workers no grant beyond the catalog: chunk reads inputs and writes outputs as copy does', () => {
    const [catalog] = catalogObjects(chunking);

    expect(JSON.parse(catalog.content as string).processors.rag).toEqual({
      type: 'chunk',
      maxTokens: 256,
      overlapTokens: 64,
      encoding: 'cl100k_base',
      maxInputBytes: 33554432,
    });
    expect(workerStatements(chunking)).toEqual(workerStatements(configured));
  });

  it('lets workers of a command processor list and delete under data/output/ only, to replace a rerun\'s outputs', () => {
    const bucketArn = refTo(commanded, 'aws_s3_bucket', 'arn');
    const added = workerStatements(commanded).filter(
      (statement) => !workerStatements(configured).some((existing) => JSON.stringify(existing) === JSON.stringify(statement)),
    );

    expect(added.map(({ Action, Resource, Condition }) => ({ Action, Resource, Condition }))).toEqual([
      { Action: ['s3:GetObject'], Resource: [`${bucketArn}/worker/setup`], Condition: undefined },
      { Action: ['s3:ListBucket'], Resource: [bucketArn], Condition: { StringLike: { 's3:prefix': ['data/output/*'] } } },
      { Action: ['s3:DeleteObject'], Resource: [`${bucketArn}/data/output/*`], Condition: undefined },
    ]);
  });
});

describe('the worker setup script in the stack', () => {
  const setupObjects = (stack: TerraformJson) =>
    resourcesOf(stack, 'aws_s3_object')
      .map(([, config]) => config)
      .filter((config) => config.key === 'worker/setup');

  it('is uploaded from its file with a hash of its content, so an edit shows in cdktf diff', () => {
    const [object] = setupObjects(commanded);

    expect(setupObjects(commanded)).toHaveLength(1);
    expect(object.source).toMatch(/worker-setup-script/);
    expect(object.source_hash).toMatch(/^[0-9A-F]{32}$/i);
  });

  it('is passed to the orchestrator with its timeout, for the workers it launches', () => {
    expect(lambdaEnvironment(commanded)).toMatchObject({ [OptionalOrchestratorEnv.workerSetupKey]: 'worker/setup', [OptionalOrchestratorEnv.workerSetupTimeoutSeconds]: '900' });
  });

  it('adds nothing when none is configured', () => {
    expect(setupObjects(configured)).toEqual([]);
    expect(lambdaEnvironment(configured)).not.toHaveProperty(OptionalOrchestratorEnv.workerSetupKey);
  });
});
