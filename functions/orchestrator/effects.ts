import { paginateDescribeInstances, RunInstancesCommand, type EC2Client, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';

const DESCRIBE_PAGE_SIZE = 100;

/** IDs of the instances carrying the worker tag that are pending or running, across every page. */
export async function listActiveWorkers(ec2: EC2Client, tag: { readonly key: string; readonly value: string }): Promise<string[]> {
  const ids: string[] = [];
  const pages = paginateDescribeInstances(
    { client: ec2, pageSize: DESCRIBE_PAGE_SIZE },
    {
      Filters: [
        { Name: `tag:${tag.key}`, Values: [tag.value] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
    },
  );
  for await (const page of pages) {
    for (const reservation of page.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        if (instance.InstanceId) ids.push(instance.InstanceId);
      }
    }
  }
  return ids;
}

/** Launches one instance and returns its ID. */
export async function launchInstance(ec2: EC2Client, input: RunInstancesCommandInput): Promise<string> {
  const { Instances: instances = [] } = await ec2.send(new RunInstancesCommand(input));
  const instanceId = instances[0]?.InstanceId;
  if (!instanceId) throw new Error(`RunInstances (client token ${input.ClientToken}) returned no instance`);
  return instanceId;
}
