import { Testing } from 'cdktf';
import { ItemsTable } from '../../../modules/dynamodb';
import { STATUS_INDEX_NAME } from '../../../contracts';
import { parseSynth, resourcesOf } from '../../support/synth';

describe('ItemsTable', () => {
  it('creates an on-demand table keyed by id with a status index, a two-image stream and PITR', () => {
    const synthesized = Testing.synthScope((scope) => {
      new ItemsTable(scope, 'dynamodb', { baseName: 'rag-pipeline-dev' });
    });

    expect(synthesized).toHaveResourceWithProperties({ tfResourceType: 'aws_dynamodb_table' }, {
      name: 'rag-pipeline-dev-items',
      billing_mode: 'PAY_PER_REQUEST',
      hash_key: 'id',
      attribute: [
        { name: 'id', type: 'S' },
        { name: 'status', type: 'S' },
      ],
      global_secondary_index: [{ name: STATUS_INDEX_NAME, hash_key: 'status', projection_type: 'ALL' }],
      stream_enabled: true,
      stream_view_type: 'NEW_AND_OLD_IMAGES',
      point_in_time_recovery: { enabled: true },
      deletion_protection_enabled: false,
    });
    // Encryption at rest with the AWS-owned key is DynamoDB's default: no customer key is configured.
    expect(resourcesOf(parseSynth(synthesized), 'aws_dynamodb_table')[0][1]).not.toHaveProperty('server_side_encryption');
  });

  it('turns deletion protection on when asked', () => {
    const synthesized = Testing.synthScope((scope) => {
      new ItemsTable(scope, 'dynamodb', { baseName: 'rag-pipeline-dev', deletionProtection: true });
    });

    expect(synthesized).toHaveResourceWithProperties({ tfResourceType: 'aws_dynamodb_table' }, { deletion_protection_enabled: true });
  });

  it('grants item read/update on the table and stream reads on the stream only', () => {
    let table!: ItemsTable;
    Testing.synthScope((scope) => {
      table = new ItemsTable(scope, 'dynamodb', { baseName: 'rag-pipeline-dev' });
    });

    expect(table.itemReadWriteStatement()).toEqual({
      sid: 'ItemsReadUpdate',
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resources: [table.tableArn],
    });
    expect(table.streamReadStatements()).toEqual([
      {
        sid: 'ItemsStreamRead',
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [table.tableStreamArn],
      },
      // ListStreams takes no resource: scoped to the stream it would grant nothing.
      { sid: 'ListTableStreams', actions: ['dynamodb:ListStreams'], resources: ['*'] },
    ]);
  });
});
