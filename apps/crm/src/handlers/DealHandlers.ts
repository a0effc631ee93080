/**
 * crm.deal.create, crm.deal.get, crm.deal.move, crm.deal.win, crm.deal.lose, crm.deal.list
 *
 * Every handler runs in its call's transaction (the contract kit opens it); commands read the
 * deal with a row lock, so two concurrent closes of one deal cannot both succeed.
 */
import { implement } from "@tessera/contract-server/Implementation"
import {
  CompanyNotFound,
  ContactNotFound,
  CreateDeal,
  type Deal,
  DealClosed,
  DealNotFound,
  GetDeal,
  ListDeals,
  LoseDeal,
  MoveDeal,
  StageNotInPipeline,
  TerminalStage,
  WinDeal
} from "@tessera/contracts/crm/Deals"
import { DealCreated, DealLost, DealMoved, DealWonV2 } from "@tessera/contracts/crm/Events"
import { PipelineNotFound } from "@tessera/contracts/crm/Pipelines"
import { DEFAULT_LIMIT } from "@tessera/contracts/crm/Shared"
import { Clock, Effect, Option } from "effect"
import { CrmIds } from "../domain/CrmIds.ts"
import { afterCursor, paginate } from "../domain/Cursor.ts"
import { checkMove, closingStage, initialStage } from "../domain/DealRules.ts"
import { CompanyRepository } from "../repositories/CompanyRepository.ts"
import { ContactRepository } from "../repositories/ContactRepository.ts"
import { DealRepository } from "../repositories/DealRepository.ts"
import { PipelineRepository } from "../repositories/PipelineRepository.ts"

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

const notFound = (dealId: string) => new DealNotFound({ dealId, detail: `No deal ${dealId} in your organization.` })

/** The deal, locked for the rest of the transaction, or DEAL_NOT_FOUND (also for other tenants). */
const lockedDeal = (organizationId: string, dealId: string) =>
  Effect.flatMap(DealRepository, (deals) => deals.findById(organizationId, dealId, { lock: true })).pipe(
    Effect.flatMap(Option.match({ onNone: () => Effect.fail(notFound(dealId)), onSome: Effect.succeed }))
  )

/** A closed deal's `closedAt`: the database guarantees it (CHECK on status and closed_at). */
const closedAtOf = (deal: Deal) =>
  deal.closedAt === null
    ? Effect.die(`deal ${deal.id} is ${deal.status} without closedAt`)
    : Effect.succeed(deal.closedAt)

const ensureOpen = (deal: Deal) =>
  deal.status === "open"
    ? Effect.void
    : Effect.fail(
        new DealClosed({
          dealId: deal.id,
          dealStatus: deal.status,
          detail: `Deal ${deal.id} is already ${deal.status}.`
        })
      )

export const createDeal = implement(CreateDeal, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const organizationId = actor.organizationId
    const pipelines = yield* PipelineRepository
    const stages = yield* pipelines.stagesOf(organizationId, input.pipelineId)
    if (stages.length === 0) {
      return yield* new PipelineNotFound({
        pipelineId: input.pipelineId,
        detail: `No pipeline ${input.pipelineId} in your organization.`
      })
    }
    const stage = input.stageId === undefined ? initialStage(stages) : stages.find((s) => s.id === input.stageId)
    if (stage === undefined) {
      return yield* new StageNotInPipeline({
        stageId: input.stageId ?? "",
        pipelineId: input.pipelineId,
        detail: `Stage ${input.stageId ?? "(none)"} is not a stage of pipeline ${input.pipelineId}.`
      })
    }
    if (stage.isWon || stage.isLost) {
      return yield* new TerminalStage({
        stageId: stage.id,
        detail: "New deals start in an open stage; a won or lost stage is reached with crm.deal.win or crm.deal.lose."
      })
    }
    if (input.contactId !== undefined) {
      const contactId = input.contactId
      const exists = yield* Effect.flatMap(ContactRepository, (contacts) => contacts.exists(organizationId, contactId))
      if (!exists)
        return yield* new ContactNotFound({ contactId, detail: `No contact ${contactId} in your organization.` })
    }
    if (input.companyId !== undefined) {
      const companyId = input.companyId
      const exists = yield* Effect.flatMap(CompanyRepository, (companies) =>
        companies.exists(organizationId, companyId)
      )
      if (!exists)
        return yield* new CompanyNotFound({ companyId, detail: `No company ${companyId} in your organization.` })
    }
    const deals = yield* DealRepository
    const deal = yield* deals.insert({
      organizationId,
      id: yield* Effect.flatMap(CrmIds, (ids) => ids.next("deal")),
      name: input.name,
      amountMinor: input.value.amountMinor,
      currency: input.value.currency,
      pipelineId: input.pipelineId,
      stageId: stage.id,
      ownerId: input.ownerId ?? actor.userId,
      contactId: input.contactId ?? null,
      companyId: input.companyId ?? null,
      expectedCloseDate: input.expectedCloseDate ?? null,
      at: yield* now
    })
    yield* emit(DealCreated, {
      dealId: deal.id,
      name: deal.name,
      value: deal.value,
      pipelineId: deal.pipelineId,
      stageId: deal.stageId,
      ownerId: deal.ownerId,
      contactId: deal.contactId,
      companyId: deal.companyId
    })
    return deal
  })
)

