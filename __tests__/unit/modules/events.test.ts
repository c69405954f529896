import { Testing } from 'cdktf';
import { ITEM_EVENT_DETAIL_TYPE, ITEM_EVENT_SOURCE } from '../../../contracts';
import { ItemEvents, type ItemEventsProps } from '../../../modules/events';
import { onlyResource, parseSynth, refTo, resourcesOf, statementsOf } from '../../support/synth';

const props: ItemEventsProps = {
  baseName: 'rag-pipeline-dev',
  tableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/rag-pipeline-dev-items',
  tableStreamArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/rag-pipeline-dev-items/stream/2026-11-25T00:00:00.000',
  streamReadStatements: [],
  region: 'us-east-1',
  partition: 'aws',
  iamPropagationSeconds: 0,
};

function synth(overrides: Partial<ItemEventsProps> = {}) {
  return parseSynth(Testing.synthScope((scope) => void new ItemEvents(scope, 'events', { ...props, ...overrides })));
}

function putStatement(json: ReturnType<typeof synth>) {
  return statementsOf(onlyResource(json, 'aws_iam_role_policy').config.policy).find(({ Sid }) => Sid === 'ItemEventsPut');
}

/**
 * EventBridge's condition keys on PutEvents (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html);
 * AWS's own example holds PutEvents to one source and detail type with ForAllValues:StringEquals
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account-custom-bus-source.html).
 */
describe('ItemEvents: who may publish the item events', () => {
  it.each([{ bus: 'default' as const }, { bus: 'pipeline' as const }])(
    'lets the pipe put only events with the item source and detail type on the $bus bus',
    ({ bus }) => {
      const json = synth({ bus });

      expect(putStatement(json)).toMatchObject({
        Effect: 'Allow',
        Action: ['events:PutEvents'],
        Condition: { 'ForAllValues:StringEquals': { 'events:source': ITEM_EVENT_SOURCE, 'events:detail-type': ITEM_EVENT_DETAIL_TYPE } },
      });
    },
  );

  it('denies every other principal the item source on the pipeline bus', () => {
    const json = synth({ bus: 'pipeline' });
    const policy = onlyResource(json, 'aws_cloudwatch_event_bus_policy').config;

    expect(policy.event_bus_name).toBe(refTo(json, 'aws_cloudwatch_event_bus', 'name'));
    expect(statementsOf(policy.policy)).toEqual([
      {
        Sid: 'OnlyThePipePublishesItemEvents',
        Effect: 'Deny',
        Principal: '*',
        Action: ['events:PutEvents'],
        Resource: [refTo(json, 'aws_cloudwatch_event_bus', 'arn')],
        Condition: {
          'ForAnyValue:StringEquals': { 'events:source': ITEM_EVENT_SOURCE },
          ArnNotEquals: { 'aws:PrincipalArn': refTo(json, 'aws_iam_role', 'arn') },
        },
      },
    ]);
  });

  it('puts no policy on the default bus, which is the account\'s', () => {
    expect(resourcesOf(synth({ bus: 'default' }), 'aws_cloudwatch_event_bus_policy')).toEqual([]);
  });
});
