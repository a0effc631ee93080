/**
 * Payments against an invoice, and refunds of them. A payment may be partial; the invoice becomes
 * `paid` when its payments (net of refunds) cover its total, and a payment larger than what is
 * left is refused (422 PAYMENT_EXCEEDS_BALANCE). A refund is a negative adjustment of one payment,
 * with a reason: it can take back at most what that payment brought, and a paid invoice it leaves
 * short is owed again (back to `issued` or `sent`).
 */
import { command } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { InvoicePaid, PaymentMethod, PaymentReceived } from "./Events.ts"
import { Invoice, InvoiceTransitionNotAllowed } from "./Invoices.ts"
import {
  AmountMinor,
  InvoiceId,
  InvoiceNotFound,
  Note,
  owners,
  PaymentId,
  PositiveAmountMinor,
  SignedAmountMinor,
  Timestamp
} from "./Shared.ts"

export const PaymentKind = Schema.Literals(["payment", "refund"])

/** A payer's reference (check number, remittance text): may identify a person. */
export const Reference = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))

export const Payment = Schema.Struct({
  id: PaymentId,
  invoiceId: InvoiceId,
  kind: PaymentKind,
  /** Positive for a payment, negative for a refund. */
  amountMinor: SignedAmountMinor,
  method: PaymentMethod,
  reference: Schema.NullOr(Reference),
  /** Why a refund was made (null for payments). */
  reason: Schema.NullOr(Note),
  /** The payment a refund takes back (null for payments). */
  refundOf: Schema.NullOr(PaymentId),
  receivedAt: Timestamp,
  recordedBy: Schema.String,
  createdAt: Timestamp
})
export type Payment = typeof Payment.Type

export const PaymentResult = Schema.Struct({ payment: Payment, invoice: Invoice })

export class PaymentExceedsBalance extends ContractError<PaymentExceedsBalance>()(
  "PaymentExceedsBalance",
  {
    code: "PAYMENT_EXCEEDS_BALANCE",
    status: 422,
    title: "Payment exceeds the balance",
    when: "The amount is more than what is left to pay on the invoice (overpayment)"
  },
  { invoiceId: Schema.String, balanceMinor: AmountMinor, amountMinor: AmountMinor }
) {}

export class PaymentNotFound extends ContractError<PaymentNotFound>()(
  "PaymentNotFound",
  {
    code: "PAYMENT_NOT_FOUND",
    status: 404,
    title: "Payment not found",
    when: "No payment with this id in the caller's organization"
  },
  { paymentId: Schema.String }
) {}

export class RefundExceedsPayment extends ContractError<RefundExceedsPayment>()(
  "RefundExceedsPayment",
  {
    code: "REFUND_EXCEEDS_PAYMENT",
    status: 422,
    title: "Refund exceeds the payment",
    when: "The refund is more than what the payment brought, net of earlier refunds"
  },
  { paymentId: Schema.String, refundableMinor: AmountMinor, amountMinor: AmountMinor }
) {}

const invoice = {
  id: "invoice-9",
  number: "INV-2025-0001",
  clientId: "client-123",
  jobId: "job-456",
  status: "issued",
  currency: "EUR",
  lines: [
    {
      description: "Repair, labour",
      quantity: 2,
      unitPriceMinor: 4500,
      taxRateBps: 2000,
      netMinor: 9000,
      taxMinor: 1800,
      totalMinor: 10_800
    }
  ],
  subtotalMinor: 9000,
  taxMinor: 1800,
  totalMinor: 10_800,
  paidMinor: 0,
  balanceMinor: 10_800,
  issuedAt: "2025-01-21T09:00:00.000Z",
  dueDate: "2999-12-31",
  sentAt: null,
  paidAt: null,
  voidedAt: null,
  voidReason: null,
  createdBy: "user-1",
  updatedAt: "2025-01-21T09:00:00.000Z"
} as const

const AT = "2025-01-23T09:00:00.000Z"

