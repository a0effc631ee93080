/**
 * Quotes, their lines stored as JSON with their computed amounts. `status` is read, not stored,
 * for expiry: a draft or sent quote past its `valid_until` day (UTC, the database's clock) reads
 * as `expired`. Every method takes the organization first.
 */

import { Quote, type QuoteStatus } from "@tessera/contracts/service-business/Quotes"
import type { Line } from "@tessera/contracts/service-business/Shared"
import { Context, Effect, Layer, type Option } from "effect"
import { SqlClient, type Statement } from "effect/sql"
import { all, maybeOne, one } from "./Sql.ts"

export interface NewQuote {
  readonly organizationId: string
  readonly id: string
  readonly clientId: string
  readonly currency: string
  readonly lines: ReadonlyArray<Line>
  readonly subtotalMinor: number
  readonly taxMinor: number
  readonly totalMinor: number
  readonly validUntil: string
  readonly notes: string | null
  readonly sourceDealId: string | null
  readonly createdBy: string
  readonly at: Date
}

export interface QuoteFilters {
  readonly clientId?: string | undefined
  readonly status?: QuoteStatus | undefined
}

export class QuoteRepository extends Context.Service<
  QuoteRepository,
  {
    readonly insert: (quote: NewQuote) => Effect.Effect<Quote>
    /** With `lock`, the row stays locked (FOR UPDATE) until the call's transaction ends. */
    readonly findById: (
      organizationId: string,
      quoteId: string,
      options?: { readonly lock?: boolean }
    ) => Effect.Effect<Option.Option<Quote>>
    readonly existsForDeal: (organizationId: string, dealId: string) => Effect.Effect<boolean>
    readonly send: (organizationId: string, quoteId: string, at: Date) => Effect.Effect<Quote>
    readonly accept: (organizationId: string, quoteId: string, acceptedBy: string, at: Date) => Effect.Effect<Quote>
    readonly reject: (organizationId: string, quoteId: string, reason: string | null, at: Date) => Effect.Effect<Quote>
    /** Newest first; `limit + 1` rows. */
    readonly list: (
      organizationId: string,
      filters: QuoteFilters,
      limit: number,
      after: readonly [createdAt: string, id: string] | undefined
    ) => Effect.Effect<ReadonlyArray<Quote>>
  }
>()("@tessera/service-business/QuoteRepository") {
  static readonly layer = Layer.effect(
    QuoteRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const status = sql.literal(
        `CASE WHEN q.status IN ('draft', 'sent') AND q.valid_until < service.today() THEN 'expired' ELSE q.status END`
      )
      const columns = sql.literal(`
        q.id, q.client_id AS "clientId",
        CASE WHEN q.status IN ('draft', 'sent') AND q.valid_until < service.today() THEN 'expired' ELSE q.status END AS status,
        q.currency, q.lines, q.subtotal_minor AS "subtotalMinor", q.tax_minor AS "taxMinor", q.total_minor AS "totalMinor",
        to_char(q.valid_until, 'YYYY-MM-DD') AS "validUntil", q.notes, q.source_deal_id AS "sourceDealId",
        service.iso(q.sent_at) AS "sentAt", service.iso(q.accepted_at) AS "acceptedAt", q.accepted_by AS "acceptedBy",
        service.iso(q.rejected_at) AS "rejectedAt", q.rejection_reason AS "rejectionReason", q.created_by AS "createdBy",
        service.iso(q.created_at) AS "createdAt", service.iso(q.updated_at) AS "updatedAt"`)

      const update = (organizationId: string, quoteId: string, set: Statement.Fragment) =>
        one(Quote)(sql`
          WITH q AS (
            UPDATE service.quotes SET ${set} WHERE organization_id = ${organizationId} AND id = ${quoteId} RETURNING *)
          SELECT to_json(r) AS j FROM (SELECT ${columns} FROM q) r`)

      return QuoteRepository.of({
        insert: (quote) =>
          one(Quote)(sql`
            WITH q AS (
              INSERT INTO service.quotes (organization_id, id, client_id, status, currency, lines, subtotal_minor,
                tax_minor, total_minor, valid_until, notes, source_deal_id, created_by, created_at, updated_at)
              VALUES (${quote.organizationId}, ${quote.id}, ${quote.clientId}, 'draft', ${quote.currency},
                ${JSON.stringify(quote.lines)}::jsonb, ${quote.subtotalMinor}, ${quote.taxMinor}, ${quote.totalMinor},
                ${quote.validUntil}::date, ${quote.notes}, ${quote.sourceDealId}, ${quote.createdBy}, ${quote.at}, ${quote.at})
              RETURNING *)
            SELECT to_json(r) AS j FROM (SELECT ${columns} FROM q) r`),

        findById: (organizationId, quoteId, options) =>
          maybeOne(Quote)(sql`
            SELECT to_json(r) AS j FROM (
              SELECT ${columns} FROM service.quotes q WHERE q.organization_id = ${organizationId} AND q.id = ${quoteId}
              ${options?.lock ? sql.literal("FOR UPDATE") : sql.literal("")}
            ) r`),

        existsForDeal: (organizationId, dealId) =>
          sql<{ n: number }>`
            SELECT count(*)::int AS n FROM service.quotes
            WHERE organization_id = ${organizationId} AND source_deal_id = ${dealId}`.pipe(
            Effect.map((rows) => (rows[0]?.n ?? 0) > 0),
            Effect.orDie
          ),

        send: (organizationId, quoteId, at) =>
          update(
            organizationId,
            quoteId,
            sql.csv([sql`status = 'sent'`, sql`sent_at = ${at}`, sql`updated_at = ${at}`])
          ),

        accept: (organizationId, quoteId, acceptedBy, at) =>
          update(
            organizationId,
            quoteId,
            sql.csv([
              sql`status = 'accepted'`,
              sql`accepted_by = ${acceptedBy}`,
              sql`accepted_at = ${at}`,
              sql`updated_at = ${at}`
            ])
          ),

        reject: (organizationId, quoteId, reason, at) =>
          update(
            organizationId,
            quoteId,
            sql.csv([
              sql`status = 'rejected'`,
              sql`rejection_reason = ${reason}`,
              sql`rejected_at = ${at}`,
              sql`updated_at = ${at}`
            ])
          ),

        list: (organizationId, filters, limit, after) =>
          all(Quote)(sql`
            SELECT to_json(r) AS j FROM (
              SELECT ${columns} FROM service.quotes q
              WHERE ${sql.and([
                sql`q.organization_id = ${organizationId}`,
                ...(filters.clientId === undefined ? [] : [sql`q.client_id = ${filters.clientId}`]),
                ...(filters.status === undefined ? [] : [sql`${status} = ${filters.status}`]),
                ...(after === undefined ? [] : [sql`(q.created_at, q.id) < (${after[0]}::timestamptz, ${after[1]})`])
              ])}
              ORDER BY q.created_at DESC, q.id DESC
              LIMIT ${limit + 1}
            ) r`)
      })
    })
  )
}
