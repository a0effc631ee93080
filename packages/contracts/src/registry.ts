/**
 * Tessera's event registry: every event type with its single producer, its consumers, its
 * owning contract and its schema versions with their lifecycle. The outbox refuses events that
 * are not here (or not from their producer), and a consumer may only subscribe to events that
 * name its domain as a consumer. `registry.generated.json` is its JSON export, checked current.
 *
 * A published version never changes: to change a payload, add version 2 with `upcastFrom`.
 */
import { make, version } from "@tessera/envelope/Registry"
import {
  ContactCreated,
  DealCreated,
  DealLost,
  DealMoved,
  DealWon,
  PipelineCreated,
  TaskCompleted
} from "./crm/Events.ts"
import {
  RecordSynced,
  SyncCompleted,
  SyncConfigCreated,
  SyncFailed,
  SyncRequested,
  SyncStarted
} from "./integration-hub/Events.ts"
import { OnboardingCompleted, OnboardingStarted, OnboardingStepCompleted } from "./learning-journey/Events.ts"

const v1 = (notes: string) => ({ status: "active" as const, registeredAt: "2026-11-21", notes })

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
    consumers: ["learning"],
    owningContract: "crm.deal.win",
    versions: [version(DealWon, v1("A deal was won."))]
  },
  "deal.lost": {
    producer: "crm",
    consumers: [],
    owningContract: "crm.deal.lose",
    versions: [version(DealLost, v1("A deal was lost, with its reason."))]
  },
  "contact.created": {
    producer: "crm",
    consumers: ["learning"],
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
    consumers: [],
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
  }
})
