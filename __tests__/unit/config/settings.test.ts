import { cidrContains, parseIpv4Cidr } from '../../../config/cidr';
import { loadSettings, UBUNTU_2404_AMI_PARAMETER } from '../../../config/settings';

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
      subnetCidr: '10.42.0.0/24',
      availabilityZone: undefined,
      instanceType: 't3.micro',
      autoterminateMinutes: 5,
      maxWorkers: 1,
      messagesPerWorker: 10,
      workerConcurrency: 10,
      schedule: 'rate(1 minute)',
      sshCidr: undefined,
      sshPublicKey: undefined,
      amiId: `resolve:ssm:${UBUNTU_2404_AMI_PARAMETER}`,
      amiSsmParameter: UBUNTU_2404_AMI_PARAMETER,
      queueVisibilityTimeoutSeconds: 300,
      maxReceiveCount: 5,
      deletionProtection: false,
      alarmEmail: undefined,
      queueAgeAlarmSeconds: 900,
      logRetentionDays: 30,
      workerLogExpirationDays: 30,
      state: { backend: 'local', path: undefined },
    });
  });

  it('reads every setting from its PIPELINE_* variable', () => {
    const settings = loadSettings({
      PIPELINE_REGION: 'eu-west-1',
      PIPELINE_ENVIRONMENT: 'prod',
      PIPELINE_NAME_PREFIX: 'files',
      PIPELINE_VPC_CIDR: '172.16.0.0/20',
      PIPELINE_SUBNET_CIDR: '172.16.4.0/22',
      PIPELINE_AVAILABILITY_ZONE: 'eu-west-1b',
      PIPELINE_INSTANCE_TYPE: 'm7i.large',
      PIPELINE_AUTOTERMINATE_MINUTES: '0.5',
      PIPELINE_MAX_WORKERS: '3',
      PIPELINE_MESSAGES_PER_WORKER: '25',
      PIPELINE_WORKER_CONCURRENCY: '8',
      PIPELINE_SCHEDULE: 'cron(0/5 * * * ? *)',
      PIPELINE_SSH_CIDR: '203.0.113.7/32',
      PIPELINE_SSH_PUBLIC_KEY: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample user@host',
      PIPELINE_AMI_ID: 'ami-0123456789abcdef0',
      PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: '900',
      PIPELINE_MAX_RECEIVE_COUNT: '3',
      PIPELINE_DELETION_PROTECTION: 'true',
      PIPELINE_ALARM_EMAIL: 'ops@example.com',
      PIPELINE_QUEUE_AGE_ALARM_SECONDS: '1800',
      PIPELINE_LOG_RETENTION_DAYS: '90',
      PIPELINE_WORKER_LOG_EXPIRATION_DAYS: '7',
    });

    expect(settings).toMatchObject({
      region: 'eu-west-1',
      baseName: 'files-prod',
      defaultTags: { project: 'files', environment: 'prod', 'managed-by': 'cdktf' },
      vpcCidr: '172.16.0.0/20',
      subnetCidr: '172.16.4.0/22',
      availabilityZone: 'eu-west-1b',
      instanceType: 'm7i.large',
      autoterminateMinutes: 0.5,
      maxWorkers: 3,
      messagesPerWorker: 25,
      workerConcurrency: 8,
      schedule: 'cron(0/5 * * * ? *)',
      sshCidr: '203.0.113.7/32',
      sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample user@host',
      amiId: 'ami-0123456789abcdef0',
      queueVisibilityTimeoutSeconds: 900,
      maxReceiveCount: 3,
      deletionProtection: true,
      alarmEmail: 'ops@example.com',
      queueAgeAlarmSeconds: 1800,
      logRetentionDays: 90,
      workerLogExpirationDays: 7,
    });
    expect(settings.amiSsmParameter).toBeUndefined();
  });

  it('resolves the AMI through a configured public parameter', () => {
    const parameter = '/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id';

    const settings = loadSettings({ PIPELINE_AMI_SSM_PARAMETER: parameter });

    expect(settings.amiId).toBe(`resolve:ssm:${parameter}`);
    expect(settings.amiSsmParameter).toBe(parameter);
  });

  it('ignores blank values as unset', () => {
    expect(loadSettings({ PIPELINE_SSH_CIDR: '  ', PIPELINE_MAX_WORKERS: '' })).toMatchObject({ sshCidr: undefined, maxWorkers: 1 });
  });

  it.each([
    { $case: 'rate of minutes', schedule: 'rate(5 minutes)' },
    { $case: 'rate of one hour', schedule: 'rate(1 hour)' },
    { $case: 'rate of days', schedule: 'rate(2 days)' },
    { $case: 'cron with six fields', schedule: 'cron(15 10 ? * MON-FRI *)' },
  ])('accepts the schedule $schedule ($case)', ({ schedule }) => {
    expect(loadSettings({ PIPELINE_SCHEDULE: schedule }).schedule).toBe(schedule);
  });

  it('keeps state locally by default and in S3 with a derived key when a bucket is set', () => {
    expect(loadSettings({ PIPELINE_STATE_PATH: '/tmp/x/terraform.tfstate' }).state).toEqual({
      backend: 'local',
      path: '/tmp/x/terraform.tfstate',
    });
    expect(loadSettings({ PIPELINE_STATE_BUCKET: 'my-state', PIPELINE_REGION: 'eu-west-1' }).state).toEqual({
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
    { $case: 'CIDR that does not parse', env: { PIPELINE_VPC_CIDR: '10.0.0/16' }, message: 'PIPELINE_VPC_CIDR must be an IPv4 network block from /16 to /28 such as 10.42.0.0/16, got "10.0.0/16"' },
    { $case: 'CIDR octet out of range', env: { PIPELINE_VPC_CIDR: '10.0.300.0/24' }, message: 'got "10.0.300.0/24"' },
    { $case: 'CIDR with host bits set', env: { PIPELINE_VPC_CIDR: '10.0.0.1/16' }, message: 'PIPELINE_VPC_CIDR must be an IPv4 network block' },
    { $case: 'VPC larger than /16', env: { PIPELINE_VPC_CIDR: '10.0.0.0/8' }, message: 'got "10.0.0.0/8"' },
    { $case: 'subnet that does not parse', env: { PIPELINE_SUBNET_CIDR: 'subnet-a' }, message: 'PIPELINE_SUBNET_CIDR must be an IPv4 network block from /16 to /28 such as 10.42.1.0/24, got "subnet-a"' },
    { $case: 'subnet outside the VPC', env: { PIPELINE_SUBNET_CIDR: '10.43.1.0/24' }, message: 'PIPELINE_SUBNET_CIDR must be inside PIPELINE_VPC_CIDR (10.42.0.0/16), got "10.43.1.0/24"' },
    { $case: 'subnet larger than the VPC', env: { PIPELINE_VPC_CIDR: '10.42.0.0/24', PIPELINE_SUBNET_CIDR: '10.42.0.0/16' }, message: 'PIPELINE_SUBNET_CIDR must be inside PIPELINE_VPC_CIDR (10.42.0.0/24), got "10.42.0.0/16"' },
    { $case: 'auto-terminate of zero', env: { PIPELINE_AUTOTERMINATE_MINUTES: '0' }, message: 'PIPELINE_AUTOTERMINATE_MINUTES must be a positive number no greater than 1440, got "0"' },
    { $case: 'negative auto-terminate', env: { PIPELINE_AUTOTERMINATE_MINUTES: '-5' }, message: 'PIPELINE_AUTOTERMINATE_MINUTES must be a positive number no greater than 1440, got "-5"' },
    { $case: 'auto-terminate that is not a number', env: { PIPELINE_AUTOTERMINATE_MINUTES: 'abc' }, message: 'got "abc"' },
    { $case: 'max workers of zero', env: { PIPELINE_MAX_WORKERS: '0' }, message: 'PIPELINE_MAX_WORKERS must be an integer from 1 to 100, got "0"' },
    { $case: 'fractional max workers', env: { PIPELINE_MAX_WORKERS: '1.5' }, message: 'PIPELINE_MAX_WORKERS must be an integer from 1 to 100, got "1.5"' },
    { $case: 'messages per worker of zero', env: { PIPELINE_MESSAGES_PER_WORKER: '0' }, message: 'PIPELINE_MESSAGES_PER_WORKER must be an integer from 1 to 10000, got "0"' },
    { $case: 'worker concurrency of zero', env: { PIPELINE_WORKER_CONCURRENCY: '0' }, message: 'PIPELINE_WORKER_CONCURRENCY must be an integer from 1 to 100, got "0"' },
    { $case: 'schedule neither rate nor cron', env: { PIPELINE_SCHEDULE: 'every minute' }, message: 'PIPELINE_SCHEDULE must be rate(<n> minute|minutes|hour|hours|day|days) or cron(<6 fields>), got "every minute"' },
    { $case: 'rate with a plural unit for 1', env: { PIPELINE_SCHEDULE: 'rate(1 minutes)' }, message: 'got "rate(1 minutes)"' },
    { $case: 'rate with a singular unit for 5', env: { PIPELINE_SCHEDULE: 'rate(5 minute)' }, message: 'got "rate(5 minute)"' },
    { $case: 'rate of zero', env: { PIPELINE_SCHEDULE: 'rate(0 minutes)' }, message: 'got "rate(0 minutes)"' },
    { $case: 'cron with five fields', env: { PIPELINE_SCHEDULE: 'cron(* * * * *)' }, message: 'got "cron(* * * * *)"' },
    { $case: 'SSH CIDR that does not parse', env: { PIPELINE_SSH_CIDR: 'my-ip' }, message: 'PIPELINE_SSH_CIDR must be an IPv4 network block such as 203.0.113.7/32, got "my-ip"' },
    { $case: 'SSH open to the internet', env: { PIPELINE_SSH_CIDR: '0.0.0.0/0' }, message: 'PIPELINE_SSH_CIDR must be narrower than the whole internet, got "0.0.0.0/0"' },
    { $case: 'public key that is not OpenSSH', env: { PIPELINE_SSH_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----' }, message: 'PIPELINE_SSH_PUBLIC_KEY must be an OpenSSH public key' },
    { $case: 'AMI ID of the wrong form', env: { PIPELINE_AMI_ID: 'ubuntu-24.04' }, message: 'PIPELINE_AMI_ID must be an AMI ID such as ami-0123456789abcdef0, got "ubuntu-24.04"' },
    { $case: 'AMI parameter that is not public', env: { PIPELINE_AMI_SSM_PARAMETER: '/my/ami' }, message: 'PIPELINE_AMI_SSM_PARAMETER must be a public SSM parameter path under /aws/service/, got "/my/ami"' },
    { $case: 'region of the wrong form', env: { PIPELINE_REGION: 'US East' }, message: 'PIPELINE_REGION must be an AWS region name such as us-east-1, got "US East"' },
    { $case: 'availability zone without a letter', env: { PIPELINE_AVAILABILITY_ZONE: 'us-east-1' }, message: 'PIPELINE_AVAILABILITY_ZONE must be an availability zone name such as us-east-1a, got "us-east-1"' },
    { $case: 'environment with capitals', env: { PIPELINE_ENVIRONMENT: 'Prod' }, message: 'PIPELINE_ENVIRONMENT must be lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen, got "Prod"' },
    { $case: 'name prefix ending in a hyphen', env: { PIPELINE_NAME_PREFIX: 'rag-' }, message: 'PIPELINE_NAME_PREFIX must be lowercase letters' },
    { $case: 'names too long together', env: { PIPELINE_NAME_PREFIX: 'a-very-long-project-name', PIPELINE_ENVIRONMENT: 'staging-eu-west' }, message: 'PIPELINE_NAME_PREFIX and PIPELINE_ENVIRONMENT must be at most 36 characters together ("<prefix>-<environment>"), got "a-very-long-project-name-staging-eu-west"' },
    { $case: 'instance type of the wrong form', env: { PIPELINE_INSTANCE_TYPE: 'micro' }, message: 'PIPELINE_INSTANCE_TYPE must be an EC2 instance type such as t3.micro, got "micro"' },
    { $case: 'visibility timeout below the heartbeat minimum', env: { PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: '30' }, message: 'PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS must be an integer from 60 to 43200, got "30"' },
    { $case: 'visibility timeout above SQS maximum', env: { PIPELINE_QUEUE_VISIBILITY_TIMEOUT_SECONDS: '43201' }, message: 'got "43201"' },
    { $case: 'max receive count of zero', env: { PIPELINE_MAX_RECEIVE_COUNT: '0' }, message: 'PIPELINE_MAX_RECEIVE_COUNT must be an integer from 1 to 1000, got "0"' },
    { $case: 'deletion protection not a boolean', env: { PIPELINE_DELETION_PROTECTION: 'yes' }, message: 'PIPELINE_DELETION_PROTECTION must be "true" or "false", got "yes"' },
    { $case: 'alarm e-mail without a domain', env: { PIPELINE_ALARM_EMAIL: 'ops' }, message: 'PIPELINE_ALARM_EMAIL must be an e-mail address, got "ops"' },
    { $case: 'queue-age alarm under a minute', env: { PIPELINE_QUEUE_AGE_ALARM_SECONDS: '10' }, message: 'PIPELINE_QUEUE_AGE_ALARM_SECONDS must be an integer from 60 to 1209600, got "10"' },
    { $case: 'log retention CloudWatch does not offer', env: { PIPELINE_LOG_RETENTION_DAYS: '10' }, message: 'PIPELINE_LOG_RETENTION_DAYS must be one of 1, 3, 5, 7, 14, 30,' },
    { $case: 'worker log expiry of zero', env: { PIPELINE_WORKER_LOG_EXPIRATION_DAYS: '0' }, message: 'PIPELINE_WORKER_LOG_EXPIRATION_DAYS must be an integer from 1 to 3650, got "0"' },
    { $case: 'state key without a bucket', env: { PIPELINE_STATE_KEY: 'a/b.tfstate' }, message: 'PIPELINE_STATE_KEY must be unset unless PIPELINE_STATE_BUCKET is set, got "a/b.tfstate"' },
    { $case: 'state region without a bucket', env: { PIPELINE_STATE_REGION: 'us-east-1' }, message: 'PIPELINE_STATE_REGION must be unset unless PIPELINE_STATE_BUCKET is set, got "us-east-1"' },
    { $case: 'state bucket of the wrong form', env: { PIPELINE_STATE_BUCKET: 'My_Bucket' }, message: 'PIPELINE_STATE_BUCKET must be an S3 bucket name, got "My_Bucket"' },
    { $case: 'state path without .tfstate', env: { PIPELINE_STATE_PATH: 'state.json' }, message: 'PIPELINE_STATE_PATH must be a file path ending in .tfstate, got "state.json"' },
  ])('rejects a $case, naming the setting and the value', ({ env, message }) => {
    expect(() => loadSettings(env)).toThrow(message);
  });
});

describe('IPv4 CIDR parsing', () => {
  it('parses a network block into its network address and prefix', () => {
    expect(parseIpv4Cidr('10.42.0.0/16')).toEqual({ text: '10.42.0.0/16', network: 10 * 2 ** 24 + 42 * 2 ** 16, prefixLength: 16 });
  });

  it.each([
    { $case: 'inside', outer: '10.42.0.0/16', inner: '10.42.255.0/24', contained: true },
    { $case: 'equal', outer: '10.42.0.0/24', inner: '10.42.0.0/24', contained: true },
    { $case: 'neighbouring block', outer: '10.42.0.0/16', inner: '10.43.0.0/24', contained: false },
    { $case: 'wider than the outer', outer: '10.42.0.0/24', inner: '10.42.0.0/23', contained: false },
    { $case: 'top of the address space', outer: '255.255.255.0/24', inner: '255.255.255.240/28', contained: true },
  ])('decides containment: $case', ({ outer, inner, contained }) => {
    expect(cidrContains(parseIpv4Cidr(outer)!, parseIpv4Cidr(inner)!)).toBe(contained);
  });
});
