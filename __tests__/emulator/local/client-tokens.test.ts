import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  EC2Client,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { destroyClients, emulatorClients, type EmulatorClients } from '../../../local/emulator/clients';
import { EmulatorImages } from '../../../local/emulator/images';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startEmulator, type Emulator } from '../../../local/emulator/moto';
import { startClientTokenProxy, type ClientTokenProxy } from '../../../local/standins/client-tokens';

// The local run's stand-in for what moto's CreateFleet lacks: ClientToken idempotency (the orchestrator's
// overlapping runs, the wake queue's and the schedule's, must get one instance per token, as in AWS) and the
// request's user data, which moto's request model drops.
// A deadline against hangs, with room for a loaded machine (the flake hunt's stress).
jest.setTimeout(120_000);

let emulator: Emulator;
let clients: EmulatorClients;
let proxy: ClientTokenProxy;
let throughProxy: EC2Client;
let templateId: string;
let subnetId: string;

beforeAll(async () => {
  emulator = await startEmulator();
  clients = emulatorClients(emulator.endpoint, EMULATOR_REGION);
});
afterAll(async () => {
  if (clients) destroyClients(clients);
  await emulator?.stop();
});
// A fresh emulator state and a fresh proxy (its tokens) for each test.
beforeEach(async () => {
  await emulator.reset();
  proxy = await startClientTokenProxy(emulator.endpoint, clients.ec2);
  throughProxy = new EC2Client({
    endpoint: proxy.endpoint,
    region: EMULATOR_REGION,
    credentials: { accessKeyId: EMULATOR_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
  });
  const { LaunchTemplate } = await clients.ec2.send(
    new CreateLaunchTemplateCommand({ LaunchTemplateName: 'workers', LaunchTemplateData: { InstanceInitiatedShutdownBehavior: 'terminate' } }),
  );
  templateId = LaunchTemplate!.LaunchTemplateId!;
  const { Vpc } = await clients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }));
  subnetId = (await clients.ec2.send(new CreateSubnetCommand({ VpcId: Vpc!.VpcId, CidrBlock: '10.42.1.0/24' }))).Subnet!.SubnetId!;
});
afterEach(async () => {
  throughProxy.destroy();
  await proxy.close();
});

const launch = (client: EC2Client, token: string, userData = Buffer.from('#!/bin/bash\necho hello\n').toString('base64')) =>
  client.send(
    new CreateFleetCommand({
      Type: 'instant',
      ClientToken: token,
      TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'on-demand' },
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: { LaunchTemplateId: templateId, Version: '1', LaunchTemplateSpecificationUserData: userData },
          Overrides: [{ ImageId: EmulatorImages.ubuntu2404, InstanceType: 't3.micro', SubnetId: subnetId }],
        },
      ],
    }),
  );
const instanceIds = async () => {
  const { Reservations = [] } = await clients.ec2.send(new DescribeInstancesCommand({}));
  return Reservations.flatMap((reservation) => reservation.Instances ?? []).map((instance) => instance.InstanceId!);
};

it('launches one instance for concurrent requests with the same token, and returns it to each', async () => {
  const answers = await Promise.all([launch(throughProxy, 'slot-0'), launch(throughProxy, 'slot-0'), launch(throughProxy, 'slot-0')]);

  const ids = answers.map((answer) => answer.Instances?.[0]?.InstanceIds?.[0]);
  expect(new Set(ids).size).toBe(1);
  expect(await instanceIds()).toEqual([ids[0]]);
  expect(proxy.replays()).toBeGreaterThanOrEqual(2);
});

it('launches one instance per distinct token', async () => {
  await Promise.all([launch(throughProxy, 'slot-0'), launch(throughProxy, 'slot-1')]);

  expect(await instanceIds()).toHaveLength(2);
});

it('answers a repeated token with its instance even after that instance terminated, as EC2 does, and launches nothing', async () => {
  const first = await launch(throughProxy, 'slot-0-gen-0');
  const instanceId = first.Instances![0].InstanceIds![0];
  await clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));

  const again = await launch(throughProxy, 'slot-0-gen-0');

  expect(again.Instances![0].InstanceIds).toEqual([instanceId]);
  expect(await instanceIds()).toEqual([instanceId]);
});

it('puts the request’s user data on the instance, which moto drops', async () => {
  const script = '#!/bin/bash\nexport SQS_QUEUE_URL=\'http://127.0.0.1/queue\'\n';
  const answer = await launch(throughProxy, 'slot-0', Buffer.from(script).toString('base64'));

  const { UserData } = await clients.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: answer.Instances![0].InstanceIds![0], Attribute: 'userData' }));
  expect(Buffer.from(UserData?.Value ?? '', 'base64').toString('utf8')).toBe(script);
});

it('is needed: the emulator alone launches a second instance for a reused token, and keeps no user data', async () => {
  const first = await launch(clients.ec2, 'slot-0');
  await launch(clients.ec2, 'slot-0');

  expect(await instanceIds()).toHaveLength(2);
  const { UserData } = await clients.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: first.Instances![0].InstanceIds![0], Attribute: 'userData' }));
  expect(UserData?.Value ?? '').toBe('');
});
