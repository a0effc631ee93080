/**
 * service.payment.record, service.payment.refund
 *
 * Both lock the invoice first, so concurrent payments of one invoice are applied one after the
 * other and can never together overpay it (the database's CHECK would refuse it anyway).
 */
import { implement } from "@tessera/contract-server/Implementation"
import { InvoicePaid, PaymentReceived } from "@tessera/contracts/service-business/Events"
import {
  PaymentExceedsBalance,
  PaymentNotFound,
  RecordPayment,
  RefundExceedsPayment,
  RefundPayment
} from "@tessera/contracts/service-business/Payments"
import { Effect, Option } from "effect"
import { ServiceIds } from "../domain/ServiceIds.ts"
import { InvoiceRepository } from "../repositories/InvoiceRepository.ts"
import { PaymentRepository } from "../repositories/PaymentRepository.ts"
import { invoiceOf, now } from "./Common.ts"
import { notAllowed } from "./InvoiceHandlers.ts"

export const recordPayment = implement(RecordPayment, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const organizationId = actor.organizationId
    const invoice = yield* invoiceOf(organizationId, input.invoiceId, true)
    if (invoice.status === "paid" || invoice.status === "void") return yield* notAllowed(invoice, "pay")
    if (input.amountMinor > invoice.balanceMinor) {
      return yield* new PaymentExceedsBalance({
        invoiceId: invoice.id,
        balanceMinor: invoice.balanceMinor,
        amountMinor: input.amountMinor,
        detail: `Invoice ${invoice.number} has ${invoice.balanceMinor} left to pay; ${input.amountMinor} is more.`
      })
    }
    const at = yield* now
    const payment = yield* Effect.flatMap(PaymentRepository, (payments) =>
      Effect.gen(function* () {
        return yield* payments.insert({
          organizationId,
          id: yield* Effect.flatMap(ServiceIds, (ids) => ids.next("payment")),
          invoiceId: invoice.id,
          kind: "payment",
          amountMinor: input.amountMinor,
          method: input.method,
          reference: input.reference ?? null,
          reason: null,
          refundOf: null,
          receivedAt: input.receivedAt ?? at.toISOString(),
          recordedBy: actor.userId,
          at
        })
      })
    )
    const updated = yield* Effect.flatMap(InvoiceRepository, (invoices) =>
      invoices.change(organizationId, invoice.id, { _tag: "paid", deltaMinor: input.amountMinor }, at)
    )
    yield* emit(PaymentReceived, {
      paymentId: payment.id,
      invoiceId: invoice.id,
      clientId: invoice.clientId,
      amountMinor: input.amountMinor,
      currency: invoice.currency,
      method: payment.method,
      reference: payment.reference,
      receivedAt: payment.receivedAt
    })
    if (updated.status === "paid") {
      yield* emit(InvoicePaid, {
        invoiceId: updated.id,
        number: updated.number,
        clientId: updated.clientId,
        jobId: updated.jobId,
        totalMinor: updated.totalMinor,
        currency: updated.currency,
        paidAt: updated.paidAt ?? at.toISOString()
      })
    }
    return { payment, invoice: updated }
  })
)

export const refundPayment = implement(RefundPayment, (input, { actor }) =>
  Effect.gen(function* () {
    const organizationId = actor.organizationId
    const payments = yield* PaymentRepository
    const original = yield* payments.findById(organizationId, input.paymentId).pipe(
      Effect.flatMap(
        Option.match({
          onNone: () =>
            Effect.fail(
              new PaymentNotFound({
                paymentId: input.paymentId,
                detail: `No payment ${input.paymentId} in your organization.`
              })
            ),
          onSome: Effect.succeed
        })
      )
    )
    // Lock the invoice before reading what was refunded: refunds of one payment queue here.
    const invoice = yield* invoiceOf(organizationId, original.invoiceId, true).pipe(Effect.orDie)
    const refundable =
      original.kind === "payment" ? original.amountMinor - (yield* payments.refundedOf(organizationId, original.id)) : 0
    if (input.amountMinor > refundable) {
      return yield* new RefundExceedsPayment({
        paymentId: original.id,
        refundableMinor: refundable,
        amountMinor: input.amountMinor,
        detail: `Payment ${original.id} has ${refundable} left to refund; ${input.amountMinor} is more.`
      })
    }
    const at = yield* now
    const refund = yield* payments.insert({
      organizationId,
      id: yield* Effect.flatMap(ServiceIds, (ids) => ids.next("payment")),
      invoiceId: invoice.id,
      kind: "refund",
      amountMinor: -input.amountMinor,
      method: original.method,
      reference: null,
      reason: input.reason,
      refundOf: original.id,
      receivedAt: at.toISOString(),
      recordedBy: actor.userId,
      at
    })
    const updated = yield* Effect.flatMap(InvoiceRepository, (invoices) =>
      invoices.change(organizationId, invoice.id, { _tag: "paid", deltaMinor: -input.amountMinor }, at)
    )
    return { payment: refund, invoice: updated }
  })
)
