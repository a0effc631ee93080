/**
 * Deals. Rows leave the database already in the API's shape (see `columns`), decoded by the
 * contract's `Deal` schema: no hand-written mapping between the two. Every method takes the
 * organization first.
 */
import { Deal, type DealStatus } from "@tessera/contracts/crm/Deals"
import type { LostReason } from "@tessera/contracts/crm/Events"
import * as Rows from "@tessera/database/Rows"
import { Context, Effect, Layer, type Option, Schema } from "effect"
import { SqlClient } from "effect/sql"

export interface NewDeal {
  readonly organizationId: string
  readonly id: string
  readonly name: string
  readonly amountMinor: number
  readonly currency: string
  readonly pipelineId: string
  readonly stageId: string
  readonly ownerId: string
  readonly contactId: string | null
  readonly companyId: string | null
  readonly expectedCloseDate: string | null
  readonly at: Date
}

export interface DealFilters {
  readonly pipelineId?: string | undefined
  readonly stageId?: string | undefined
  readonly status?: DealStatus | undefined
  readonly ownerId?: string | undefined
  readonly search?: string | undefined
}

export interface CurrencyTotal {
  readonly currency: string
  readonly count: number
  /** Exact: a sum of amounts may exceed JavaScript's safe integers. */
  readonly amountMinor: bigint
}

const DealParties = Schema.Struct({
  contactName: Schema.NullOr(Schema.String),
  companyName: Schema.NullOr(Schema.String)
})
type DealParties = typeof DealParties.Type

/** Sums arrive as exact `bigint`s (`numeric` as text, however large) and stay so. */
const Totals = Schema.Struct({
  currency: Schema.String,
  count: Schema.Int,
  amountMinor: Schema.BigIntFromString
})

export class DealRepository extends Context.Service<
  DealRepository,
  {
    readonly insert: (deal: NewDeal) => Effect.Effect<Deal>
    /** With `lock`, the row stays locked (FOR UPDATE) until the call's transaction ends. */
    readonly findById: (
      organizationId: string,
      dealId: string,
      options?: { readonly lock?: boolean }
    ) => Effect.Effect<Option.Option<Deal>>
    /** Moves the deal to the end of `stageId`. */
    readonly move: (organizationId: string, dealId: string, stageId: string, at: Date) => Effect.Effect<Deal>
    readonly win: (
      organizationId: string,
      dealId: string,
      stageId: string,
      source: string | null,
      at: Date
    ) => Effect.Effect<Deal>
    readonly lose: (
      organizationId: string,
      dealId: string,
      stageId: string,
      reason: LostReason,
      note: string | null,
      at: Date
    ) => Effect.Effect<Deal>
    /** Newest first; `limit + 1` rows so the caller can tell whether a next page exists. */
    readonly list: (
      organizationId: string,
      filters: DealFilters,
      limit: number,
      after: readonly [createdAt: string, id: string] | undefined
    ) => Effect.Effect<ReadonlyArray<Deal>>
    readonly totals: (organizationId: string, filters: DealFilters) => Effect.Effect<ReadonlyArray<CurrencyTotal>>
    /** The display names of the deal's contact ("First Last") and company, for `deal.won` v2. */
    readonly partiesOf: (organizationId: string, dealId: string) => Effect.Effect<DealParties>
  }