export const getDeal = implement(GetDeal, (input, { actor }) =>
  Effect.flatMap(DealRepository, (deals) => deals.findById(actor.organizationId, input.dealId)).pipe(
    Effect.flatMap(Option.match({ onNone: () => Effect.fail(notFound(input.dealId)), onSome: Effect.succeed }))
  )
)

export const moveDeal = implement(MoveDeal, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const organizationId = actor.organizationId
    const deal = yield* lockedDeal(organizationId, input.dealId)
    const target = yield* Effect.flatMap(PipelineRepository, (pipelines) =>
      pipelines.findStage(organizationId, input.stageId)
    )
    const check = checkMove(deal, Option.getOrUndefined(target))
    switch (check._tag) {
      case "Closed":
        return yield* ensureOpen(deal).pipe(Effect.as(deal))
      case "OtherPipeline":
        return yield* new StageNotInPipeline({
          stageId: input.stageId,
          pipelineId: deal.pipelineId,
          detail: `Stage ${input.stageId} is not a stage of the deal's pipeline ${deal.pipelineId}.`
        })
      case "Terminal":
        return yield* new TerminalStage({
          stageId: input.stageId,
          detail: "That is the pipeline's won or lost stage: use crm.deal.win or crm.deal.lose."
        })
      case "Unchanged":
        return deal
      case "Allowed": {
        const moved = yield* Effect.flatMap(DealRepository, (deals) =>
          Effect.flatMap(now, (at) => deals.move(organizationId, deal.id, input.stageId, at))
        )
        yield* emit(DealMoved, {
          dealId: moved.id,
          pipelineId: moved.pipelineId,
          fromStageId: deal.stageId,
          toStageId: moved.stageId,
          ownerId: moved.ownerId
        })
        return moved
      }
    }
  })
)

/**
 * The shared part of winning and losing: the open deal, locked, and the stage it closes into
 * (the pipeline's won or lost stage when it has one). `close` writes the outcome.
 */
const closeDeal = <A>(
  organizationId: string,
  dealId: string,
  outcome: "won" | "lost",
  close: (deals: DealRepository["Service"], deal: Deal, stageId: string, at: Date) => Effect.Effect<A>
) =>
  Effect.gen(function* () {
    const deal = yield* lockedDeal(organizationId, dealId)
    yield* ensureOpen(deal)
    const stages = yield* Effect.flatMap(PipelineRepository, (pipelines) =>
      pipelines.stagesOf(organizationId, deal.pipelineId)
    )
    const deals = yield* DealRepository
    return yield* close(deals, deal, closingStage(stages, deal.stageId, outcome), yield* now)
  })

export const winDeal = implement(WinDeal, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const won = yield* closeDeal(actor.organizationId, input.dealId, "won", (deals, deal, stageId, at) =>
      deals.win(actor.organizationId, deal.id, stageId, input.source ?? null, at)
    )
    const parties = yield* Effect.flatMap(DealRepository, (deals) => deals.partiesOf(actor.organizationId, won.id))
    yield* emit(DealWonV2, {
      dealId: won.id,
      name: won.name,
      pipelineId: won.pipelineId,
      stageId: won.stageId,
      value: won.value,
      ownerId: won.ownerId,
      wonSource: won.wonSource,
      closedAt: yield* closedAtOf(won),
      contactId: won.contactId,
      contactName: parties.contactName,
      companyId: won.companyId,
      companyName: parties.companyName
    })
    return won
  })
)

export const loseDeal = implement(LoseDeal, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const lost = yield* closeDeal(actor.organizationId, input.dealId, "lost", (deals, deal, stageId, at) =>
      deals.lose(actor.organizationId, deal.id, stageId, input.reason, input.note ?? null, at)
    )
    yield* emit(DealLost, {
      dealId: lost.id,
      pipelineId: lost.pipelineId,
      stageId: lost.stageId,
      value: lost.value,
      ownerId: lost.ownerId,
      reason: input.reason,
      note: lost.lostNote,
      closedAt: yield* closedAtOf(lost)
    })
    return lost
  })
)

export const listDeals = implement(ListDeals, (input, { actor }) =>
  Effect.gen(function* () {
    const deals = yield* DealRepository
    const limit = input.limit ?? DEFAULT_LIMIT
    const after = yield* afterCursor(input.cursor, "crm.deal.list")
    const filters = {
      pipelineId: input.pipelineId,
      stageId: input.stageId,
      status: input.status,
      ownerId: input.ownerId,
      search: input.search
    }
    const [rows, byCurrency] = yield* Effect.all([
      deals.list(actor.organizationId, filters, limit, after),
      deals.totals(actor.organizationId, filters)
    ])
    const page = paginate(rows, limit, (deal) => [deal.createdAt, deal.id])
    return {
      items: page.items,
      nextCursor: page.nextCursor,
      totals: { count: byCurrency.reduce((sum, total) => sum + total.count, 0), byCurrency }
    }
  })
)
