import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { StreamRecordMessage } from '../../contracts';
import type { Pattern } from './filter-matcher';
import { renderInputTemplate } from './input-template';
import { SEND_ATTEMPTS, type PipeTarget } from './pipe';

/** A pipe whose target is an event bus, as Terraform deployed it (its target parameters). */
export interface EventBusPipe {
  readonly name: string;
  /** The bus's name, from the pipe's target ARN (`…:event-bus/<name>`). */
  readonly eventBusName: string;
  readonly filterPatterns: readonly Pattern[];
  /** Records per PutEvents; at most 10 for an event bus target. */
  readonly batchSize: number;
  readonly inputTemplate: string;
  readonly source: string;
  readonly detailType: string;
  readonly resources: readonly string[];
}

/** The PutEvents entry the pipe sends for one record: the rendered template is the event's detail. */
export function toEventEntry(pipe: EventBusPipe, message: StreamRecordMessage): PutEventsRequestEntry {
  return {
    EventBusName: pipe.eventBusName,
    Source: pipe.source,
    DetailType: pipe.detailType,
    Resources: [...pipe.resources],
    Detail: JSON.stringify(renderInputTemplate(pipe.inputTemplate, message)),
  };
}

/** Delivers a pipe's batches to the emulated bus with PutEvents; the emulator then runs the bus's rules. */
export function eventBusTarget(pipe: EventBusPipe, events: EventBridgeClient): PipeTarget {
  return {
    name: pipe.name,
    filterPatterns: pipe.filterPatterns,
    batchSize: pipe.batchSize,
    async send(batch, abortSignal) {
      let pending = batch.map((message) => toEventEntry(pipe, message));
      for (let attempt = 1; pending.length > 0; attempt++) {
        const { Entries = [] } = await events.send(new PutEventsCommand({ Entries: pending }), { abortSignal });
        // PutEvents answers entry by entry, in order; a failed entry has an ErrorCode.
        const failed = pending.filter((_, index) => Entries[index]?.ErrorCode !== undefined);
        if (failed.length > 0 && attempt >= SEND_ATTEMPTS) {
          throw new Error(`PutEvents refused ${failed.length} event(s) ${SEND_ATTEMPTS} times: ${JSON.stringify(Entries.filter((entry) => entry.ErrorCode))}`);
        }
        pending = failed;
      }
    },
  };
}