const payment = {
  id: "payment-1",
  invoiceId: "invoice-9",
  kind: "payment",
  amountMinor: 10_800,
  method: "bank_transfer",
  reference: "REF 2025-17",
  reason: null,
  refundOf: null,
  receivedAt: AT,
  recordedBy: "user-1",
  createdAt: AT
} as const

export const RecordPayment = command({
  meta: {
    key: "service.payment.record",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "payment", "record"],
    description: "Record a payment (whole or partial) against an invoice.",
    goal: "Know what has been paid.",
    context: "Receivables."
  },
  input: Schema.Struct({
    invoiceId: InvoiceId,
    amountMinor: PositiveAmountMinor,
    method: PaymentMethod,
    reference: Schema.optionalKey(Reference),
    /** When the money arrived; now when omitted. */
    receivedAt: Schema.optionalKey(Timestamp)
  }),
  output: PaymentResult,
  errors: [InvoiceNotFound, InvoiceTransitionNotAllowed, PaymentExceedsBalance],
  policy: { auth: "user" },
  emits: [
    { event: PaymentReceived, when: "Every recorded payment" },
    { event: InvoicePaid, when: "The payments now cover the invoice's total" }
  ],
  audit: { input: false },
  idempotent: true,
  acceptance: {
    scenarios: [
      {
        key: "record-payment-partial-then-paid",
        given: ["An issued invoice"],
        when: ["User records a partial payment, then one for the rest"],
        then: [
          "After the first the balance is what is left and the invoice is not paid",
          "After the second the invoice is paid; service.payment.received twice and service.invoice.paid once are stored"
        ]
      },
      {
        key: "record-payment-overpayment",
        given: ["An invoice with a balance"],
        when: ["User records more than the balance"],
        then: ["The call is refused with 422 PAYMENT_EXCEEDS_BALANCE", "Nothing is written"]
      },
      {
        key: "record-payment-void-invoice",
        given: ["A void invoice"],
        when: ["User records a payment"],
        then: ["The call is refused with 409 INVOICE_TRANSITION_NOT_ALLOWED"]
      }
    ],
    examples: [
      {
        key: "pay-repair-invoice",
        input: {
          invoiceId: "invoice-9",
          amountMinor: 10_800,
          method: "bank_transfer",
          reference: "REF 2025-17",
          receivedAt: AT
        },
        output: {
          payment,
          invoice: { ...invoice, status: "paid", paidMinor: 10_800, balanceMinor: 0, paidAt: AT, updatedAt: AT }
        }
      }
    ]
  }
})

export const RefundPayment = command({
  meta: {
    key: "service.payment.refund",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "payment", "refund"],
    description: "Refund (part of) a payment: a negative adjustment with a reason.",
    goal: "Give money back without rewriting history.",
    context: "Receivables corrections."
  },
  input: Schema.Struct({ paymentId: PaymentId, amountMinor: PositiveAmountMinor, reason: Note }),
  output: PaymentResult,
  errors: [PaymentNotFound, RefundExceedsPayment],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "refund-payment-happy-path",
        given: ["A paid invoice"],
        when: ["User refunds part of its payment with a reason"],
        then: [
          "A negative adjustment with the reason is recorded",
          "The invoice is owed again: its balance is the refunded amount"
        ]
      },
      {
        key: "refund-more-than-paid",
        given: ["A payment partly refunded already"],
        when: ["User refunds more than what is left of it"],
        then: ["The call is refused with 422 REFUND_EXCEEDS_PAYMENT"]
      }
    ],
    examples: [
      {
        key: "refund-part-of-repair",
        input: { paymentId: "payment-1", amountMinor: 800, reason: "Goodwill discount" },
        output: {
          payment: {
            ...payment,
            id: "payment-2",
            kind: "refund",
            amountMinor: -800,
            reference: null,
            reason: "Goodwill discount",
            refundOf: "payment-1",
            receivedAt: "2025-01-24T09:00:00.000Z",
            createdAt: "2025-01-24T09:00:00.000Z"
          },
          invoice: {
            ...invoice,
            paidMinor: 10_000,
            balanceMinor: 800,
            updatedAt: "2025-01-24T09:00:00.000Z"
          }
        }
      }
    ]
  }
})
