/**
 * What every handler of the service business shares: the time of the call, and looking up the
 * caller's organization's rows or failing with the contract's not-found error (another
 * organization's id is not found, the same as an id that does not exist).
 */
import { ClientNotFound, InvoiceNotFound, JobNotFound, QuoteNotFound } from "@tessera/contracts/service-business/Shared"
import { Clock, Effect, Option } from "effect"
import { ClientRepository } from "../repositories/ClientRepository.ts"
import { InvoiceRepository } from "../repositories/InvoiceRepository.ts"
import { JobRepository } from "../repositories/JobRepository.ts"
import { QuoteRepository } from "../repositories/QuoteRepository.ts"

export const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

const orFail =
  <E>(onNone: () => E) =>
  <A, R>(found: Effect.Effect<Option.Option<A>, never, R>) =>
    Effect.flatMap(found, Option.match({ onNone: () => Effect.fail(onNone()), onSome: Effect.succeed }))

export const clientOf = (organizationId: string, clientId: string) =>
  Effect.flatMap(ClientRepository, (clients) => clients.findById(organizationId, clientId)).pipe(
    orFail(() => new ClientNotFound({ clientId, detail: `No client ${clientId} in your organization.` }))
  )

/** The quote, locked for the rest of the call's transaction when `lock`. */
export const quoteOf = (organizationId: string, quoteId: string, lock = false) =>
  Effect.flatMap(QuoteRepository, (quotes) => quotes.findById(organizationId, quoteId, { lock })).pipe(
    orFail(() => new QuoteNotFound({ quoteId, detail: `No quote ${quoteId} in your organization.` }))
  )

export const jobOf = (organizationId: string, jobId: string, lock = false) =>
  Effect.flatMap(JobRepository, (jobs) => jobs.findById(organizationId, jobId, { lock })).pipe(
    orFail(() => new JobNotFound({ jobId, detail: `No job ${jobId} in your organization.` }))
  )

export const invoiceOf = (organizationId: string, invoiceId: string, lock = false) =>
  Effect.flatMap(InvoiceRepository, (invoices) => invoices.findById(organizationId, invoiceId, { lock })).pipe(
    orFail(() => new InvoiceNotFound({ invoiceId, detail: `No invoice ${invoiceId} in your organization.` }))
  )
