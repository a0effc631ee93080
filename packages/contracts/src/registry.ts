/**
 * Tessera's event registry: every event type with its single producer, its consumers, its
 * owning contract and its schema versions with their lifecycle. The outbox refuses events that
 * are not here (or not from their producer), and a consumer may only subscribe to events that
 * name its domain as a consumer. `registry.generated.json` is its JSON export, checked current.
 *
 * A published version never changes: to change a payload, add version 2 with `upcastFrom`.
 */
import { make, upcaster, version } from "@tessera/envelope/Registry"
import {
  ContactCreated,
  DealCreated,
  DealLost,
  DealMoved,
  DealWon,
  DealWonV2,
  PipelineCreated,
  TaskCompleted,
  upcastDealWonV1
} from "./crm/Events.ts"
import {
  ConnectionCreated,
  FieldMappingAdded,
  RecordSynced,
  SyncCompleted,
  SyncConfigCreated,
  SyncFailed,
  SyncRequested,
  SyncStarted
} from "./integration-hub/Events.ts"
import { OnboardingCompleted, OnboardingStarted, OnboardingStepCompleted } from "./learning-journey/Events.ts"
import {
  ClientCreated,
  InvoiceIssued,
  InvoicePaid,
  JobCompleted,
  JobScheduled,
  PaymentReceived,
  QuoteAccepted,
  QuoteSent
} from "./service-business/Events.ts"

const v1 = (notes: string) => ({ status: "active" as const, registeredAt: "2026-11-21", notes })
const serviceV1 = (notes: string) => ({ status: "active" as const, registeredAt: "2026-11-30", notes })

/**
 * `deal.won` is the registry's first versioned event, and shows the lifecycle end to end:
 *
 * 1. v2 is added beside v1 (never an edit of v1: published schemas are frozen, and
 *    `event-schemas.generated.json` fails CI if one changes), with `upcastFrom` turning any v1
 *    payload into a valid v2 one.
 * 2. Consumers move to v2 first (`learning.progress`, `service.crmDeals`): a consumer written for
 *    v2 receives events stored as v1 through the upcaster, so history and in-flight events still
 *    reach it. A consumer still on v1 would dead-letter v2 events (no down-casting), so no consumer
 *    may stay on a version older than what the producer emits.
 * 3. The producer (the CRM's `crm.deal.win`) switches to v2, and v1 is marked `deprecated` on the
 *    same day: the outbox refuses v1 from its cutover (`deprecatedAt` + 14 days, 2026-12-14) on.
 * 4. Later, v1 becomes `retired` (kept here for its schema and its upcaster; never emitted again).
 */
const DEAL_WON_V2_FROM = "2026-11-30"

