/**
 * `learning.progress`: the learning journey's consumer of the CRM's, the service business's and the
 * integration hub's events. Each delivered event
 * is recorded for the user who acted and advances their progress; the onboarding events that
 * follow are published caused by it. All of it runs in the delivery's transaction (the handler
 * runs inside it, so `Progression`'s statements and the `EventSink`'s outbox rows join it with the
 * dispatcher's inbox row): a redelivered event changes nothing and publishes nothing.
 */
import * as CrmEvents from "@tessera/contracts/crm/Events"
import * as IntegrationEvents from "@tessera/contracts/integration-hub/Events"
import * as ServiceEvents from "@tessera/contracts/service-business/Events"
import * as Consumer from "@tessera/dispatcher/Consumer"
import type { DecodedEnvelope } from "@tessera/envelope/Envelope"
import type { AnyEventDefinition, PayloadOf } from "@tessera/envelope/EventDefinition"
import { type EmitContext, EventSink } from "@tessera/envelope/EventSink"
import * as Payload from "@tessera/envelope/Payload"
import { Effect, Option, Schema } from "effect"
import { type IncomingEvent, Progression, type RecordResult, toOutgoing } from "../services/Progression.ts"

/**
 * The events the learning journey consumes, declared once: the consumer handles each, and
 * `packages/contracts/src/registry.ts` names `learning` as a consumer of each. `deal.won` is taken
 * at version 2, the version the CRM emits; events stored as version 1 arrive upcast (see the
 * registry), and steps written against version 1 still match them (`domain/Conditions.ts`).
 */
export const consumes = [
  CrmEvents.PipelineCreated,
  CrmEvents.ContactCreated,
  CrmEvents.DealCreated,
  CrmEvents.DealMoved,
  CrmEvents.DealWonV2,
  CrmEvents.TaskCompleted,
  ServiceEvents.ClientCreated,
  ServiceEvents.JobScheduled,
  ServiceEvents.JobCompleted,
  ServiceEvents.InvoiceIssued,
  ServiceEvents.InvoicePaid,
  IntegrationEvents.ConnectionCreated,
  IntegrationEvents.FieldMappingAdded,
  IntegrationEvents.SyncCompleted
] as const

const JsonObject = Schema.Record(Schema.String, Schema.Unknown)

/** The learner an event advances: the user who acted. Events of services and the system advance nobody. */
export const learnerOf = (envelope: Pick<DecodedEnvelope<unknown>, "actor">): Option.Option<string> =>
  envelope.actor.type === "user" ? Option.some(envelope.actor.id) : Option.none()

/** The event as `Progression.record` takes it: its id, type, version, JSON payload and time. */
export const toIncoming = <D extends AnyEventDefinition>(definition: D, envelope: DecodedEnvelope<PayloadOf<D>>) =>
  Effect.gen(function* () {
    const json = yield* Payload.encode(definition, envelope.payload)
    const payload = yield* Schema.decodeUnknownEffect(JsonObject)(json)
    const incoming: IncomingEvent = {
      eventId: envelope.event_id,
      eventType: envelope.event_type,
      eventVersion: definition.version,
      payload,
      occurredAt: new Date(envelope.occurred_at)
    }
    return incoming
  })

/** How the onboarding events caused by a delivered event are published: by the learning domain, caused by it. */
export const emitContextOf = (envelope: DecodedEnvelope<unknown>): EmitContext => ({
  producer: "learning",
  organizationId: envelope.organization_id,
  actor: envelope.actor,
  correlationId: envelope.correlation_id,
  causationId: envelope.event_id,
  ...(envelope.traceparent === undefined ? {} : { traceparent: envelope.traceparent })
})

/**
 * Records a delivered event for its actor and publishes the resulting onboarding events. A
 * redelivered event id changes nothing and publishes nothing. `undefined` when no user acted.
 */
export const handle = <D extends AnyEventDefinition>(definition: D, envelope: DecodedEnvelope<PayloadOf<D>>) =>
  Effect.gen(function* () {
    const learner = learnerOf(envelope)
    if (Option.isNone(learner)) return undefined
    const progression = yield* Progression
    const sink = yield* EventSink
    const incoming = yield* toIncoming(definition, envelope)
    const result: RecordResult = yield* progression.record(envelope.organization_id, learner.value, incoming)
    if (result.emissions.length > 0) {
      yield* sink.publish(result.emissions.map(toOutgoing), emitContextOf(envelope))
    }
    return result
  })

/**
 * Ordered by actor: the handler keeps progress per learner (the user who acted), so one event per
 * learner is in flight at a time, in order, whatever the deal or invoice it is about; lanes never
 * contend for the same learner's rows. With one key per learner there are few keys at once, so
 * more lanes with small transactions keep up where four lanes of sixteen did not: measured with the
 * CRM at saturation (`pnpm --filter @tessera/stack bench`), four lanes of up to 16 events drained
 * 0.79× the CRM's event rate, eight lanes of up to 4 kept up (1.00×, lag 1 when the CRM stopped).
 */
export const ProgressConsumer = Consumer.make({
  name: "learning.progress",
  domain: "learning",
  sequence: "actor",
  concurrency: 8,
  transactionSize: 4,
  handlers: consumes.map((definition) => Consumer.on(definition, (event) => handle(definition, event)))
})
