import { loadCapacity, type CapacityDeclaration } from '../../../config/capacity';
import { IMAGE_PARAMETERS } from '../../../contracts';

const REGION = 'us-east-1';

describe('loadCapacity', () => {
  it('gives the documented defaults when nothing is declared or set', () => {
    expect(loadCapacity(undefined, {}, REGION)).toEqual({
      instanceTypes: ['t3.micro'],
      purchaseOption: 'on-demand',
      image: 'ubuntu',
      amiId: `resolve:ssm:${IMAGE_PARAMETERS.ubuntu}`,
      amiSsmParameter: IMAGE_PARAMETERS.ubuntu,
      rootVolumeGib: 8,
      onDemandAfterInterruption: false,
      interruptionRetries: 5,
    });
  });

  it('takes every field of the declaration', () => {
    const declaration: CapacityDeclaration = {
      instanceTypes: ['g5.xlarge', 'g6.xlarge', 'g4dn.xlarge'],
      purchaseOption: 'spot-then-on-demand',
      image: 'gpu',
      rootVolumeGib: 200,
      onDemandAfterInterruption: true,
      interruptionRetries: 2,
    };

    expect(loadCapacity(declaration, {}, REGION)).toEqual({
      instanceTypes: ['g5.xlarge', 'g6.xlarge', 'g4dn.xlarge'],
      purchaseOption: 'spot-then-on-demand',
      image: 'gpu',
      amiId: `resolve:ssm:${IMAGE_PARAMETERS.gpu}`,
      amiSsmParameter: IMAGE_PARAMETERS.gpu,
      rootVolumeGib: 200,
      onDemandAfterInterruption: true,
      interruptionRetries: 2,
    });
  });

  it('lets the environment override the types, the purchase option and the image for one deployment', () => {
    const capacity = loadCapacity(
      { instanceTypes: ['c7i.large', 'c6i.large'], purchaseOption: 'spot' },
      {
        PIPELINE_INSTANCE_TYPE: 'm7i.large',
        PIPELINE_FALLBACK_INSTANCE_TYPES: 'm6i.large, m5.large',
        PIPELINE_PURCHASE_OPTION: 'on-demand',
        PIPELINE_AMI_ID: 'ami-0123456789abcdef0',
      },
      REGION,
    );

    expect(capacity).toMatchObject({ instanceTypes: ['m7i.large', 'm6i.large', 'm5.large'], purchaseOption: 'on-demand', amiId: 'ami-0123456789abcdef0' });
    expect(capacity.amiSsmParameter).toBeUndefined();
  });

  it('puts environment fallbacks after the declared preferred type when PIPELINE_INSTANCE_TYPE is unset', () => {
    expect(loadCapacity({ instanceTypes: ['c7i.large', 'c6i.large'] }, { PIPELINE_FALLBACK_INSTANCE_TYPES: 't3a.micro' }, REGION).instanceTypes).toEqual([
      'c7i.large',
      't3a.micro',
    ]);
  });

  it.each([
    { case: 'Canonical 24.04 gp2', parameter: '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp2/ami-id' },
    { case: 'Canonical 25.04', parameter: '/aws/service/canonical/ubuntu/server/25.04/stable/current/amd64/hvm/ebs-gp3/ami-id' },
    { case: 'the Deep Learning Base GPU image', parameter: IMAGE_PARAMETERS.gpu },
  ])('resolves the AMI through $case', ({ parameter }) => {
    expect(loadCapacity({}, { PIPELINE_AMI_SSM_PARAMETER: parameter }, REGION)).toMatchObject({ amiId: `resolve:ssm:${parameter}`, amiSsmParameter: parameter });
  });

  // The bootstrap signs S3 requests with curl's --aws-sigv4 and its own x-amz-* headers, which curl signs only
  // from 7.86/7.87: 22.04 ships 7.81 and 20.04 7.68 (no --aws-sigv4 at all). These parameters used to pass.
  it.each([
    { case: 'Ubuntu 22.04 (curl 7.81)', release: '22.04' },
    { case: 'Ubuntu 20.04 (curl 7.68)', release: '20.04' },
  ])('refuses an image parameter of $case, whose curl cannot sign the bootstrap\'s S3 requests', ({ release }) => {
    expect(() => loadCapacity({}, { PIPELINE_AMI_SSM_PARAMETER: `/aws/service/canonical/ubuntu/server/${release}/stable/current/amd64/hvm/ebs-gp2/ami-id` }, REGION)).toThrow(
      /PIPELINE_AMI_SSM_PARAMETER must be .* of Ubuntu 24\.04 or later: .*curl/,
    );
    expect(() =>
      loadCapacity({}, { PIPELINE_AMI_SSM_PARAMETER: `/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-${release}/latest/ami-id` }, REGION),
    ).toThrow('PIPELINE_AMI_SSM_PARAMETER must be');
  });

  it.each([
    { case: 'parameter that is not public', env: { PIPELINE_AMI_SSM_PARAMETER: '/my/ami' }, message: 'PIPELINE_AMI_SSM_PARAMETER must be Canonical\'s Ubuntu Server amd64 parameter' },
    { case: 'arm64 Ubuntu parameter', env: { PIPELINE_AMI_SSM_PARAMETER: '/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id' }, message: 'got "/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id"' },
    { case: 'Amazon Linux parameter', env: { PIPELINE_AMI_SSM_PARAMETER: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' }, message: 'got "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"' },
    { case: 'arm64 Deep Learning parameter', env: { PIPELINE_AMI_SSM_PARAMETER: '/aws/service/deeplearning/ami/arm64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id' }, message: 'PIPELINE_AMI_SSM_PARAMETER must be' },
    { case: 'AMI ID of the wrong form', env: { PIPELINE_AMI_ID: 'ubuntu-24.04' }, message: 'PIPELINE_AMI_ID must be an AMI ID such as ami-0123456789abcdef0, got "ubuntu-24.04"' },
    { case: 'instance type of the wrong form', env: { PIPELINE_INSTANCE_TYPE: 'micro' }, message: 'PIPELINE_INSTANCE_TYPE must be an EC2 instance type such as t3.micro, got "micro"' },
    { case: 'Graviton instance type', env: { PIPELINE_INSTANCE_TYPE: 't4g.micro' }, message: 'PIPELINE_INSTANCE_TYPE must be an x86_64 instance type (the worker runtime is linux-x64; Graviton and Mac types cannot run it), got "t4g.micro"' },
    { case: 'Graviton fallback type', env: { PIPELINE_FALLBACK_INSTANCE_TYPES: 't3a.micro,m7g.medium' }, message: 'PIPELINE_FALLBACK_INSTANCE_TYPES must be an x86_64 instance type (the worker runtime is linux-x64; Graviton and Mac types cannot run it), got "m7g.medium"' },
    { case: 'fallback equal to the instance type', env: { PIPELINE_FALLBACK_INSTANCE_TYPES: 't3.micro' }, message: 'PIPELINE_FALLBACK_INSTANCE_TYPES must be at most 19 instance types other than PIPELINE_INSTANCE_TYPE and each other, got "t3.micro"' },
    { case: 'purchase option unknown', env: { PIPELINE_PURCHASE_OPTION: 'cheap' }, message: 'PIPELINE_PURCHASE_OPTION must be one of on-demand, spot, spot-then-on-demand, got "cheap"' },
  ])('refuses a $case, naming the variable', ({ env, message }) => {
    expect(() => loadCapacity({}, env, REGION)).toThrow(message);
  });

  it.each([
    { case: 'empty type list', declaration: { instanceTypes: [] }, message: 'pipeline.config.ts: capacity.instanceTypes must be a list of 1 to 20 instance types, got "[]"' },
    { case: 'Graviton type', declaration: { instanceTypes: ['t3.micro', 'c7g.large'] }, message: 'pipeline.config.ts: capacity.instanceTypes[1] must be an x86_64 instance type' },
    { case: 'repeated type', declaration: { instanceTypes: ['t3.micro', 't3.micro'] }, message: 'pipeline.config.ts: capacity.instanceTypes must be distinct instance types' },
    { case: 'unknown purchase option', declaration: { purchaseOption: 'reserved' }, message: 'pipeline.config.ts: capacity.purchaseOption must be one of on-demand, spot, spot-then-on-demand, got "reserved"' },
    { case: 'unknown image', declaration: { image: 'windows' }, message: 'pipeline.config.ts: capacity.image must be one of ubuntu, gpu, got "windows"' },
    { case: 'root volume too small', declaration: { rootVolumeGib: 4 }, message: 'pipeline.config.ts: capacity.rootVolumeGib must be an integer from 8 to 16384, got "4"' },
    { case: 'fractional root volume', declaration: { rootVolumeGib: 20.5 }, message: 'capacity.rootVolumeGib must be an integer from 8 to 16384, got "20.5"' },
    { case: 'negative interruption retries', declaration: { interruptionRetries: -1 }, message: 'capacity.interruptionRetries must be an integer from 0 to 100, got "-1"' },
    { case: 'switch that is not a boolean', declaration: { onDemandAfterInterruption: 'yes' }, message: 'capacity.onDemandAfterInterruption must be true or false, got "yes"' },
    { case: 'misspelt field', declaration: { instanceType: 't3.micro' }, message: 'pipeline.config.ts: capacity.instanceType is not a setting' },
    {
      case: 'GPU type on the plain image',
      declaration: { instanceTypes: ['g5.xlarge', 't3.large'] },
      message: 'pipeline.config.ts: capacity.image must be "gpu" for g5.xlarge, which has an NVIDIA GPU',
    },
  ])('refuses a declared $case, naming the setting and the value', ({ declaration, message }) => {
    expect(() => loadCapacity(declaration as CapacityDeclaration, {}, REGION)).toThrow(message);
  });

  it('lists every problem of the declaration and the environment together', () => {
    expect(() => loadCapacity({ rootVolumeGib: 1, image: 'windows' as never }, { PIPELINE_PURCHASE_OPTION: 'cheap' }, REGION)).toThrow(
      /capacity\.image .*; .*capacity\.rootVolumeGib .*; PIPELINE_PURCHASE_OPTION/,
    );
  });

  it('refuses the GPU image where its owner is not known (GovCloud, China)', () => {
    expect(() => loadCapacity({ image: 'gpu' }, {}, 'us-gov-west-1')).toThrow('capacity.image must be "ubuntu" in us-gov-west-1');
  });

  it('accepts a GPU type with a pinned AMI, which only the launch can check', () => {
    expect(loadCapacity({ instanceTypes: ['g5.xlarge'] }, { PIPELINE_AMI_ID: 'ami-0123456789abcdef0' }, REGION).instanceTypes).toEqual(['g5.xlarge']);
  });
});