>()("@tessera/crm/DealRepository") {
  static readonly layer = Layer.effect(
    DealRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient

      /** The `Deal` of the API, from a row aliased `d`. */
      const columns = sql.literal(`
        d.id, d.name,
        json_build_object('amountMinor', d.value_minor, 'currency', d.currency) AS value,
        d.pipeline_id AS "pipelineId", d.stage_id AS "stageId", d.status, d.owner_id AS "ownerId",
        d.contact_id AS "contactId", d.company_id AS "companyId",
        to_char(d.expected_close_date, 'YYYY-MM-DD') AS "expectedCloseDate",
        crm.iso(d.closed_at) AS "closedAt", d.lost_reason AS "lostReason", d.lost_note AS "lostNote",
        d.won_source AS "wonSource", d.position,
        crm.iso(d.created_at) AS "createdAt", crm.iso(d.updated_at) AS "updatedAt"`)

      const endOfStage = (organizationId: string, stageId: string) =>
        sql`(SELECT coalesce(max(position) + 1, 0) FROM crm.deals WHERE organization_id = ${organizationId} AND stage_id = ${stageId})`

      const where = (organizationId: string, filters: DealFilters) =>
        sql.and([
          sql`d.organization_id = ${organizationId}`,
          ...(filters.pipelineId === undefined ? [] : [sql`d.pipeline_id = ${filters.pipelineId}`]),
          ...(filters.stageId === undefined ? [] : [sql`d.stage_id = ${filters.stageId}`]),
          ...(filters.status === undefined ? [] : [sql`d.status = ${filters.status}`]),
          ...(filters.ownerId === undefined ? [] : [sql`d.owner_id = ${filters.ownerId}`]),
          ...(filters.search === undefined ? [] : [sql`d.name ILIKE ${Rows.containsPattern(filters.search)}`])
        ])

      return DealRepository.of({
        insert: Effect.fn("DealRepository.insert")(function* (deal) {
          return yield* Rows.one(
            Deal,
            sql`
            WITH d AS (
              INSERT INTO crm.deals (organization_id, id, name, value_minor, currency, pipeline_id, stage_id, status,
                owner_id, contact_id, company_id, expected_close_date, position, created_at, updated_at)
              VALUES (${deal.organizationId}, ${deal.id}, ${deal.name}, ${deal.amountMinor}, ${deal.currency},
                ${deal.pipelineId}, ${deal.stageId}, 'open', ${deal.ownerId}, ${deal.contactId}, ${deal.companyId},
                ${deal.expectedCloseDate}::date, ${endOfStage(deal.organizationId, deal.stageId)}, ${deal.at}, ${deal.at})
              RETURNING *)
            SELECT ${columns} FROM d`
          )
        }),

        findById: Effect.fn("DealRepository.findById")(function* (organizationId, dealId, options) {
          return yield* Rows.maybeOne(
            Deal,
            sql`SELECT ${columns} FROM crm.deals d WHERE d.organization_id = ${organizationId} AND d.id = ${dealId}
                  ${options?.lock ? sql.literal("FOR UPDATE") : sql.literal("")}`
          )
        }),

        move: Effect.fn("DealRepository.move")(function* (organizationId, dealId, stageId, at) {
          return yield* Rows.one(
            Deal,
            sql`
            UPDATE crm.deals d SET stage_id = ${stageId}, position = ${endOfStage(organizationId, stageId)}, updated_at = ${at}
            WHERE d.organization_id = ${organizationId} AND d.id = ${dealId}
            RETURNING ${columns}`
          )
        }),

        win: Effect.fn("DealRepository.win")(function* (organizationId, dealId, stageId, source, at) {
          return yield* Rows.one(
            Deal,
            sql`
            UPDATE crm.deals d SET status = 'won', won_source = ${source}, closed_at = ${at}, updated_at = ${at},
              position = CASE WHEN d.stage_id = ${stageId} THEN d.position ELSE ${endOfStage(organizationId, stageId)} END,
              stage_id = ${stageId}
            WHERE d.organization_id = ${organizationId} AND d.id = ${dealId}
            RETURNING ${columns}`
          )
        }),

        lose: Effect.fn("DealRepository.lose")(function* (organizationId, dealId, stageId, reason, note, at) {
          return yield* Rows.one(
            Deal,
            sql`
            UPDATE crm.deals d SET status = 'lost', lost_reason = ${reason}, lost_note = ${note}, closed_at = ${at},
              updated_at = ${at},
              position = CASE WHEN d.stage_id = ${stageId} THEN d.position ELSE ${endOfStage(organizationId, stageId)} END,
              stage_id = ${stageId}
            WHERE d.organization_id = ${organizationId} AND d.id = ${dealId}
            RETURNING ${columns}`
          )
        }),

        list: Effect.fn("DealRepository.list")(function* (organizationId, filters, limit, after) {
          return yield* Rows.all(
            Deal,
            sql`
              SELECT ${columns} FROM crm.deals d
              WHERE ${where(organizationId, filters)}
                ${after === undefined ? sql.literal("") : sql`AND (d.created_at, d.id) < (${after[0]}::timestamptz, ${after[1]})`}
              ORDER BY d.created_at DESC, d.id DESC
              LIMIT ${limit + 1}`
          )
        }),

        totals: Effect.fn("DealRepository.totals")(function* (organizationId, filters) {
          const rows = yield* Rows.all(
            Totals,
            sql`
              SELECT d.currency, count(*)::int AS count, sum(d.value_minor)::text AS "amountMinor"
              FROM crm.deals d WHERE ${where(organizationId, filters)}
              GROUP BY d.currency ORDER BY d.currency`
          )
          return rows
        }),

        partiesOf: Effect.fn("DealRepository.partiesOf")(function* (organizationId, dealId) {
          return yield* Rows.one(
            DealParties,
            sql`
              SELECT CASE WHEN c.id IS NULL THEN NULL ELSE concat_ws(' ', c.first_name, c.last_name) END AS "contactName", co.name AS "companyName"
              FROM crm.deals d
              LEFT JOIN crm.contacts c ON c.organization_id = d.organization_id AND c.id = d.contact_id
              LEFT JOIN crm.companies co ON co.organization_id = d.organization_id AND co.id = d.company_id
              WHERE d.organization_id = ${organizationId} AND d.id = ${dealId}`
          )
        })
      })
    })
  )
}
