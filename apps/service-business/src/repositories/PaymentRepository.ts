/**
 * Payments and refunds (negative adjustments of one payment). Every method takes the organization first.
 */
import { Payment } from "@tessera/contracts/service-business/Payments"
import { Context, Effect, Layer, type Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { maybeOne, one } from "./Sql.ts"

export interface NewPayment {
  readonly organizationId: string
  readonly id: string
  readonly invoiceId: string
  readonly kind: "payment" | "refund"
  /** Positive for a payment, negative for a refund. */
  readonly amountMinor: number
  readonly method: string
  readonly reference: string | null
  readonly reason: string | null
  readonly refundOf: string | null
  readonly receivedAt: string
  readonly recordedBy: string
  readonly at: Date
}

export class PaymentRepository extends Context.Service<
  PaymentRepository,
  {
    readonly insert: (payment: NewPayment) => Effect.Effect<Payment>
    readonly findById: (organizationId: string, paymentId: string) => Effect.Effect<Option.Option<Payment>>
    /** How much of a payment was refunded already (a positive amount). */
    readonly refundedOf: (organizationId: string, paymentId: string) => Effect.Effect<number>
  }
>()("@tessera/service-business/PaymentRepository") {
  static readonly layer = Layer.effect(
    PaymentRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(`
        p.id, p.invoice_id AS "invoiceId", p.kind, p.amount_minor AS "amountMinor", p.method, p.reference, p.reason,
        p.refund_of AS "refundOf", service.iso(p.received_at) AS "receivedAt", p.recorded_by AS "recordedBy",
        service.iso(p.created_at) AS "createdAt"`)

      return PaymentRepository.of({
        insert: (payment) =>
          one(Payment)(sql`
            WITH p AS (
              INSERT INTO service.payments (organization_id, id, invoice_id, kind, amount_minor, method, reference,
                reason, refund_of, received_at, recorded_by, created_at)
              VALUES (${payment.organizationId}, ${payment.id}, ${payment.invoiceId}, ${payment.kind},
                ${payment.amountMinor}::bigint, ${payment.method}, ${payment.reference}, ${payment.reason},
                ${payment.refundOf}, ${payment.receivedAt}::timestamptz, ${payment.recordedBy}, ${payment.at})
              RETURNING *)
            SELECT to_json(r) AS j FROM (SELECT ${columns} FROM p) r`),

        findById: (organizationId, paymentId) =>
          maybeOne(Payment)(sql`
            SELECT to_json(r) AS j FROM (
              SELECT ${columns} FROM service.payments p WHERE p.organization_id = ${organizationId} AND p.id = ${paymentId}
            ) r`),

        refundedOf: (organizationId, paymentId) =>
          one(Schema.Int)(sql`
            SELECT to_json(coalesce(-sum(amount_minor), 0)) AS j FROM service.payments
            WHERE organization_id = ${organizationId} AND refund_of = ${paymentId}`)
      })
    })
  )
}
