import { ENDPOINT_ENV, OrchestratorLogEvent } from '../../contracts';
import { createClients } from './clients';
import { loadConfig } from './config';
import { createHandler, type InvocationContext, type OrchestratorEvent, type OrchestratorHandler, type TickSummary } from './handler';
import { createLogger } from './logger';
import { createLaunchMetrics } from './metrics';

export type { OrchestratorEvent, QueueBatchEvent, ScheduledEvent, TickSummary } from './handler';

let ready: Promise<OrchestratorHandler> | undefined;

/**
 * The Lambda entry point (`index.handler`). The first invocation of a container reads and validates the
 * configuration, renders the user data and builds the clients; a bad configuration fails every invocation
 * of that container with a message naming each variable, so the Lambda Errors alarm fires. Importing this
 * module does nothing.
 */
export async function handler(event: OrchestratorEvent, context?: InvocationContext): Promise<TickSummary> {
  ready ??= Promise.resolve().then(coldStart);
  const tick = await ready;
  return tick(event, context);
}

function coldStart(): OrchestratorHandler {
  const logger = createLogger();
  try {
    const config = loadConfig(process.env);
    // The emulator serves S3 on 127.0.0.1, where bucket subdomains do not resolve.
    const clients = createClients({ region: config.region, forcePathStyle: Boolean(process.env[ENDPOINT_ENV]) });
    return createHandler({ config, clients, logger, metrics: createLaunchMetrics(config.functionName) });
  } catch (error) {
    logger.fatal({ event: OrchestratorLogEvent.coldStartFailed, err: error }, (error as Error).message);
    throw error;
  }
}
