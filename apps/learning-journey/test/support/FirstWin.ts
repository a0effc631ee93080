/**
 * One CRM user's first win as the CRM publishes it: a pipeline, a contact, a deal, three moves,
 * the win and a follow-up task — the eight events the built-in "CRM first win" track counts,
 * payloads in their JSON form. Every test feeding the learning journey CRM events takes them
 * from here (as deliveries, outbox events or recorded events) instead of writing them out again.
 */
import * as CrmEvents from "@tessera/contracts/crm/Events"
import type { AnyEventDefinition } from "@tessera/envelope/EventDefinition"

export interface JourneyEvent {
  readonly definition: AnyEventDefinition
  /** The payload in its JSON form, as the outbox stores it. */
  readonly json: { readonly [field: string]: unknown }
  /** ISO 8601. */
  readonly occurredAt: string
}

/** An event of the journey, its payload typed by its definition. */
export const journeyEvent = <D extends AnyEventDefinition>(
  definition: D,
  json: D["payload"]["Encoded"] & { readonly [field: string]: unknown },
  occurredAt: string
): JourneyEvent => ({ definition, json, occurredAt })

export interface FirstWinOptions {
  /** The user who acts (owner and assignee). */
  readonly learner: string
  /** Suffix of the journey's ids: `pipe_<ids>`, `deal_<ids>`, … */
  readonly ids: string
  /**
   * When each of the eight events occurred (ISO 8601): pipeline, contact, deal, the three moves,
   * the win (also its `closedAt`), the follow-up (also its `completedAt`).
   */
  readonly at: readonly [string, string, string, string, string, string, string, string]
  /** The deal's value in minor units (EUR). */
  readonly amountMinor?: number | undefined
}

/** The eight events of a first win, in the order they occur. */
export const firstWin = (options: FirstWinOptions): ReadonlyArray<JourneyEvent> => {
  const { learner, ids, at } = options
  const value = { amountMinor: options.amountMinor ?? 250_000, currency: "EUR" }
  const [pipelineAt, contactAt, dealAt, move0, move1, move2, wonAt, followUpAt] = at
  const pipelineId = `pipe_${ids}`
  const dealId = `deal_${ids}`
  const contactId = `contact_${ids}`
  const moved = (n: number, occurredAt: string) =>
    journeyEvent(
      CrmEvents.DealMoved,
      { dealId, pipelineId, fromStageId: `s${n}`, toStageId: `s${n + 1}`, ownerId: learner },
      occurredAt
    )
  return [
    journeyEvent(
      CrmEvents.PipelineCreated,
      {
        pipelineId,
        name: "Sales",
        stages: [{ stageId: "s0", name: "Lead", position: 0, probability: 10, isWon: false, isLost: false }]
      },
      pipelineAt
    ),
    journeyEvent(CrmEvents.ContactCreated, { contactId, companyId: null, ownerId: learner }, contactAt),
    journeyEvent(
      CrmEvents.DealCreated,
      {
        dealId,
        name: "First deal",
        value,
        pipelineId,
        stageId: "s0",
        ownerId: learner,
        contactId,
        companyId: null
      },
      dealAt
    ),
    moved(0, move0),
    moved(1, move1),
    moved(2, move2),
    // The CRM publishes deal.won v2 (v1 is deprecated; the outbox refuses it from 2026-12-14).
    journeyEvent(
      CrmEvents.DealWonV2,
      {
        dealId,
        name: "First deal",
        pipelineId,
        stageId: "s3",
        value,
        ownerId: learner,
        wonSource: null,
        closedAt: wonAt,
        contactId,
        contactName: "Ada Lovelace",
        companyId: null,
        companyName: null
      },
      wonAt
    ),
    journeyEvent(
      CrmEvents.TaskCompleted,
      {
        taskId: `task_${ids}`,
        type: "follow_up",
        assigneeId: learner,
        dealId,
        contactId,
        completedAt: followUpAt
      },
      followUpAt
    )
  ]
}
