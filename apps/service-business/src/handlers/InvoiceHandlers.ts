/**
 * service.invoice.issue, service.invoice.send, service.invoice.void, service.invoice.get,
 * service.invoice.list
 *
 * Issuing locks the job (one open invoice per job) and, last, the organization's counter row for
 * the year (`InvoiceRepository.nextSequence`): concurrent issues of one organization wait for each
 * other only from taking the number to committing, and never share or skip one; other
 * organizations, and every other operation, never wait on it.
 */
import { implement } from "@tessera/contract-server/Implementation"
import { InvoiceIssued } from "@tessera/contracts/service-business/Events"
import {
  GetInvoice,
  type Invoice,
  type InvoiceAction,
  InvoiceHasPayments,
  InvoiceTermsMissing,
  InvoiceTransitionNotAllowed,
  IssueInvoice,
  JobAlreadyInvoiced,
  JobNotCompleted,
  ListInvoices,
  SendInvoice,
  VoidInvoice
} from "@tessera/contracts/service-business/Invoices"
import { AmountTooLarge, DEFAULT_LIMIT, type LineInput } from "@tessera/contracts/service-business/Shared"
import { Effect, Option, Result } from "effect"
import { afterCursor, paginate } from "../domain/Cursor.ts"
import { dateAfter, formatNumber, yearOf } from "../domain/InvoiceNumbers.ts"
import { totalsOf } from "../domain/Money.ts"
import { ServiceIds } from "../domain/ServiceIds.ts"
import { InvoiceRepository } from "../repositories/InvoiceRepository.ts"
import { invoiceOf, jobOf, now, quoteOf } from "./Common.ts"

/** Days from issue to due date when the call gives none. */
export const DEFAULT_PAYMENT_TERM_DAYS = 30

export const notAllowed = (invoice: Invoice, action: InvoiceAction) =>
  new InvoiceTransitionNotAllowed({
    invoiceId: invoice.id,
    invoiceStatus: invoice.status,
    action,
    detail: `Invoice ${invoice.number} is ${invoice.status}: it cannot be ${action === "pay" ? "paid" : action === "send" ? "sent" : "voided"}.`
  })

export const issueInvoice = implement(IssueInvoice, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const organizationId = actor.organizationId
    const job = yield* jobOf(organizationId, input.jobId, true)
    if (job.status !== "completed") {
      return yield* new JobNotCompleted({
        jobId: job.id,
        jobStatus: job.status,
        detail: `Job ${job.id} is ${job.status}; only a completed job can be invoiced.`
      })
    }
    const invoices = yield* InvoiceRepository
    const open = yield* invoices.openForJob(organizationId, job.id)
    if (Option.isSome(open)) {
      return yield* new JobAlreadyInvoiced({
        jobId: job.id,
        invoiceId: open.value,
        detail: `Job ${job.id} is invoiced already (${open.value}); void that invoice to issue another.`
      })
    }
    // The job's quote exists (a foreign key says so): its absence would be a defect, not a caller's error.
    const quote = job.quoteId === null ? undefined : yield* Effect.orDie(quoteOf(organizationId, job.quoteId))
    const lines: ReadonlyArray<LineInput> | undefined =
      input.lines ??
      quote?.lines.map((line) => ({
        description: line.description,
        quantity: line.quantity,
        unitPriceMinor: line.unitPriceMinor,
        taxRateBps: line.taxRateBps
      }))
    const currency = input.currency ?? quote?.currency
    if (lines === undefined || currency === undefined) {
      return yield* new InvoiceTermsMissing({
        jobId: job.id,
        detail: `Job ${job.id} has no quote to bill from: give lines and a currency.`
      })
    }
    const totals = totalsOf(lines)
    if (Result.isFailure(totals)) {
      return yield* new AmountTooLarge({
        field: totals.failure.field,
        detail: `The invoice's ${totals.failure.field} would exceed 9007199254740991 minor units.`
      })
    }
    const at = yield* now
    const year = yearOf(at)
    const id = yield* Effect.flatMap(ServiceIds, (ids) => ids.next("invoice"))
    // Last: from here to commit, this organization's other issues of the year wait for the number.
    const sequence = yield* invoices.nextSequence(organizationId, year)
    const invoice = yield* invoices.insert({
      organizationId,
      id,
      number: formatNumber(year, sequence),
      year,
      sequence,
      clientId: job.clientId,
      jobId: job.id,
      currency,
      ...totals.success,
      dueDate: input.dueDate ?? dateAfter(at, DEFAULT_PAYMENT_TERM_DAYS),
      createdBy: actor.userId,
      at
    })
    yield* emit(InvoiceIssued, {
      invoiceId: invoice.id,
      number: invoice.number,
      clientId: invoice.clientId,
      jobId: invoice.jobId,
      totalMinor: invoice.totalMinor,
      currency: invoice.currency,
      dueDate: invoice.dueDate
    })
    return invoice
  })
)

export const sendInvoice = implement(SendInvoice, (input, { actor }) =>
  Effect.gen(function* () {
    const invoice = yield* invoiceOf(actor.organizationId, input.invoiceId, true)
    const sendable = invoice.sentAt === null && (invoice.status === "issued" || invoice.status === "overdue")
    if (!sendable) return yield* notAllowed(invoice, "send")
    return yield* Effect.flatMap(InvoiceRepository, (invoices) =>
      Effect.flatMap(now, (at) => invoices.change(actor.organizationId, invoice.id, { _tag: "send" }, at))
    )
  })
)

export const voidInvoice = implement(VoidInvoice, (input, { actor }) =>
  Effect.gen(function* () {
    const invoice = yield* invoiceOf(actor.organizationId, input.invoiceId, true)
    if (invoice.status === "paid" || invoice.status === "void") return yield* notAllowed(invoice, "void")
    if (invoice.paidMinor > 0) {
      return yield* new InvoiceHasPayments({
        invoiceId: invoice.id,
        paidMinor: invoice.paidMinor,
        detail: `Invoice ${invoice.number} has ${invoice.paidMinor} paid: refund it before voiding.`
      })
    }
    return yield* Effect.flatMap(InvoiceRepository, (invoices) =>
      Effect.flatMap(now, (at) =>
        invoices.change(actor.organizationId, invoice.id, { _tag: "void", reason: input.reason }, at)
      )
    )
  })
)

export const getInvoice = implement(GetInvoice, (input, { actor }) => invoiceOf(actor.organizationId, input.invoiceId))

export const listInvoices = implement(ListInvoices, (input, { actor }) =>
  Effect.gen(function* () {
    const limit = input.limit ?? DEFAULT_LIMIT
    const after = yield* afterCursor(input.cursor, "service.invoice.list")
    const rows = yield* Effect.flatMap(InvoiceRepository, (invoices) =>
      invoices.list(actor.organizationId, { status: input.status, clientId: input.clientId }, limit, after)
    )
    return paginate(rows, limit, (invoice) => [invoice.issuedAt, invoice.id])
  })
)
