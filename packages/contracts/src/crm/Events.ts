/**
 * The events the CRM publishes. Other domains subscribe to these definitions (never to strings),
 * so their handlers are typed from the payloads below. A published version never changes: a
 * change is a new version with an upcaster, registered in `../registry.ts`.
 */
import { define } from "@tessera/envelope/EventDefinition"
import { Schema } from "effect"
import { CompanyId, ContactId, DealId, Money, Name, PipelineId, StageId, TaskId, Timestamp, UserId } from "./Shared.ts"

export const LostReason = Schema.Literals(["competitor", "price", "timing", "no_budget", "no_decision", "other"])
export type LostReason = typeof LostReason.Type

export const TaskType = Schema.Literals(["call", "email", "meeting", "todo", "follow_up"])
export type TaskType = typeof TaskType.Type

export const PipelineCreated = define({
  type: "pipeline.created",
  version: 1,
  producer: "crm",
  description: "A pipeline was created with its ordered stages.",
  payload: Schema.Struct({
    pipelineId: PipelineId,
    name: Name,
    stages: Schema.Array(
      Schema.Struct({
        stageId: StageId,
        name: Name,
        position: Schema.Int,
        probability: Schema.Int,
        isWon: Schema.Boolean,
        isLost: Schema.Boolean
      })
    )
  }),
  subject: (payload) => ({ type: "pipeline", id: payload.pipelineId })
})

export const DealCreated = define({
  type: "deal.created",
  version: 1,
  producer: "crm",
  description: "A deal was opened in a pipeline stage.",
  payload: Schema.Struct({
    dealId: DealId,
    name: Name,
    value: Money,
    pipelineId: PipelineId,
    stageId: StageId,
    ownerId: UserId,
    contactId: Schema.NullOr(ContactId),
    companyId: Schema.NullOr(CompanyId)
  }),
  subject: (payload) => ({ type: "deal", id: payload.dealId })
})

export const DealMoved = define({
  type: "deal.moved",
  version: 1,
  producer: "crm",
  description: "An open deal moved from one stage of its pipeline to another.",
  payload: Schema.Struct({
    dealId: DealId,
    pipelineId: PipelineId,
    fromStageId: StageId,
    toStageId: StageId,
    ownerId: UserId
  }),
  subject: (payload) => ({ type: "deal", id: payload.dealId })
})

export const DealWon = define({
  type: "deal.won",
  version: 1,
  producer: "crm",
  description: "A deal was won.",
  payload: Schema.Struct({
    dealId: DealId,
    pipelineId: PipelineId,
    stageId: StageId,
    value: Money,
    ownerId: UserId,
    wonSource: Schema.NullOr(Schema.String),
    closedAt: Timestamp
  }),
  subject: (payload) => ({ type: "deal", id: payload.dealId })
})

/**
 * `deal.won` version 2: version 1 plus what a consumer needs to act on a win without calling the
 * CRM — the deal's name, and its contact's and company's ids and display names (a contact's is
 * "first last"). Published since 2026-11-30; version 1 is deprecated (see the registry) and its
 * stored events reach v2 consumers through `DealWonV1ToV2`.
 */
export const DealWonV2 = define({
  type: "deal.won",
  version: 2,
  producer: "crm",
  description: "A deal was won, with its name and its contact's and company's ids and display names.",
  payload: Schema.Struct({
    dealId: DealId,
    name: Name,
    pipelineId: PipelineId,
    stageId: StageId,
    value: Money,
    ownerId: UserId,
    wonSource: Schema.NullOr(Schema.String),
    closedAt: Timestamp,
    contactId: Schema.NullOr(ContactId),
    /** "First Last" of the deal's contact: personal data. */
    contactName: Schema.NullOr(Name),
    companyId: Schema.NullOr(CompanyId),
    companyName: Schema.NullOr(Name)
  }),
  pii: ["contactName"],
  subject: (payload) => ({ type: "deal", id: payload.dealId })
})

/**
 * How a stored `deal.won` v1 reads as v2: v1 did not carry the deal's name or its contact and
 * company, so an upcast event is named after its deal id and has neither (consumers treat it as a
 * win without a known customer).
 */
export const upcastDealWonV1 = (v1: typeof DealWon.payload.Type): typeof DealWonV2.payload.Type => ({
  ...v1,
  name: `Deal ${v1.dealId}`,
  contactId: null,
  contactName: null,
  companyId: null,
  companyName: null
})

export const DealLost = define({
  type: "deal.lost",
  version: 1,
  producer: "crm",
  description: "A deal was lost, with the reason.",
  payload: Schema.Struct({
    dealId: DealId,
    pipelineId: PipelineId,
    stageId: StageId,
    value: Money,
    ownerId: UserId,
    reason: LostReason,
    note: Schema.NullOr(Schema.String),
    closedAt: Timestamp
  }),
  subject: (payload) => ({ type: "deal", id: payload.dealId })
})

export const ContactCreated = define({
  type: "contact.created",
  version: 1,
  producer: "crm",
  description: "A contact was added. Carries ids only: names and addresses stay in the CRM.",
  payload: Schema.Struct({
    contactId: ContactId,
    companyId: Schema.NullOr(CompanyId),
    ownerId: UserId
  }),
  subject: (payload) => ({ type: "contact", id: payload.contactId })
})

export const TaskCompleted = define({
  type: "task.completed",
  version: 1,
  producer: "crm",
  description: "A task was completed.",
  payload: Schema.Struct({
    taskId: TaskId,
    type: TaskType,
    assigneeId: UserId,
    dealId: Schema.NullOr(DealId),
    contactId: Schema.NullOr(ContactId),
    completedAt: Timestamp
  }),
  subject: (payload) => ({ type: "task", id: payload.taskId })
})
