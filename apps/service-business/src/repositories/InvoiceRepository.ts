/**
 * Invoices and their per-organization, per-year numbering. `status` reads `overdue` for an issued
 * or sent invoice past its due date (UTC, the database's clock); `balanceMinor` is what is left to
 * pay (0 once void). Every method takes the organization first.
 */
import { Invoice, type InvoiceStatus } from "@tessera/contracts/service-business/Invoices"
import type { Line } from "@tessera/contracts/service-business/Shared"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient, type Statement } from "effect/sql"
import { all, maybeOne, one } from "./Sql.ts"

export interface NewInvoice {
  readonly organizationId: string
  readonly id: string
  readonly number: string
  readonly year: number
  readonly sequence: number
  readonly clientId: string
  readonly jobId: string
  readonly currency: string
  readonly lines: ReadonlyArray<Line>
  readonly subtotalMinor: number
  readonly taxMinor: number
  readonly totalMinor: number
  readonly dueDate: string
  readonly createdBy: string
  readonly at: Date
}

export interface InvoiceFilters {
  readonly status?: InvoiceStatus | undefined
  readonly clientId?: string | undefined
}

export type InvoiceChange =
  | { readonly _tag: "send" }
  | { readonly _tag: "void"; readonly reason: string }
  /** A payment (positive) or refund (negative): `paid` when the total is covered, owed again when a refund leaves it short. */
  | { readonly _tag: "paid"; readonly deltaMinor: number }

export class InvoiceRepository extends Context.Service<
  InvoiceRepository,
  {
    /**
     * The next sequence number of the organization's `year`, from its counter row — which stays
     * locked until the calling transaction ends, so the number is never shared, and never skipped
     * (a rollback returns it). Call it last, just before `insert`, to hold the lock briefly.
     */
    readonly nextSequence: (organizationId: string, year: number) => Effect.Effect<number>
    readonly insert: (invoice: NewInvoice) => Effect.Effect<Invoice>
    /** With `lock`, the row stays locked (FOR UPDATE) until the call's transaction ends. */
    readonly findById: (
      organizationId: string,
      invoiceId: string,
      options?: { readonly lock?: boolean }
    ) => Effect.Effect<Option.Option<Invoice>>
    /** The job's invoice that is not void, if any. */
    readonly openForJob: (organizationId: string, jobId: string) => Effect.Effect<Option.Option<string>>
    readonly change: (
      organizationId: string,
      invoiceId: string,
      change: InvoiceChange,
      at: Date
    ) => Effect.Effect<Invoice>
    /** Newest first; `limit + 1` rows. */
    readonly list: (
      organizationId: string,
      filters: InvoiceFilters,
      limit: number,
      after: readonly [issuedAt: string, id: string] | undefined
    ) => Effect.Effect<ReadonlyArray<Invoice>>
  }
