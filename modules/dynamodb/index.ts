import { Construct } from 'constructs';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { ItemAttribute, STATUS_INDEX_NAME } from '../../contracts';
import { skipCheckov } from '../shared/checkov';
import type { PolicyStatement } from '../shared/iam';

export interface ItemsTableProps {
  /** Stem of resource names, e.g. `rag-pipeline-dev`. */
  readonly baseName: string;
  /** @default false — `cdktf destroy` may delete the table; set true for data you cannot lose */
  readonly deletionProtection?: boolean;
  /**
   * @default true — the GSI on `status` that the ops CLI lists rows by. Every PENDING write lands on one of
   * its partitions (about 500 rows/s, docs/scale.md §4); false removes it, and the CLI scans instead.
   */
  readonly statusIndex?: boolean;
}

/**
 * The table users write `{id, status: PENDING, s3_path}` rows into. Its stream (new and old images) feeds
 * both pipes; the GSI on `status` (unless switched off) lets operators list rows by state. Encrypted at rest with the AWS-owned
 * key (DynamoDB's default: no key to manage, no KMS charge); point-in-time recovery on.
 */
export class ItemsTable extends Construct {
  readonly tableName: string;
  readonly tableArn: string;
  readonly tableStreamArn: string;
  /** undefined when the table has no status index. */
  readonly statusIndexName?: string;

  constructor(scope: Construct, id: string, props: ItemsTableProps) {
    super(scope, id);

    const statusIndex = props.statusIndex ?? true;
    const table = new DynamodbTable(this, 'table', {
      name: `${props.baseName}-items`,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: ItemAttribute.id,
      // DynamoDB takes definitions of key attributes only: `status` is one only while it keys the index.
      attribute: [{ name: ItemAttribute.id, type: 'S' }, ...(statusIndex ? [{ name: ItemAttribute.status, type: 'S' }] : [])],
      globalSecondaryIndex: statusIndex ? [{ name: STATUS_INDEX_NAME, hashKey: ItemAttribute.status, projectionType: 'ALL' }] : [],
      // The pipe's filter compares OldImage with NewImage, so both images are needed.
      streamEnabled: true,
      streamViewType: 'NEW_AND_OLD_IMAGES',
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: props.deletionProtection ?? false,
    });
    skipCheckov(table, {
      id: 'CKV_AWS_119',
      comment: "Encrypted at rest with DynamoDB's default AWS-owned key: no key to manage or pay for; rows hold only S3 paths and statuses.",
    });

    this.tableName = table.name;
    this.tableArn = table.arn;
    this.tableStreamArn = table.streamArn;
    this.statusIndexName = statusIndex ? STATUS_INDEX_NAME : undefined;
  }

  /** What a worker needs to read a row and record its outcome: no scan, no delete. */
  itemReadWriteStatement(): PolicyStatement {
    return {
      sid: 'ItemsReadUpdate',
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resources: [this.tableArn],
    };
  }

  /**
   * What a stream consumer (a pipe) needs: reads on the stream only, and ListStreams, which takes no
   * resource (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
   * lists none for it), so it is granted on "*" in a statement of its own, as AWS CDK's
   * `grantTableListStreams` does. Scoped to the stream ARN, it would grant nothing.
   */
  streamReadStatements(): PolicyStatement[] {
    return [
      {
        sid: 'ItemsStreamRead',
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [this.tableStreamArn],
      },
      { sid: 'ListTableStreams', actions: ['dynamodb:ListStreams'], resources: ['*'] },
    ];
  }
}
