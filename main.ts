import * as path from 'node:path';
import { Construct } from 'constructs';
import { App, LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import {
  ItemStatus,
  NODE_RUNTIME_ARCHIVE_DIR,
  NODE_RUNTIME_ARCHIVE_NAME,
  COPY_ONLY_CATALOG,
  OptionalOrchestratorEnv,
  OrchestratorEnv,
  OUTCOME_STATUSES,
  type ProcessorCatalog,
  StackOutput,
  type StackOutputKey,
  WORKER_TAG,
} from './contracts';
import { loadCapacity, type CapacitySettings } from './config/capacity';
import { loadProcessorCatalog } from './config/processors';
import { loadWorkerSetup, type WorkerSetup } from './config/worker-setup';
import { loadSettings, type PipelineSettings } from './config/settings';
import { PipelineAlarms } from './modules/alarms';
import { PipelineDashboard } from './modules/dashboard';
import { ItemsTable } from './modules/dynamodb';
import { WorkerLaunch } from './modules/ec2';
import { ItemsPipe } from './modules/eventbridge';
import { OrchestratorSchedule } from './modules/eventbridge_lambda';
import { ItemEvents } from './modules/events';
import { ORCHESTRATOR_TIMEOUT_SECONDS, Orchestrator, recommendedTriggerVisibilitySeconds } from './modules/lambda';
import { PipelineBucket } from './modules/s3';
import { accountOf } from './modules/shared/arn';
import { WorkQueue } from './modules/sqs';
import { OutcomeSubscriber } from './modules/subscriber';
import { Network } from './modules/vpc';
import { WakeQueue } from './modules/wake';
import pipelineConfig from './pipeline.config';
import { ConfigError } from './runtime/env';

export const STACK_NAME = 'rag-pipeline';

/** The built bundles the stack packages; `npm run build` writes them. */
export const ORCHESTRATOR_CODE_DIR = path.join(__dirname, 'dist', 'orchestrator');
export const WORKER_BUNDLE_PATH = path.join(__dirname, 'dist', 'worker', 'worker.js');
/** The pinned Node.js runtime the workers boot with; `npm run build` packs it. */
export const NODE_RUNTIME_ARCHIVE_PATH = path.join(__dirname, NODE_RUNTIME_ARCHIVE_DIR, NODE_RUNTIME_ARCHIVE_NAME);

/** What pipeline.config.ts configures, loaded and checked (config/). */
export interface PipelineStackOptions {
  /** The deployment's processor catalog (config/processors.ts). @default only `copy` */
  readonly processors?: ProcessorCatalog;
  /** What workers run on (config/capacity.ts). @default t3.micro on-demand, Canonical's Ubuntu 24.04 */
  readonly capacity?: CapacitySettings;
  /** The worker setup script (config/worker-setup.ts). @default none */
  readonly setup?: WorkerSetup;
}

/**
 * DynamoDB row → EventBridge Pipe (PENDING only) → SQS → Lambda orchestrator (on a schedule, and woken by the
 * item events) → EC2 worker running each row's processor, with the bucket it reads and writes, the network it
 * runs in and the alarms that watch it all. The table's stream has two readers: the pipe to the queue and the
 * pipe to the event bus.
 */
export class PipelineStack extends TerraformStack {
  /** `options`: what pipeline.config.ts configures, each part defaulting as {@link PipelineStackOptions} says. */
  constructor(scope: Construct, id: string, settings: PipelineSettings, options: PipelineStackOptions = {}) {
    super(scope, id);
    const processors = options.processors ?? COPY_ONLY_CATALOG;
    const capacity = options.capacity ?? loadCapacity(undefined, {}, settings.region);
    const setup = options.setup;
    configureBackend(this, settings);
    new AwsProvider(this, 'aws', { region: settings.region, defaultTags: [{ tags: { ...settings.defaultTags } }] });
    const partition = new DataAwsPartition(this, 'partition').partition;
    const { baseName } = settings;

    const network = new Network(this, 'vpc', {
      baseName,
      region: settings.region,
      vpcCidr: settings.vpcCidr,
      subnets: settings.subnets,
      sshCidr: settings.sshCidr,
    });
    const table = new ItemsTable(this, 'dynamodb', {
      baseName,
      deletionProtection: settings.deletionProtection,
      statusIndex: settings.statusIndex,
    });
    const queue = new WorkQueue(this, 'sqs', {
      baseName,
      visibilityTimeoutSeconds: settings.queueVisibilityTimeoutSeconds,
      maxReceiveCount: settings.maxReceiveCount,
    });
    const bucket = new PipelineBucket(this, 's3', {
      baseName,
      workerBundlePath: WORKER_BUNDLE_PATH,
      nodeRuntimeArchivePath: NODE_RUNTIME_ARCHIVE_PATH,
      workerLogExpirationDays: settings.workerLogExpirationDays,
      noncurrentVersionExpirationDays: settings.noncurrentVersionExpirationDays,
      retainObjects: settings.deletionProtection,
      processorCatalog: processors,
      workerSetupScriptPath: setup?.scriptPath,
    });
    const pipe = new ItemsPipe(this, 'eventbridge', {
      baseName,
      tableStreamArn: table.tableStreamArn,
      streamReadStatements: table.streamReadStatements(),
      queueArn: queue.queueArn,
      queueSendStatement: queue.sendStatement(),
      region: settings.region,
      partition,
      iamPropagationSeconds: settings.iamPropagationSeconds,
    });
    const events = new ItemEvents(this, 'events', {
      baseName,
      bus: settings.eventBus,
      tableArn: table.tableArn,
      tableStreamArn: table.tableStreamArn,
      streamReadStatements: table.streamReadStatements(),
      region: settings.region,
      partition,
      iamPropagationSeconds: settings.iamPropagationSeconds,
    });
    const wake = settings.eventTrigger
      ? new WakeQueue(this, 'wake', {
          baseName,
          eventBusName: events.eventBusName,
          eventPattern: events.eventPattern([ItemStatus.PENDING]),
          visibilityTimeoutSeconds: recommendedTriggerVisibilitySeconds(ORCHESTRATOR_TIMEOUT_SECONDS),
        })
      : undefined;
    const outcomes = settings.eventsQueue
      ? new OutcomeSubscriber(this, 'subscriber', {
          baseName,
          eventBusName: events.eventBusName,
          eventPattern: events.eventPattern(OUTCOME_STATUSES),
        })
      : undefined;
    const workerName = `${baseName}-worker`;
    const workers = new WorkerLaunch(this, 'ec2', {
      baseName,
      amiId: capacity.amiId,
      instanceTypes: capacity.instanceTypes,
      region: settings.region,
      partition,
      subnetArns: network.subnetArns,
      securityGroupId: network.securityGroupId,
      securityGroupArn: network.securityGroupArn,
      volumeTags: { [WORKER_TAG.key]: WORKER_TAG.value, Name: workerName, ...settings.defaultTags },
      sshPublicKey: settings.sshPublicKey,
      workerStatements: [queue.consumeStatement(), table.itemReadWriteStatement(), ...bucket.workerStatements()],
    });
    const orchestrator = new Orchestrator(this, 'lambda', {
      baseName,
      codeDirectory: ORCHESTRATOR_CODE_DIR,
      logRetentionDays: settings.logRetentionDays,
      reservedConcurrentExecutions: settings.orchestratorReservedConcurrency,
      statements: [
        queue.readAttributesStatement(),
        ...workers.launchStatements(),
        bucket.launchMarkerListStatement(),
        ...(wake ? [wake.consumeStatement()] : []),
      ],
      queueTrigger: wake && { queueArn: wake.queueArn, visibilityTimeoutSeconds: wake.visibilityTimeoutSeconds },
      environment: {
        [OrchestratorEnv.queueUrl]: queue.queueUrl,
        [OrchestratorEnv.tableName]: table.tableName,
        [OrchestratorEnv.tagKey]: WORKER_TAG.key,
        [OrchestratorEnv.tagValue]: WORKER_TAG.value,
        [OrchestratorEnv.amiId]: workers.amiId,
        [OrchestratorEnv.instanceType]: capacity.instanceTypes[0],
        [OrchestratorEnv.fallbackInstanceTypes]: capacity.instanceTypes.slice(1).join(','),
        [OrchestratorEnv.purchaseOption]: capacity.purchaseOption,
        [OrchestratorEnv.rootVolumeGib]: String(capacity.rootVolumeGib),
        [OrchestratorEnv.onDemandAfterInterruption]: String(capacity.onDemandAfterInterruption),
        [OrchestratorEnv.interruptionRetries]: String(capacity.interruptionRetries),
        [OrchestratorEnv.launchTemplateId]: workers.launchTemplateId,
        [OrchestratorEnv.launchTemplateVersion]: workers.launchTemplateVersion,
        [OrchestratorEnv.autoterminateMinutes]: String(settings.autoterminateMinutes),
        [OrchestratorEnv.subnetId]: network.subnetIds[0],
        [OrchestratorEnv.fallbackSubnetIds]: network.subnetIds.slice(1).join(','),
        [OrchestratorEnv.bucketName]: bucket.bucketName,
        [OrchestratorEnv.maxWorkers]: String(settings.maxWorkers),
        [OrchestratorEnv.messagesPerWorker]: String(settings.messagesPerWorker),
        [OrchestratorEnv.workerName]: workerName,
        [OrchestratorEnv.workerTags]: JSON.stringify(settings.defaultTags),
        [OrchestratorEnv.workerCodeKey]: bucket.workerCodeKey,
        [OrchestratorEnv.workerConcurrency]: String(settings.workerConcurrency),
        [OrchestratorEnv.visibilityTimeoutSeconds]: String(queue.visibilityTimeoutSeconds),
        [OrchestratorEnv.maxReceiveCount]: String(queue.maxReceiveCount),
        ...(bucket.processorCatalogKey === undefined ? {} : { [OptionalOrchestratorEnv.processorCatalogKey]: bucket.processorCatalogKey }),
        ...(bucket.workerSetupKey === undefined || setup === undefined
          ? {}
          : {
              [OptionalOrchestratorEnv.workerSetupKey]: bucket.workerSetupKey,
              [OptionalOrchestratorEnv.workerSetupTimeoutSeconds]: String(setup.timeoutSeconds),
            }),
      },
    });
    const schedule = new OrchestratorSchedule(this, 'eventbridge_lambda', {
      baseName,
      functionName: orchestrator.functionName,
      functionArn: orchestrator.functionArn,
      scheduleExpression: settings.schedule,
    });
    const alarms = new PipelineAlarms(this, 'alarms', {
      baseName,
      partition,
      accountId: accountOf(queue.queueArn),
      workQueueName: queue.queueName,
      workDeadLetterQueueName: queue.deadLetterQueueName,
      pipeDeadLetterQueueName: pipe.deadLetterQueueName,
      pipeName: pipe.pipeName,
      eventsPipeName: events.pipeName,
      eventsPipeDeadLetterQueueName: events.deadLetterQueueName,
      outcomeQueue: outcomes && { queueName: outcomes.queueName, deadLetterQueueName: outcomes.deadLetterQueueName, ruleName: outcomes.ruleName },
      wakeRuleName: wake?.ruleName,
      itemEventBusName: events.eventBusName,
      orchestratorFunctionName: orchestrator.functionName,
      queueAgeThresholdSeconds: settings.queueAgeAlarmSeconds,
      alarmEmail: settings.alarmEmail,
    });
    const dashboard = new PipelineDashboard(this, 'dashboard', {
      baseName,
      region: settings.region,
      workQueueName: queue.queueName,
      workDeadLetterQueueName: queue.deadLetterQueueName,
      pipeDeadLetterQueueName: pipe.deadLetterQueueName,
      eventsPipeDeadLetterQueueName: events.deadLetterQueueName,
      outcomeDeadLetterQueueName: outcomes?.deadLetterQueueName,
      orchestratorFunctionName: orchestrator.functionName,
      orchestratorLogGroupName: orchestrator.logGroupName,
    });

    // Every output of the contract, so a new one cannot be forgotten here; undefined leaves an optional one out.
    const outputs: Record<StackOutputKey, string | string[] | undefined> = {
      region: settings.region,
      tableName: table.tableName,
      tableArn: table.tableArn,
      tableStreamArn: table.tableStreamArn,
      // Empty without the index: the ops CLI then scans (docs/scale.md §4).
      statusIndexName: table.statusIndexName ?? '',
      queueUrl: queue.queueUrl,
      dlqUrl: queue.deadLetterQueueUrl,
      pipeDlqUrl: pipe.deadLetterQueueUrl,
      bucketName: bucket.bucketName,
      workerCodeKey: bucket.workerCodeKey,
      lambdaFunctionName: orchestrator.functionName,
      lambdaLogGroupName: orchestrator.logGroupName,
      scheduleRuleName: schedule.ruleName,
      pipeArn: pipe.pipeArn,
      eventBusName: events.eventBusName,
      eventsPipeArn: events.pipeArn,
      eventsPipeDlqUrl: events.deadLetterQueueUrl,
      wakeQueueUrl: wake?.queueUrl,
      eventsQueueUrl: outcomes?.queueUrl,
      eventsDlqUrl: outcomes?.deadLetterQueueUrl,
      vpcId: network.vpcId,
      // The preferred subnet, as before several zones; subnet_ids lists them all in preference order.
      subnetId: network.subnetIds[0],
      subnetIds: network.subnetIds,
      securityGroupId: network.securityGroupId,
      instanceProfileName: workers.instanceProfileName,
      workerRoleArn: workers.workerRoleArn,
      amiId: workers.amiId,
      dashboardName: dashboard.dashboardName,
      alarmTopicArn: alarms.topicArn,
    };
    for (const [key, value] of Object.entries(outputs) as [StackOutputKey, string | string[] | undefined][]) {
      if (value !== undefined) new TerraformOutput(this, StackOutput[key], { value });
    }
  }
}

/** Local state by default; S3 with S3-native locking (Terraform ≥ 1.10, no DynamoDB table) when a bucket is set. */
function configureBackend(stack: TerraformStack, settings: PipelineSettings): void {
  const { state } = settings;
  if (state.backend === 's3') {
    const backend = new S3Backend(stack, { bucket: state.bucket, key: state.key, region: state.region, encrypt: true });
    // cdktf 0.21's S3Backend has no property for it yet.
    backend.addOverride('use_lockfile', true);
    return;
  }
  new LocalBackend(stack, state.path === undefined ? {} : { path: path.resolve(state.path) });
}

/**
 * The app `cdktf synth` runs (cdktf.json, through scripts/synth-app.js): the stack with settings from `env` and
 * the configuration in pipeline.config.ts. Every problem of both fails the synth together.
 */
export function synthesizeApp(env: NodeJS.ProcessEnv = process.env): void {
  const problems: string[] = [];
  const collect = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const settings = collect(() => loadSettings(env));
  const processors = collect(() => loadProcessorCatalog(pipelineConfig, env));
  // The region only decides whether the GPU image is known there; a bad region is already a problem above.
  const capacity = collect(() => loadCapacity(pipelineConfig.capacity, env, settings?.region ?? 'us-east-1'));
  const setup = collect(() => ({ value: loadWorkerSetup(pipelineConfig, __dirname) }));
  if (settings === undefined || processors === undefined || capacity === undefined || setup === undefined) {
    throw new ConfigError(problems);
  }
  const app = new App();
  new PipelineStack(app, STACK_NAME, settings, { processors, capacity, setup: setup.value });
  app.synth();
}