>()("@tessera/service-business/InvoiceRepository") {
  static readonly layer = Layer.effect(
    InvoiceRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(`
        i.id, i.number, i.client_id AS "clientId", i.job_id AS "jobId",
        CASE WHEN i.status IN ('issued', 'sent') AND i.due_date < service.today() THEN 'overdue' ELSE i.status END AS status,
        i.currency, i.lines, i.subtotal_minor AS "subtotalMinor", i.tax_minor AS "taxMinor", i.total_minor AS "totalMinor",
        i.paid_minor AS "paidMinor", CASE WHEN i.status = 'void' THEN 0 ELSE i.total_minor - i.paid_minor END AS "balanceMinor",
        service.iso(i.issued_at) AS "issuedAt", to_char(i.due_date, 'YYYY-MM-DD') AS "dueDate",
        service.iso(i.sent_at) AS "sentAt", service.iso(i.paid_at) AS "paidAt", service.iso(i.voided_at) AS "voidedAt",
        i.void_reason AS "voidReason", i.created_by AS "createdBy", service.iso(i.updated_at) AS "updatedAt"`)

      const setOf = (change: InvoiceChange, at: Date): ReadonlyArray<Statement.Fragment> => {
        switch (change._tag) {
          case "send":
            return [sql`status = 'sent'`, sql`sent_at = ${at}`]
          case "void":
            return [sql`status = 'void'`, sql`voided_at = ${at}`, sql`void_reason = ${change.reason}`]
          case "paid": {
            const covered = sql`paid_minor + ${change.deltaMinor}::bigint = total_minor`
            return [
              sql`paid_minor = paid_minor + ${change.deltaMinor}::bigint`,
              sql`status = CASE WHEN ${covered} THEN 'paid'
                               WHEN status = 'paid' THEN CASE WHEN sent_at IS NULL THEN 'issued' ELSE 'sent' END
                               ELSE status END`,
              sql`paid_at = CASE WHEN ${covered} THEN ${at}::timestamptz ELSE NULL END`
            ]
          }
        }
      }

      const statusFilter = (status: InvoiceStatus) => {
        switch (status) {
          case "overdue":
            return sql`i.status IN ('issued', 'sent') AND i.due_date < service.today()`
          case "issued":
          case "sent":
            return sql`i.status = ${status} AND i.due_date >= service.today()`
          case "paid":
          case "void":
            return sql`i.status = ${status}`
        }
      }

      return InvoiceRepository.of({
        nextSequence: (organizationId, year) =>
          sql<{ last_sequence: number }>`
            INSERT INTO service.invoice_counters (organization_id, year, last_sequence)
            VALUES (${organizationId}, ${year}, 1)
            ON CONFLICT (organization_id, year) DO UPDATE SET last_sequence = invoice_counters.last_sequence + 1
            RETURNING last_sequence`.pipe(
            Effect.flatMap((rows) => Schema.decodeUnknownEffect(Schema.Int)(rows[0]?.last_sequence)),
            Effect.orDie
          ),

        insert: (invoice) =>
          one(Invoice)(sql`
            WITH i AS (
              INSERT INTO service.invoices (organization_id, id, number, year, sequence, client_id, job_id, status,
                currency, lines, subtotal_minor, tax_minor, total_minor, issued_at, due_date, created_by, updated_at)
              VALUES (${invoice.organizationId}, ${invoice.id}, ${invoice.number}, ${invoice.year}, ${invoice.sequence},
                ${invoice.clientId}, ${invoice.jobId}, 'issued', ${invoice.currency}, ${JSON.stringify(invoice.lines)}::jsonb,
                ${invoice.subtotalMinor}, ${invoice.taxMinor}, ${invoice.totalMinor}, ${invoice.at},
                ${invoice.dueDate}::date, ${invoice.createdBy}, ${invoice.at})
              RETURNING *)
            SELECT to_json(r) AS j FROM (SELECT ${columns} FROM i) r`),

        findById: (organizationId, invoiceId, options) =>
          maybeOne(Invoice)(sql`
            SELECT to_json(r) AS j FROM (
              SELECT ${columns} FROM service.invoices i WHERE i.organization_id = ${organizationId} AND i.id = ${invoiceId}
              ${options?.lock ? sql.literal("FOR UPDATE") : sql.literal("")}
            ) r`),

        openForJob: (organizationId, jobId) =>
          sql<{ id: string }>`
            SELECT id FROM service.invoices
            WHERE organization_id = ${organizationId} AND job_id = ${jobId} AND status <> 'void'`.pipe(
            Effect.map((rows) => Option.fromUndefinedOr(rows[0]?.id)),
            Effect.orDie
          ),

        change: (organizationId, invoiceId, change, at) =>
          one(Invoice)(sql`
            WITH i AS (
              UPDATE service.invoices SET ${sql.csv([...setOf(change, at), sql`updated_at = ${at}`])}
              WHERE organization_id = ${organizationId} AND id = ${invoiceId}
              RETURNING *)
            SELECT to_json(r) AS j FROM (SELECT ${columns} FROM i) r`),

        list: (organizationId, filters, limit, after) =>
          all(Invoice)(sql`
            SELECT to_json(r) AS j FROM (
              SELECT ${columns} FROM service.invoices i
              WHERE ${sql.and([
                sql`i.organization_id = ${organizationId}`,
                ...(filters.status === undefined ? [] : [statusFilter(filters.status)]),
                ...(filters.clientId === undefined ? [] : [sql`i.client_id = ${filters.clientId}`]),
                ...(after === undefined ? [] : [sql`(i.issued_at, i.id) < (${after[0]}::timestamptz, ${after[1]})`])
              ])}
              ORDER BY i.issued_at DESC, i.id DESC
              LIMIT ${limit + 1}
            ) r`)
      })
    })
  )
}
