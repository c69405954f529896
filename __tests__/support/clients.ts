import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { emulatorClients, type EmulatorClients } from '../../local/emulator/clients';
import { EMULATOR_REGION, EMULATOR_SDK_CREDENTIALS } from '../../local/emulator/moto';

/** The one client configuration for the emulator: its endpoint, region and fake credentials. */
export function emulatorClientConfig(endpoint: string) {
  return { endpoint, region: EMULATOR_REGION, credentials: EMULATOR_SDK_CREDENTIALS };
}

/** Every client a suite reads or prepares the emulator with: the local run's set, a document client and CloudWatch. */
export interface KitClients extends EmulatorClients {
  readonly documents: DynamoDBDocumentClient;
  readonly cloudwatch: CloudWatchClient;
  destroy(): void;
}

export function kitClients(endpoint: string): KitClients {
  const clients = emulatorClients(endpoint, EMULATOR_REGION);
  const documents = DynamoDBDocumentClient.from(clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const cloudwatch = new CloudWatchClient(emulatorClientConfig(endpoint));
  return {
    ...clients,
    documents,
    cloudwatch,
    destroy() {
      for (const client of Object.values(clients)) client.destroy();
      cloudwatch.destroy();
    },
  };
}
