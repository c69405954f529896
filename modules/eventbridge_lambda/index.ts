import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';

export interface OrchestratorScheduleProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  readonly functionName: string;
  readonly functionArn: string;
  /** @default 'rate(1 minute)' — an EventBridge `rate(...)` or `cron(...)` expression */
  readonly scheduleExpression?: string;
}

/** The EventBridge rule that runs the orchestrator on a schedule, and the permission for that rule only. */
export class OrchestratorSchedule extends Construct {
  readonly ruleName: string;
  readonly ruleArn: string;

  constructor(scope: Construct, id: string, props: OrchestratorScheduleProps) {
    super(scope, id);
    const scheduleExpression = props.scheduleExpression ?? 'rate(1 minute)';
    if (!/^(rate|cron)\(.+\)$/.test(scheduleExpression)) {
      throw new Error(`scheduleExpression must be rate(...) or cron(...), got "${scheduleExpression}"`);
    }

    const rule = new CloudwatchEventRule(this, 'rule', {
      name: `${props.baseName}-orchestrator-schedule`,
      description: 'Runs the orchestrator, which launches workers when work is waiting',
      scheduleExpression,
    });
    new CloudwatchEventTarget(this, 'target', { rule: rule.name, arn: props.functionArn });
    new LambdaPermission(this, 'invoke-permission', {
      statementId: 'AllowScheduleInvoke',
      action: 'lambda:InvokeFunction',
      functionName: props.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: rule.arn,
    });

    this.ruleName = rule.name;
    this.ruleArn = rule.arn;
  }
}
