import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { destroyClients, emulatorClients, type EmulatorClients } from '../../../local/emulator/clients';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startEmulator, type Emulator } from '../../../local/emulator/moto';
import { startClientTokenProxy, type ClientTokenProxy } from '../../../local/standins/client-tokens';

// The local run's stand-in for EC2's ClientToken idempotency, which moto lacks: the orchestrator's overlapping
// runs (the wake queue's and the schedule's) must get one instance per token, as in AWS.
// A deadline against hangs, with room for a loaded machine (the flake hunt's stress).
jest.setTimeout(120_000);

let emulator: Emulator;
let clients: EmulatorClients;
let proxy: ClientTokenProxy;
let throughProxy: EC2Client;

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
});
afterEach(async () => {
  throughProxy.destroy();
  await proxy.close();
});

const launch = (client: EC2Client, token: string) =>
  client.send(new RunInstancesCommand({ ImageId: 'ami-785db401', InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, ClientToken: token }));
const instanceCount = async () => {
  const { Reservations = [] } = await clients.ec2.send(new DescribeInstancesCommand({}));
  return Reservations.flatMap((reservation) => reservation.Instances ?? []).length;
};

it('launches one instance for concurrent requests with the same token, and returns it to each', async () => {
  const answers = await Promise.all([launch(throughProxy, 'slot-0'), launch(throughProxy, 'slot-0'), launch(throughProxy, 'slot-0')]);

  const ids = answers.map((answer) => answer.Instances?.[0]?.InstanceId);
  expect(new Set(ids).size).toBe(1);
  expect(await instanceCount()).toBe(1);
  expect(proxy.replays()).toBeGreaterThanOrEqual(2);
});

it('launches one instance per distinct token', async () => {
  await Promise.all([launch(throughProxy, 'slot-0'), launch(throughProxy, 'slot-1')]);

  expect(await instanceCount()).toBe(2);
});

it("answers IdempotentInstanceTerminated for the token of a terminated instance, as EC2 does", async () => {
  const first = await launch(throughProxy, 'slot-0-gen-0');
  await clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [first.Instances![0].InstanceId!] }));

  await expect(launch(throughProxy, 'slot-0-gen-0')).rejects.toMatchObject({ name: 'IdempotentInstanceTerminated' });
  expect(await instanceCount()).toBe(1);
});

it('is needed: the emulator alone launches a second instance for a reused token', async () => {
  await launch(clients.ec2, 'slot-0');
  await launch(clients.ec2, 'slot-0');

  expect(await instanceCount()).toBe(2);
});
