import { bucketNameRefusal, securityGroupNameRefusal } from '../../../config/aws-names';
import { cidrContains, firstSubnets, parseIpv4Cidr } from '../../../config/cidr';
import { isNotX86Linux } from '../../../contracts/instance-types';
import { loadSettings } from '../../../config/settings';

describe('loadSettings', () => {
  it('gives the documented defaults when nothing is set', () => {
    const settings = loadSettings({});

    expect(settings).toEqual({
      region: 'us-east-1',
      environment: 'dev',
      namePrefix: 'rag-pipeline',
      baseName: 'rag-pipeline-dev',
      defaultTags: { project: 'rag-pipeline', environment: 'dev', 'managed-by': 'cdktf' },
      vpcCidr: '10.42.0.0/16',
      subnets: [
        { availabilityZoneId: 'use1-az1', cidrBlock: '10.42.0.0/24' },
        { availabilityZoneId: 'use1-az2', cidrBlock: '10.42.1.0/24' },
        { availabilityZoneId: 'use1-az4', cidrBlock: '10.42.2.0/24' },
      ],
      autoterminateMinutes: 5,
      maxWorkers: 1,
      messagesPerWorker: 10,
      workerConcurrency: 10,
      schedule: 'rate(1 minute)',
      sshCidr: undefined,
      sshPublicKey: undefined,
      queueVisibilityTimeoutSeconds: 300,
      maxReceiveCount: 5,
      deletionProtection: false,
      alarmEmail: undefined,
      queueAgeAlarmSeconds: 900,
      logRetentionDays: 30,
      workerLogExpirationDays: 30,
      noncurrentVersionExpirationDays: 30,
      orchestratorReservedConcurrency: undefined,
      iamPropagationSeconds: 180,
      eventBus: 'default',
      eventTrigger: true,
      eventsQueue: false,
      statusIndex: true,
      state: { backend: 'local', path: undefined },
    });
  });

  it('reads every setting from its PIPELINE_* variable', () => {
    const settings = loadSettings({
      PIPELINE_REGION: 'eu-west-1',
      PIPELINE_ENVIRONMENT: 'prod',
      PIPELINE_NAME_PREFIX: 'files',
      PIPELINE_VPC_CIDR: '172.16.0.0/20',
      PIPELINE_AVAILABILITY_ZONE_IDS: 'euw1-az2, euw1-az3',
      PIPELINE_SUBNET_CIDRS: '172.16.4.0/22,172.16.8.0/22',
      PIPELINE_AUTOTERMINATE_MINUTES: '0.5',
      PIPELINE_MAX_WORKERS: '3',
      PIPELINE_MESSAGES_PER_WORKER: '25',
      PIPELINE_WORKER_CONCURRENCY: '8',
      PIPELINE_SCHEDULE: 'cron(0/5 * * * ? *)',
      PIPELINE_SSH_CIDR: '203.0.113.7/32',
      PIPELINE_SSH_PUBLIC_KEY: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample user@host',
      PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: '900',
      PIPELINE_MAX_RECEIVE_COUNT: '3',
      PIPELINE_DELETION_PROTECTION: 'true',
      PIPELINE_ALARM_EMAIL: 'ops@example.com',
      PIPELINE_QUEUE_AGE_ALARM_SECONDS: '1800',
      PIPELINE_LOG_RETENTION_DAYS: '90',
      PIPELINE_WORKER_LOG_EXPIRATION_DAYS: '7',
      PIPELINE_NONCURRENT_VERSION_EXPIRATION_DAYS: '14',
      PIPELINE_ORCHESTRATOR_RESERVED_CONCURRENCY: '1',
      PIPELINE_IAM_PROPAGATION_SECONDS: '120',
      PIPELINE_EVENT_BUS: 'pipeline',
      PIPELINE_EVENT_TRIGGER: 'false',
      PIPELINE_EVENTS_QUEUE: 'true',
      PIPELINE_STATUS_INDEX: 'false',
    });

    expect(settings).toMatchObject({
      region: 'eu-west-1',
      baseName: 'files-prod',
      defaultTags: { project: 'files', environment: 'prod', 'managed-by': 'cdktf' },
      vpcCidr: '172.16.0.0/20',
      subnets: [
        { availabilityZoneId: 'euw1-az2', cidrBlock: '172.16.4.0/22' },
        { availabilityZoneId: 'euw1-az3', cidrBlock: '172.16.8.0/22' },
      ],
      autoterminateMinutes: 0.5,
      maxWorkers: 3,
      messagesPerWorker: 25,
      workerConcurrency: 8,
      schedule: 'cron(0/5 * * * ? *)',
      sshCidr: '203.0.113.7/32',
      sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample user@host',
      queueVisibilityTimeoutSeconds: 900,
      maxReceiveCount: 3,
      deletionProtection: true,
      alarmEmail: 'ops@example.com',
      queueAgeAlarmSeconds: 1800,
      logRetentionDays: 90,
      workerLogExpirationDays: 7,
      noncurrentVersionExpirationDays: 14,
      orchestratorReservedConcurrency: 1,
      iamPropagationSeconds: 120,
      eventBus: 'pipeline',
      eventTrigger: false,
      eventsQueue: true,
      statusIndex: false,
    });
  });

  it('ignores blank values as unset', () => {
    expect(loadSettings({ PIPELINE_SSH_CIDR: '  ', PIPELINE_MAX_WORKERS: '' })).toMatchObject({ sshCidr: undefined, maxWorkers: 1 });
  });

  it.each([
    { case: 'rate of minutes', schedule: 'rate(5 minutes)' },
    { case: 'rate of one hour', schedule: 'rate(1 hour)' },
    { case: 'rate of days', schedule: 'rate(2 days)' },
    { case: 'cron with six fields', schedule: 'cron(15 10 ? * MON-FRI *)' },
  ])('accepts the schedule $schedule ($case)', ({ schedule }) => {
    expect(loadSettings({ PIPELINE_SCHEDULE: schedule }).schedule).toBe(schedule);
  });

  it.each([
    { case: 'two zones in a /16: the first two /24s', vpc: '10.42.0.0/16', zones: 'use1-az1,use1-az2', cidrs: ['10.42.0.0/24', '10.42.1.0/24'] },
    { case: 'three zones in a /24: /26s', vpc: '10.42.0.0/24', zones: 'use1-az1,use1-az2,use1-az4', cidrs: ['10.42.0.0/26', '10.42.0.64/26', '10.42.0.128/26'] },
    { case: 'two zones in a /27: /28s', vpc: '10.42.0.32/27', zones: 'use1-az1,use1-az2', cidrs: ['10.42.0.32/28', '10.42.0.48/28'] },
  ])('derives one subnet per zone from the VPC block: $case', ({ vpc, zones, cidrs }) => {
    const settings = loadSettings({ PIPELINE_VPC_CIDR: vpc, PIPELINE_AVAILABILITY_ZONE_IDS: zones });

    expect(settings.subnets.map(({ cidrBlock }) => cidrBlock)).toEqual(cidrs);
  });

  it('needs zone IDs outside the regions it knows, and says how to list them', () => {
    expect(() => loadSettings({ PIPELINE_REGION: 'eu-west-1' })).toThrow(
      "PIPELINE_AVAILABILITY_ZONE_IDS must be set for eu-west-1: no default zones are known for that region. List its zone IDs with `aws ec2 describe-availability-zones --region eu-west-1 --query 'AvailabilityZones[].ZoneId'`",
    );
    expect(loadSettings({ PIPELINE_REGION: 'eu-west-1', PIPELINE_AVAILABILITY_ZONE_IDS: 'euw1-az1,euw1-az2' }).subnets).toHaveLength(2);
  });

  it('keeps us-east-1 out of use1-az3 by default, where t3 is not offered', () => {
    expect(loadSettings({}).subnets.map(({ availabilityZoneId }) => availabilityZoneId)).not.toContain('use1-az3');
  });

  it('reserves no orchestrator concurrency unless asked', () => {
    expect(loadSettings({}).orchestratorReservedConcurrency).toBeUndefined();
    expect(loadSettings({ PIPELINE_ORCHESTRATOR_RESERVED_CONCURRENCY: '3' }).orchestratorReservedConcurrency).toBe(3);
  });

  it('keeps state locally by default and in S3 with a derived key when a bucket is set', () => {
    expect(loadSettings({ PIPELINE_STATE_PATH: '/tmp/x/terraform.tfstate' }).state).toEqual({
      backend: 'local',
      path: '/tmp/x/terraform.tfstate',
    });
    expect(loadSettings({ PIPELINE_STATE_BUCKET: 'my-state', PIPELINE_REGION: 'eu-west-1', PIPELINE_AVAILABILITY_ZONE_IDS: 'euw1-az1,euw1-az2' }).state).toEqual({
      backend: 's3',
      bucket: 'my-state',
      key: 'rag-pipeline-dev/terraform.tfstate',
      region: 'eu-west-1',
    });
    expect(
      loadSettings({ PIPELINE_STATE_BUCKET: 'my-state', PIPELINE_STATE_KEY: 'a/b.tfstate', PIPELINE_STATE_REGION: 'us-west-2' }).state,
    ).toEqual({ backend: 's3', bucket: 'my-state', key: 'a/b.tfstate', region: 'us-west-2' });
  });

  it.each([
    { case: 'CIDR that does not parse', env: { PIPELINE_VPC_CIDR: '10.0.0/16' }, message: 'PIPELINE_VPC_CIDR must be an IPv4 network block from /16 to /28 such as 10.42.0.0/16, got "10.0.0/16"' },
    { case: 'CIDR octet out of range', env: { PIPELINE_VPC_CIDR: '10.0.300.0/24' }, message: 'got "10.0.300.0/24"' },
    { case: 'CIDR with host bits set', env: { PIPELINE_VPC_CIDR: '10.0.0.1/16' }, message: 'PIPELINE_VPC_CIDR must be an IPv4 network block' },
    { case: 'VPC larger than /16', env: { PIPELINE_VPC_CIDR: '10.0.0.0/8' }, message: 'got "10.0.0.0/8"' },
    { case: 'subnet that does not parse', env: { PIPELINE_SUBNET_CIDRS: 'subnet-a,10.42.1.0/24,10.42.2.0/24' }, message: 'PIPELINE_SUBNET_CIDRS must be IPv4 network blocks from /16 to /28 such as 10.42.1.0/24, got "subnet-a"' },
    { case: 'subnet outside the VPC', env: { PIPELINE_SUBNET_CIDRS: '10.42.0.0/24,10.43.1.0/24,10.42.2.0/24' }, message: 'PIPELINE_SUBNET_CIDRS must be inside PIPELINE_VPC_CIDR (10.42.0.0/16), got "10.43.1.0/24"' },
    { case: 'subnet larger than the VPC', env: { PIPELINE_VPC_CIDR: '10.42.0.0/24', PIPELINE_AVAILABILITY_ZONE_IDS: 'use1-az1,use1-az2', PIPELINE_SUBNET_CIDRS: '10.42.0.0/16,10.42.0.128/25' }, message: 'PIPELINE_SUBNET_CIDRS must be inside PIPELINE_VPC_CIDR (10.42.0.0/24), got "10.42.0.0/16"' },
    { case: 'subnets that overlap', env: { PIPELINE_AVAILABILITY_ZONE_IDS: 'use1-az1,use1-az2', PIPELINE_SUBNET_CIDRS: '10.42.0.0/23,10.42.1.0/24' }, message: 'PIPELINE_SUBNET_CIDRS must be blocks that do not overlap (10.42.0.0/23 and 10.42.1.0/24 do), got "10.42.0.0/23,10.42.1.0/24"' },
    { case: 'fewer subnets than zones', env: { PIPELINE_SUBNET_CIDRS: '10.42.0.0/24,10.42.1.0/24' }, message: 'PIPELINE_SUBNET_CIDRS must be one block per zone of PIPELINE_AVAILABILITY_ZONE_IDS (use1-az1, use1-az2, use1-az4), got "10.42.0.0/24,10.42.1.0/24"' },
    { case: 'VPC too small for its subnets', env: { PIPELINE_VPC_CIDR: '10.42.0.0/28' }, message: 'PIPELINE_VPC_CIDR must be large enough for 3 subnets of at least /28, got "10.42.0.0/28"' },
    { case: 'zone name instead of zone ID', env: { PIPELINE_AVAILABILITY_ZONE_IDS: 'us-east-1a,us-east-1b' }, message: 'PIPELINE_AVAILABILITY_ZONE_IDS must be availability zone IDs such as use1-az1 (not names such as us-east-1a; list them with `aws ec2 describe-availability-zones --region us-east-1 --query \'AvailabilityZones[].ZoneId\'`), got "us-east-1a"' },
    { case: 'single zone', env: { PIPELINE_AVAILABILITY_ZONE_IDS: 'use1-az1' }, message: 'PIPELINE_AVAILABILITY_ZONE_IDS must be two to six distinct availability zone IDs, comma-separated, got "use1-az1"' },
    { case: 'repeated zone', env: { PIPELINE_AVAILABILITY_ZONE_IDS: 'use1-az1,use1-az1' }, message: 'PIPELINE_AVAILABILITY_ZONE_IDS must be two to six distinct availability zone IDs, comma-separated, got "use1-az1,use1-az1"' },
    { case: 'zones of two regions', env: { PIPELINE_AVAILABILITY_ZONE_IDS: 'use1-az1,use2-az1' }, message: 'PIPELINE_AVAILABILITY_ZONE_IDS must be zone IDs of one region, got "use1-az1,use2-az1"' },
    { case: 'the replaced subnet setting', env: { PIPELINE_SUBNET_CIDR: '10.42.1.0/24' }, message: 'PIPELINE_SUBNET_CIDR must be unset: it was replaced by PIPELINE_SUBNET_CIDRS (one block per zone of PIPELINE_AVAILABILITY_ZONE_IDS; derived /24s by default), got "10.42.1.0/24"' },
    { case: 'the replaced zone setting', env: { PIPELINE_AVAILABILITY_ZONE: 'us-east-1a' }, message: 'PIPELINE_AVAILABILITY_ZONE must be unset: it was replaced by PIPELINE_AVAILABILITY_ZONE_IDS (zone IDs such as use1-az1, the same in every account), got "us-east-1a"' },
    { case: 'auto-terminate of zero', env: { PIPELINE_AUTOTERMINATE_MINUTES: '0' }, message: 'PIPELINE_AUTOTERMINATE_MINUTES must be a positive number no greater than 1440, got "0"' },
    { case: 'negative auto-terminate', env: { PIPELINE_AUTOTERMINATE_MINUTES: '-5' }, message: 'PIPELINE_AUTOTERMINATE_MINUTES must be a positive number no greater than 1440, got "-5"' },
    { case: 'auto-terminate that is not a number', env: { PIPELINE_AUTOTERMINATE_MINUTES: 'abc' }, message: 'got "abc"' },
    { case: 'max workers of zero', env: { PIPELINE_MAX_WORKERS: '0' }, message: 'PIPELINE_MAX_WORKERS must be an integer from 1 to 100, got "0"' },
    { case: 'fractional max workers', env: { PIPELINE_MAX_WORKERS: '1.5' }, message: 'PIPELINE_MAX_WORKERS must be an integer from 1 to 100, got "1.5"' },
    { case: 'messages per worker of zero', env: { PIPELINE_MESSAGES_PER_WORKER: '0' }, message: 'PIPELINE_MESSAGES_PER_WORKER must be an integer from 1 to 10000, got "0"' },
    { case: 'worker concurrency of zero', env: { PIPELINE_WORKER_CONCURRENCY: '0' }, message: 'PIPELINE_WORKER_CONCURRENCY must be an integer from 1 to 100, got "0"' },
    { case: 'schedule neither rate nor cron', env: { PIPELINE_SCHEDULE: 'every minute' }, message: 'PIPELINE_SCHEDULE must be rate(<n> minute|minutes|hour|hours|day|days) or cron(<6 fields>), got "every minute"' },
    { case: 'rate with a plural unit for 1', env: { PIPELINE_SCHEDULE: 'rate(1 minutes)' }, message: 'got "rate(1 minutes)"' },
    { case: 'rate with a singular unit for 5', env: { PIPELINE_SCHEDULE: 'rate(5 minute)' }, message: 'got "rate(5 minute)"' },
    { case: 'rate of zero', env: { PIPELINE_SCHEDULE: 'rate(0 minutes)' }, message: 'got "rate(0 minutes)"' },
    { case: 'cron with five fields', env: { PIPELINE_SCHEDULE: 'cron(* * * * *)' }, message: 'got "cron(* * * * *)"' },
    { case: 'SSH CIDR that does not parse', env: { PIPELINE_SSH_CIDR: 'my-ip' }, message: 'PIPELINE_SSH_CIDR must be an IPv4 network block such as 203.0.113.7/32, got "my-ip"' },
    { case: 'SSH open to the internet', env: { PIPELINE_SSH_CIDR: '0.0.0.0/0' }, message: 'PIPELINE_SSH_CIDR must be narrower than the whole internet, got "0.0.0.0/0"' },
    { case: 'public key that is not OpenSSH', env: { PIPELINE_SSH_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----' }, message: 'PIPELINE_SSH_PUBLIC_KEY must be an OpenSSH public key' },
    { case: 'region of the wrong form', env: { PIPELINE_REGION: 'US East' }, message: 'PIPELINE_REGION must be an AWS region name such as us-east-1, got "US East"' },
    { case: 'environment with capitals', env: { PIPELINE_ENVIRONMENT: 'Prod' }, message: 'PIPELINE_ENVIRONMENT must be lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen, got "Prod"' },
    { case: 'name prefix ending in a hyphen', env: { PIPELINE_NAME_PREFIX: 'rag-' }, message: 'PIPELINE_NAME_PREFIX must be lowercase letters' },
    { case: 'names too long together', env: { PIPELINE_NAME_PREFIX: 'a-very-long-project-name', PIPELINE_ENVIRONMENT: 'staging-eu-west' }, message: 'PIPELINE_NAME_PREFIX and PIPELINE_ENVIRONMENT must be at most 36 characters together ("<prefix>-<environment>"), got "a-very-long-project-name-staging-eu-west"' },
    { case: 'security group name AWS refuses', env: { PIPELINE_NAME_PREFIX: 'sg-files' }, message: 'PIPELINE_NAME_PREFIX and PIPELINE_ENVIRONMENT must be names AWS accepts (EC2 refuses security group names starting with "sg-"), got "sg-files-dev"' },
    { case: 'prefix "sg" alone', env: { PIPELINE_NAME_PREFIX: 'sg' }, message: 'EC2 refuses security group names starting with "sg-"), got "sg-dev"' },
    { case: 'bucket name starting xn--', env: { PIPELINE_NAME_PREFIX: 'xn--files' }, message: 'PIPELINE_NAME_PREFIX and PIPELINE_ENVIRONMENT must be names AWS accepts (S3 refuses bucket names starting with "xn--"), got "xn--files-dev"' },
    { case: 'bucket name starting sthree-', env: { PIPELINE_NAME_PREFIX: 'sthree' }, message: '(S3 refuses bucket names starting with "sthree-"), got "sthree-dev"' },
    { case: 'bucket name starting amzn-s3-demo-', env: { PIPELINE_NAME_PREFIX: 'amzn-s3', PIPELINE_ENVIRONMENT: 'demo' }, message: '(S3 refuses bucket names starting with "amzn-s3-demo-"), got "amzn-s3-demo"' },
    { case: 'reserved concurrency of zero', env: { PIPELINE_ORCHESTRATOR_RESERVED_CONCURRENCY: '0' }, message: 'PIPELINE_ORCHESTRATOR_RESERVED_CONCURRENCY must be an integer from 1 to 1000, got "0"' },
    { case: 'IAM wait over 15 minutes', env: { PIPELINE_IAM_PROPAGATION_SECONDS: '901' }, message: 'PIPELINE_IAM_PROPAGATION_SECONDS must be an integer from 0 to 900, got "901"' },
    { case: 'noncurrent expiry of zero', env: { PIPELINE_NONCURRENT_VERSION_EXPIRATION_DAYS: '0' }, message: 'PIPELINE_NONCURRENT_VERSION_EXPIRATION_DAYS must be an integer from 1 to 3650, got "0"' },
    { case: 'visibility timeout below the heartbeat minimum', env: { PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: '30' }, message: 'PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS must be an integer from 60 to 43200, got "30"' },
    { case: 'visibility timeout above SQS maximum', env: { PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: '43201' }, message: 'got "43201"' },
    { case: 'max receive count of zero', env: { PIPELINE_MAX_RECEIVE_COUNT: '0' }, message: 'PIPELINE_MAX_RECEIVE_COUNT must be an integer from 1 to 1000, got "0"' },
    { case: 'an event bus that is neither choice', env: { PIPELINE_EVENT_BUS: 'mine' }, message: 'PIPELINE_EVENT_BUS must be one of default, pipeline, got "mine"' },
    { case: 'event trigger not a boolean', env: { PIPELINE_EVENT_TRIGGER: 'off' }, message: 'PIPELINE_EVENT_TRIGGER must be "true" or "false", got "off"' },
    { case: 'status index not a boolean', env: { PIPELINE_STATUS_INDEX: 'no' }, message: 'PIPELINE_STATUS_INDEX must be "true" or "false", got "no"' },
    { case: 'events queue not a boolean', env: { PIPELINE_EVENTS_QUEUE: '1' }, message: 'PIPELINE_EVENTS_QUEUE must be "true" or "false", got "1"' },
    { case: 'deletion protection not a boolean', env: { PIPELINE_DELETION_PROTECTION: 'yes' }, message: 'PIPELINE_DELETION_PROTECTION must be "true" or "false", got "yes"' },
    { case: 'alarm e-mail without a domain', env: { PIPELINE_ALARM_EMAIL: 'ops' }, message: 'PIPELINE_ALARM_EMAIL must be an e-mail address, got "ops"' },
    { case: 'queue-age alarm under a minute', env: { PIPELINE_QUEUE_AGE_ALARM_SECONDS: '10' }, message: 'PIPELINE_QUEUE_AGE_ALARM_SECONDS must be an integer from 60 to 1209600, got "10"' },
    { case: 'log retention CloudWatch does not offer', env: { PIPELINE_LOG_RETENTION_DAYS: '10' }, message: 'PIPELINE_LOG_RETENTION_DAYS must be one of 1, 3, 5, 7, 14, 30,' },
    { case: 'worker log expiry of zero', env: { PIPELINE_WORKER_LOG_EXPIRATION_DAYS: '0' }, message: 'PIPELINE_WORKER_LOG_EXPIRATION_DAYS must be an integer from 1 to 3650, got "0"' },
    { case: 'state key without a bucket', env: { PIPELINE_STATE_KEY: 'a/b.tfstate' }, message: 'PIPELINE_STATE_KEY must be unset unless PIPELINE_STATE_BUCKET is set, got "a/b.tfstate"' },
    { case: 'state region without a bucket', env: { PIPELINE_STATE_REGION: 'us-east-1' }, message: 'PIPELINE_STATE_REGION must be unset unless PIPELINE_STATE_BUCKET is set, got "us-east-1"' },
    { case: 'state bucket of the wrong form', env: { PIPELINE_STATE_BUCKET: 'My_Bucket' }, message: 'PIPELINE_STATE_BUCKET must be an S3 bucket name, got "My_Bucket"' },
    { case: 'state path without .tfstate', env: { PIPELINE_STATE_PATH: 'state.json' }, message: 'PIPELINE_STATE_PATH must be a file path ending in .tfstate, got "state.json"' },
  ])('rejects a $case, naming the setting and the value', ({ env, message }) => {
    expect(() => loadSettings(env)).toThrow(message);
  });
});

describe('IPv4 CIDR parsing', () => {
  it('parses a network block into its network address and prefix', () => {
    expect(parseIpv4Cidr('10.42.0.0/16')).toEqual({ text: '10.42.0.0/16', network: 10 * 2 ** 24 + 42 * 2 ** 16, prefixLength: 16 });
  });

  it.each([
    { case: 'inside', outer: '10.42.0.0/16', inner: '10.42.255.0/24', contained: true },
    { case: 'equal', outer: '10.42.0.0/24', inner: '10.42.0.0/24', contained: true },
    { case: 'neighbouring block', outer: '10.42.0.0/16', inner: '10.43.0.0/24', contained: false },
    { case: 'wider than the outer', outer: '10.42.0.0/24', inner: '10.42.0.0/23', contained: false },
    { case: 'top of the address space', outer: '255.255.255.0/24', inner: '255.255.255.240/28', contained: true },
  ])('decides containment: $case', ({ outer, inner, contained }) => {
    expect(cidrContains(parseIpv4Cidr(outer)!, parseIpv4Cidr(inner)!)).toBe(contained);
  });
});

describe('subnet derivation', () => {
  it.each([
    { case: 'a /16 in three', outer: '10.42.0.0/16', count: 3, subnets: ['10.42.0.0/24', '10.42.1.0/24', '10.42.2.0/24'] },
    { case: 'a /16 in seven: still /24s', outer: '10.0.0.0/16', count: 7, subnets: ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.4.0/24', '10.0.5.0/24', '10.0.6.0/24'] },
    { case: 'a /25 in two', outer: '192.168.7.128/25', count: 2, subnets: ['192.168.7.128/26', '192.168.7.192/26'] },
  ])('splits $case', ({ outer, count, subnets }) => {
    expect(firstSubnets(parseIpv4Cidr(outer)!, count, 28)?.map(({ text }) => text)).toEqual(subnets);
  });

  it('refuses blocks smaller than the limit', () => {
    expect(firstSubnets(parseIpv4Cidr('10.0.0.0/27')!, 3, 28)).toBeUndefined();
  });
});

describe('instance types that cannot run the worker', () => {
  it.each(['t4g.micro', 'm6g.large', 'm7gd.xlarge', 'c6gn.medium', 'x2gd.large', 'im4gn.large', 'is4gen.medium', 'g5g.xlarge', 'a1.medium', 'mac2.metal', 'hpc7g.4xlarge', 'r8g.large'])(
    'refuses %s',
    (type) => {
      expect(isNotX86Linux(type)).toBe(true);
    },
  );

  it.each(['t3.micro', 't3a.small', 'm7i-flex.large', 'c5ad.large', 'm5zn.large', 'g4dn.xlarge', 'g4ad.xlarge', 'inf2.xlarge', 'z1d.large', 'x2iedn.xlarge', 'u7i-12tb.224xlarge'])(
    'accepts %s',
    (type) => {
      expect(isNotX86Linux(type)).toBe(false);
    },
  );
});

describe('names AWS refuses', () => {
  it.each([
    { name: 'xn--bucket-1', refusal: 'S3 refuses bucket names starting with "xn--"' },
    { name: 'sthree-bucket', refusal: 'S3 refuses bucket names starting with "sthree-"' },
    { name: 'amzn-s3-demo-bucket', refusal: 'S3 refuses bucket names starting with "amzn-s3-demo-"' },
    { name: 'bucket-s3alias', refusal: 'S3 refuses bucket names ending with "-s3alias"' },
    { name: 'bucket--ol-s3', refusal: 'S3 refuses bucket names ending with "--ol-s3"' },
    { name: 'rag-pipeline-dev-20260101000000000000000001', refusal: undefined },
  ])('bucket $name', ({ name, refusal }) => {
    expect(bucketNameRefusal(name)).toBe(refusal);
  });

  it('security group names starting sg-, whatever the case', () => {
    expect(securityGroupNameRefusal('SG-workers')).toBe('EC2 refuses security group names starting with "sg-"');
    expect(securityGroupNameRefusal('rag-pipeline-dev-worker')).toBeUndefined();
  });
});
