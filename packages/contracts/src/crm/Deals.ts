/**
 * Deals: opportunities moving through a pipeline's stages until won or lost.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { DealCreated, DealLost, DealMoved, DealWonV2, LostReason } from "./Events.ts"
import { PipelineNotFound } from "./Pipelines.ts"
import {
  CalendarDate,
  CompanyId,
  ContactId,
  Currency,
  Cursor,
  DealId,
  InvalidCursor,
  Limit,
  Money,
  Name,
  owners,
  PipelineId,
  StageId,
  Timestamp,
  UserId
} from "./Shared.ts"

export const DealStatus = Schema.Literals(["open", "won", "lost"])
export type DealStatus = typeof DealStatus.Type

export const Deal = Schema.Struct({
  id: DealId,
  name: Name,
  value: Money,
  pipelineId: PipelineId,
  stageId: StageId,
  status: DealStatus,
  ownerId: UserId,
  contactId: Schema.NullOr(ContactId),
  companyId: Schema.NullOr(CompanyId),
  expectedCloseDate: Schema.NullOr(CalendarDate),
  closedAt: Schema.NullOr(Timestamp),
  lostReason: Schema.NullOr(LostReason),
  lostNote: Schema.NullOr(Schema.String),
  wonSource: Schema.NullOr(Schema.String),
  /** 0-based order of the deal within its stage (new and moved deals go last). */
  position: Schema.Int,
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type Deal = typeof Deal.Type

export class DealNotFound extends ContractError<DealNotFound>()(
  "DealNotFound",
  {
    code: "DEAL_NOT_FOUND",
    status: 404,
    title: "Deal not found",
    when: "No deal with this id in the caller's organization"
  },
  { dealId: Schema.String }
) {}

export class DealClosed extends ContractError<DealClosed>()(
  "DealClosed",
  { code: "DEAL_CLOSED", status: 409, title: "Deal is closed", when: "The deal is already won or lost" },
  { dealId: Schema.String, dealStatus: DealStatus }
) {}

export class StageNotInPipeline extends ContractError<StageNotInPipeline>()(
  "StageNotInPipeline",
  {
    code: "STAGE_NOT_IN_PIPELINE",
    status: 409,
    title: "Stage not in the deal's pipeline",
    when: "The stage does not exist or belongs to another pipeline"
  },
  { stageId: Schema.String, pipelineId: Schema.String }
) {}

export class TerminalStage extends ContractError<TerminalStage>()(
  "TerminalStage",
  {
    code: "TERMINAL_STAGE",
    status: 409,
    title: "Stage is reserved for won or lost deals",
    when: "The target stage is the pipeline's won or lost stage: use crm.deal.win or crm.deal.lose"
  },
  { stageId: Schema.String }
) {}

export class ContactNotFound extends ContractError<ContactNotFound>()(
  "ContactNotFound",
  {
    code: "CONTACT_NOT_FOUND",
    status: 404,
    title: "Contact not found",
    when: "No contact with this id in the caller's organization"
  },
  { contactId: Schema.String }
) {}

export class CompanyNotFound extends ContractError<CompanyNotFound>()(
  "CompanyNotFound",
  {
    code: "COMPANY_NOT_FOUND",
    status: 404,
    title: "Company not found",
    when: "No company with this id in the caller's organization"
  },
  { companyId: Schema.String }
) {}

const exampleDeal = {
  id: "deal-789",
  name: "Acme renewal",
  value: { amountMinor: 1_250_000, currency: "EUR" },
  pipelineId: "pipe_1",
  stageId: "stage_1",
  status: "open",
  ownerId: "user-1",
  contactId: null,
  companyId: null,
  expectedCloseDate: "2025-03-31",
  closedAt: null,
  lostReason: null,
  lostNote: null,
  wonSource: null,
  position: 0,
  createdAt: "2025-01-20T09:00:00.000Z",
  updatedAt: "2025-01-20T09:00:00.000Z"
} as const

