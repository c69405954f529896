import { Testing } from 'cdktf';
import { OrchestratorSchedule, type OrchestratorScheduleProps } from '../../../modules/eventbridge_lambda';
import { onlyResource, parseSynth, refTo } from '../../support/synth';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:111122223333:function:rag-pipeline-dev-orchestrator';

function synth(overrides: Partial<OrchestratorScheduleProps> = {}): string {
  return Testing.synthScope((scope) => {
    new OrchestratorSchedule(scope, 'eventbridge_lambda', {
      baseName: 'rag-pipeline-dev',
      functionName: 'rag-pipeline-dev-orchestrator',
      functionArn: FUNCTION_ARN,
      ...overrides,
    });
  });
}

describe('OrchestratorSchedule', () => {
  it('runs the orchestrator every minute by default', () => {
    const json = parseSynth(synth());

    expect(onlyResource(json, 'aws_cloudwatch_event_rule').config).toMatchObject({
      name: 'rag-pipeline-dev-orchestrator-schedule',
      schedule_expression: 'rate(1 minute)',
    });
    expect(onlyResource(json, 'aws_cloudwatch_event_target').config).toEqual({
      rule: refTo(json, 'aws_cloudwatch_event_rule', 'name'),
      arn: FUNCTION_ARN,
    });
  });

  it('uses a configured schedule', () => {
    expect(synth({ scheduleExpression: 'cron(0/5 * * * ? *)' })).toHaveResourceWithProperties(
      { tfResourceType: 'aws_cloudwatch_event_rule' },
      { schedule_expression: 'cron(0/5 * * * ? *)' },
    );
  });

  it('lets only this rule invoke the function', () => {
    const json = parseSynth(synth());

    expect(onlyResource(json, 'aws_lambda_permission').config).toEqual({
      statement_id: 'AllowScheduleInvoke',
      action: 'lambda:InvokeFunction',
      function_name: 'rag-pipeline-dev-orchestrator',
      principal: 'events.amazonaws.com',
      source_arn: refTo(json, 'aws_cloudwatch_event_rule', 'arn'),
    });
  });

  it('rejects a schedule that is neither rate() nor cron()', () => {
    expect(() => synth({ scheduleExpression: 'every minute' })).toThrow('scheduleExpression must be rate(...) or cron(...), got "every minute"');
  });
});