export const registry = make({
  "pipeline.created": {
    producer: "crm",
    consumers: ["learning"],
    owningContract: "crm.pipeline.create",
    versions: [version(PipelineCreated, v1("A pipeline and its ordered stages."))]
  },
  "deal.created": {
    producer: "crm",
    consumers: ["learning"],
    owningContract: "crm.deal.create",
    versions: [version(DealCreated, v1("A deal opened in a pipeline stage."))]
  },
  "deal.moved": {
    producer: "crm",
    consumers: ["learning"],
    owningContract: "crm.deal.move",
    versions: [version(DealMoved, v1("An open deal changed stage; from and to stage."))]
  },
  "deal.won": {
    producer: "crm",
    consumers: ["learning", "service"],
    owningContract: "crm.deal.win",
    versions: [
      version(DealWon, {
        status: "deprecated",
        registeredAt: "2026-11-21",
        deprecatedAt: DEAL_WON_V2_FROM,
        notes:
          "A deal was won. Deprecated by v2 (no deal name, contact or company); producers cut over on 2026-12-14, stored v1 events reach v2 consumers through v2's upcaster."
      }),
      version(DealWonV2, {
        status: "active",
        registeredAt: DEAL_WON_V2_FROM,
        activeFrom: DEAL_WON_V2_FROM,
        notes:
          "A deal was won, with its name and its contact's and company's ids and display names (contactName is personal data). Upcast from v1: named after the deal id, no contact or company.",
        upcastFrom: upcaster(DealWon, DealWonV2, upcastDealWonV1)
      })
    ]
  },
  "deal.lost": {
    producer: "crm",
    consumers: [],
    owningContract: "crm.deal.lose",
    versions: [version(DealLost, v1("A deal was lost, with its reason."))]
  },
  "contact.created": {
    producer: "crm",
    consumers: ["learning", "integration"],
    owningContract: "crm.contact.create",
    versions: [version(ContactCreated, v1("A contact was added; ids only, no personal data."))]
  },
  "task.completed": {
    producer: "crm",
    consumers: ["learning"],
    owningContract: "crm.task.complete",
    versions: [version(TaskCompleted, v1("A task was completed; carries its type."))]
  },
  "onboarding.started": {
    producer: "learning",
    consumers: [],
    owningContract: "learning.onboarding.recordEvent",
    versions: [version(OnboardingStarted, v1("A learner started a track."))]
  },
  "onboarding.step_completed": {
    producer: "learning",
    consumers: [],
    owningContract: "learning.onboarding.recordEvent",
    versions: [version(OnboardingStepCompleted, v1("A learner completed a step of a track."))]
  },
  "onboarding.completed": {
    producer: "learning",
    consumers: [],
    owningContract: "learning.onboarding.recordEvent",
    versions: [version(OnboardingCompleted, v1("A learner completed a track."))]
  },
  "integration.connection.created": {
    producer: "integration",
    consumers: ["learning"],
    owningContract: "integration.connection.create",
    versions: [version(ConnectionCreated, v1("A connection was created; its id and connector kind only."))]
  },
  "integration.mapping.added": {
    producer: "integration",
    consumers: ["learning"],
    owningContract: "integration.fieldMapping.add",
    versions: [version(FieldMappingAdded, v1("A field mapping was added to a sync config."))]
  },
  "integration.syncConfig.created": {
    producer: "integration",
    consumers: [],
    owningContract: "integration.syncConfig.create",
    versions: [version(SyncConfigCreated, v1("A sync configuration was created."))]
  },
  "integration.sync.requested": {
    producer: "integration",
    consumers: ["integration"],
    owningContract: "integration.sync.trigger",
    versions: [version(SyncRequested, v1("A page of a sync run is due; the hub's own workers run it."))]
  },
  "integration.sync.started": {
    producer: "integration",
    consumers: [],
    owningContract: "integration.sync.trigger",
    versions: [version(SyncStarted, v1("A sync run started."))]
  },
  "integration.sync.completed": {
    producer: "integration",
    consumers: ["learning"],
    owningContract: "integration.sync.trigger",
    versions: [version(SyncCompleted, v1("A sync run succeeded or partially failed, with its counts."))]
  },
  "integration.sync.failed": {
    producer: "integration",
    consumers: [],
    owningContract: "integration.sync.trigger",
    versions: [version(SyncFailed, v1("A sync run failed as a whole or was cancelled."))]
  },
  "integration.record.synced": {
    producer: "integration",
    consumers: ["crm"],
    owningContract: "integration.sync.trigger",
    versions: [version(RecordSynced, v1("A mapped record for the CRM, upserted there as a contact by external id."))]
  },
  "service.client.created": {
    producer: "service",
    consumers: ["learning"],
    owningContract: "service.client.create",
    versions: [version(ClientCreated, serviceV1("A client was added, by hand or from a won deal; ids only."))]
  },
  "service.quote.sent": {
    producer: "service",
    consumers: [],
    owningContract: "service.quote.send",
    versions: [version(QuoteSent, serviceV1("A draft quote was sent, with its total and validity."))]
  },
  "service.quote.accepted": {
    producer: "service",
    consumers: [],
    owningContract: "service.quote.accept",
    versions: [version(QuoteAccepted, serviceV1("A sent quote was accepted; acceptedBy is personal data."))]
  },
  "service.job.scheduled": {
    producer: "service",
    consumers: ["learning"],
    owningContract: "service.job.schedule",
    versions: [version(JobScheduled, serviceV1("A job was scheduled for a client."))]
  },
  "service.job.completed": {
    producer: "service",
    consumers: ["learning"],
    owningContract: "service.job.complete",
    versions: [version(JobCompleted, serviceV1("A job was completed; its notes stay in the service business."))]
  },
  "service.invoice.issued": {
    producer: "service",
    consumers: ["learning"],
    owningContract: "service.invoice.issue",
    versions: [version(InvoiceIssued, serviceV1("An invoice was issued with its gap-free number."))]
  },
  "service.invoice.paid": {
    producer: "service",
    consumers: ["learning"],
    owningContract: "service.payment.record",
    versions: [version(InvoicePaid, serviceV1("An invoice's payments now cover its total."))]
  },
  "service.payment.received": {
    producer: "service",
    consumers: [],
    owningContract: "service.payment.record",
    versions: [version(PaymentReceived, serviceV1("A payment was recorded; its reference is personal data."))]
  }
})