export const CreateDeal = command({
  meta: {
    key: "crm.deal.create",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "deal", "create"],
    description: "Open a deal in a pipeline.",
    goal: "Track a sales opportunity.",
    context: "Deal capture, from the board or a contact."
  },
  input: Schema.Struct({
    name: Name,
    value: Money,
    pipelineId: PipelineId,
    /** Defaults to the pipeline's first open stage. */
    stageId: Schema.optionalKey(StageId),
    /** Defaults to the caller. */
    ownerId: Schema.optionalKey(UserId),
    contactId: Schema.optionalKey(ContactId),
    companyId: Schema.optionalKey(CompanyId),
    expectedCloseDate: Schema.optionalKey(CalendarDate)
  }),
  output: Deal,
  errors: [PipelineNotFound, StageNotInPipeline, TerminalStage, ContactNotFound, CompanyNotFound],
  policy: { auth: "user" },
  emits: [{ event: DealCreated, when: "The deal is created" }],
  idempotent: true,
  acceptance: {
    scenarios: [
      {
        key: "create-deal-happy-path",
        given: ["A pipeline exists"],
        when: ["User creates a deal without a stage"],
        then: ["Deal is open in the first stage, owned by the user", "DealCreated event is emitted"]
      },
      {
        key: "create-deal-stage-of-other-pipeline",
        given: ["Two pipelines exist"],
        when: ["User creates a deal in pipeline A with a stage of pipeline B"],
        then: ["The call is refused with 409 STAGE_NOT_IN_PIPELINE", "Nothing is written"]
      }
    ],
    examples: [
      {
        key: "create-renewal",
        input: {
          name: "Acme renewal",
          value: { amountMinor: 1_250_000, currency: "EUR" },
          pipelineId: "pipe_1",
          expectedCloseDate: "2025-03-31"
        },
        output: exampleDeal
      }
    ]
  }
})

export const GetDeal = query({
  meta: {
    key: "crm.deal.get",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "deal", "get"],
    description: "Get one deal.",
    goal: "Show a deal's current state.",
    context: "Deal page."
  },
  input: Schema.Struct({ dealId: DealId }),
  output: Deal,
  errors: [DealNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "get-deal-other-organization",
        given: ["A deal belongs to another organization"],
        when: ["User gets it by id"],
        then: ["The answer is 404 DEAL_NOT_FOUND, as for a deal that does not exist"]
      }
    ],
    examples: [{ key: "get-renewal", input: { dealId: "deal-789" }, output: exampleDeal }]
  }
})

export const MoveDeal = command({
  meta: {
    key: "crm.deal.move",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "deal", "move"],
    description: "Move an open deal to another stage of its pipeline.",
    goal: "Record a deal's progress.",
    context: "Pipeline board drag and drop."
  },
  input: Schema.Struct({ dealId: DealId, stageId: StageId }),
  output: Deal,
  errors: [DealNotFound, DealClosed, StageNotInPipeline, TerminalStage],
  policy: { auth: "user" },
  emits: [{ event: DealMoved, when: "The deal changes stage (moving to its current stage changes nothing)" }],
  acceptance: {
    scenarios: [
      {
        key: "move-deal-happy-path",
        given: ["Deal is open in stage Lead"],
        when: ["User moves it to stage Proposal"],
        then: ["Deal is in Proposal, last in that stage", "DealMoved event is emitted with from and to stage"]
      },
      {
        key: "move-closed-deal",
        given: ["Deal is won"],
        when: ["User moves it"],
        then: ["The call is refused with 409 DEAL_CLOSED"]
      }
    ],
    examples: [
      {
        key: "move-to-proposal",
        input: { dealId: "deal-789", stageId: "stage_2" },
        output: { ...exampleDeal, stageId: "stage_2", updatedAt: "2025-01-21T09:00:00.000Z" }
      }
    ]
  }
})

/**
 * Version 2.0.0: emits `deal.won` version 2 (with the deal's name, contact and company) instead of
 * version 1 — a change of what the contract publishes, hence the major bump. Input and output are
 * unchanged.
 */
export const WinDeal = command({
  meta: {
    key: "crm.deal.win",
    version: "2.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "deal", "won"],
    description: "Mark a deal as won.",
    goal: "Close a deal as successful.",
    context: "Deal closing flow."
  },
  input: Schema.Struct({
    dealId: DealId,
    /** Where the win came from (referral, inbound, outbound, …). */
    source: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(200)))
  }),
  output: Deal,
  errors: [DealNotFound, DealClosed],
  policy: { auth: "user" },
  emits: [{ event: DealWonV2, when: "Deal is won (version 2: with the deal's name, contact and company)" }],
  acceptance: {
    scenarios: [
      {
        key: "win-deal-happy-path",
        given: ["Deal is open"],
        when: ["User marks deal as won"],
        then: [
          "Deal status becomes won, closedAt is set, it moves to the won stage if the pipeline has one",
          "DealWon event is emitted"
        ]
      }
    ],
    examples: [
      {
        key: "mark-won",
        input: { dealId: "deal-789", source: "referral" },
        output: {
          ...exampleDeal,
          status: "won",
          wonSource: "referral",
          closedAt: "2025-01-21T09:00:00.000Z",
          updatedAt: "2025-01-21T09:00:00.000Z"
        }
      }
    ]
  }
})

export const LoseDeal = command({
  meta: {
    key: "crm.deal.lose",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "deal", "lost"],
    description: "Mark a deal as lost.",
    goal: "Close a deal as unsuccessful.",
    context: "Deal closing flow."
  },
  input: Schema.Struct({
    dealId: DealId,
    reason: LostReason,
    note: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(2000)))
  }),
  output: Deal,
  errors: [DealNotFound, DealClosed],
  policy: { auth: "user" },
  emits: [{ event: DealLost, when: "Deal is lost" }],
  acceptance: {
    scenarios: [
      {
        key: "lose-deal-happy-path",
        given: ["Deal is open"],
        when: ["User marks deal as lost"],
        then: ["Deal status becomes LOST", "DealLost event is emitted"]
      },
      {
        key: "lose-closed-deal",
        given: ["Deal is already lost"],
        when: ["User marks it as lost again"],
        then: ["The call is refused with 409 DEAL_CLOSED"]
      }
    ],
    examples: [
      {
        key: "mark-lost",
        input: { dealId: "deal-789", reason: "competitor", note: "Went with cheaper option" },
        output: {
          ...exampleDeal,
          status: "lost",
          lostReason: "competitor",
          lostNote: "Went with cheaper option",
          closedAt: "2025-01-21T09:00:00Z",
          updatedAt: "2025-01-21T09:00:00Z"
        }
      }
    ]
  }
})

/**
 * The sum of the deals' values in one currency, in integer minor units. A sum of safe integers is
 * not one (two deals of 9007199254740991 and 1), so it travels as a decimal string of digits
 * (`"9007199254740992"`) and decodes to a `bigint`: exact however large, never a float, and a list
 * can always be answered (version 2.0.0; 1.x sent a number and failed past 2^53 − 1).
 */
export const TotalMinor = Schema.BigIntFromString.annotate({
  description: 'Integer minor units as a decimal string (exact beyond 2^53), e.g. "1250000"'
})

export const CurrencyTotal = Schema.Struct({
  currency: Currency,
  count: Schema.Int,
  /** Sum of the deals' values in minor units, as a decimal string. */
  amountMinor: TotalMinor
})

export const ListDeals = query({
  meta: {
    key: "crm.deal.list",
    version: "2.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "deal", "list"],
    description:
      "List deals with filters, a page at a time, with totals over every match (per-currency sums as decimal strings of minor units).",
    goal: "Review the pipeline and its value.",
    context: "Pipeline board and deal reports."
  },
  input: Schema.Struct({
    pipelineId: Schema.optionalKey(PipelineId),
    stageId: Schema.optionalKey(StageId),
    status: Schema.optionalKey(DealStatus),
    ownerId: Schema.optionalKey(UserId),
    /** Case-insensitive substring of the deal's name. */
    search: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
    /** 1 to 100; 50 when omitted. */
    limit: Schema.optionalKey(Limit),
    /** `nextCursor` of the previous page. */
    cursor: Schema.optionalKey(Cursor)
  }),
  output: Schema.Struct({
    items: Schema.Array(Deal),
    /** Pass as `cursor` for the next page; null on the last page. */
    nextCursor: Schema.NullOr(Cursor),
    /** Over every deal matching the filters, not just this page. */
    totals: Schema.Struct({ count: Schema.Int, byCurrency: Schema.Array(CurrencyTotal) })
  }),
  errors: [InvalidCursor],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-deals-filters-and-totals",
        given: ["Open and won deals in two currencies"],
        when: ["User lists open deals of one pipeline"],
        then: ["Only matching deals are returned", "Totals count every match and sum value per currency"]
      },
      {
        key: "list-deals-pagination",
        given: ["More deals than the page size"],
        when: ["User follows nextCursor"],
        then: ["Every deal is returned exactly once", "The last page has no nextCursor"]
      }
    ],
    examples: [
      {
        key: "list-open-deals",
        input: { pipelineId: "pipe_1", status: "open", limit: 10 },
        output: {
          items: [exampleDeal],
          nextCursor: null,
          totals: { count: 1, byCurrency: [{ currency: "EUR", count: 1, amountMinor: "1250000" }] }
        }
      }
    ]
  }
})
