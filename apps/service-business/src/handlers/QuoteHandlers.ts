/**
 * service.quote.create, service.quote.send, service.quote.accept, service.quote.reject,
 * service.quote.get, service.quote.list
 *
 * Commands read the quote with a row lock, so two concurrent answers to one quote cannot both
 * succeed. Expiry is the quote's status as read (`expired`, by the database's clock).
 */
import { implement } from "@tessera/contract-server/Implementation"
import { QuoteAccepted, QuoteSent } from "@tessera/contracts/service-business/Events"
import {
  AcceptQuote,
  CreateQuote,
  GetQuote,
  ListQuotes,
  type Quote,
  QuoteExpired,
  QuoteNotDraft,
  QuoteNotSent,
  RejectQuote,
  SendQuote
} from "@tessera/contracts/service-business/Quotes"
import { AmountTooLarge, DEFAULT_LIMIT } from "@tessera/contracts/service-business/Shared"
import { Effect, Result } from "effect"
import { afterCursor, paginate } from "../domain/Cursor.ts"
import { totalsOf } from "../domain/Money.ts"
import { ServiceIds } from "../domain/ServiceIds.ts"
import { QuoteRepository } from "../repositories/QuoteRepository.ts"
import { clientOf, now, quoteOf } from "./Common.ts"

const expired = (quote: Quote) =>
  new QuoteExpired({
    quoteId: quote.id,
    validUntil: quote.validUntil,
    detail: `Quote ${quote.id} expired after ${quote.validUntil}.`
  })

const sentAtOf = (quote: Quote) =>
  quote.sentAt === null
    ? Effect.die(`quote ${quote.id} is ${quote.status} without sentAt`)
    : Effect.succeed(quote.sentAt)

export const createQuote = implement(CreateQuote, (input, { actor }) =>
  Effect.gen(function* () {
    yield* clientOf(actor.organizationId, input.clientId)
    const totals = totalsOf(input.lines)
    if (Result.isFailure(totals)) {
      return yield* new AmountTooLarge({
        field: totals.failure.field,
        detail: `The quote's ${totals.failure.field} would exceed 9007199254740991 minor units.`
      })
    }
    return yield* Effect.flatMap(QuoteRepository, (quotes) =>
      Effect.gen(function* () {
        return yield* quotes.insert({
          organizationId: actor.organizationId,
          id: yield* Effect.flatMap(ServiceIds, (ids) => ids.next("quote")),
          clientId: input.clientId,
          currency: input.currency,
          ...totals.success,
          validUntil: input.validUntil,
          notes: input.notes ?? null,
          sourceDealId: null,
          createdBy: actor.userId,
          at: yield* now
        })
      })
    )
  })
)

export const sendQuote = implement(SendQuote, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const quote = yield* quoteOf(actor.organizationId, input.quoteId, true)
    if (quote.status === "expired") return yield* expired(quote)
    if (quote.status !== "draft") {
      return yield* new QuoteNotDraft({
        quoteId: quote.id,
        quoteStatus: quote.status,
        detail: `Quote ${quote.id} is ${quote.status}; only a draft can be sent.`
      })
    }
    const sent = yield* Effect.flatMap(QuoteRepository, (quotes) =>
      Effect.flatMap(now, (at) => quotes.send(actor.organizationId, quote.id, at))
    )
    yield* emit(QuoteSent, {
      quoteId: sent.id,
      clientId: sent.clientId,
      totalMinor: sent.totalMinor,
      currency: sent.currency,
      validUntil: sent.validUntil,
      sentAt: yield* sentAtOf(sent)
    })
    return sent
  })
)

const ensureSent = (quote: Quote) =>
  quote.status === "expired"
    ? Effect.fail(expired(quote))
    : quote.status === "sent"
      ? Effect.void
      : Effect.fail(
          new QuoteNotSent({
            quoteId: quote.id,
            quoteStatus: quote.status,
            detail: `Quote ${quote.id} is ${quote.status}; only a sent quote can be answered.`
          })
        )

export const acceptQuote = implement(AcceptQuote, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const quote = yield* quoteOf(actor.organizationId, input.quoteId, true)
    yield* ensureSent(quote)
    const at = yield* now
    const accepted = yield* Effect.flatMap(QuoteRepository, (quotes) =>
      quotes.accept(actor.organizationId, quote.id, input.acceptedBy, at)
    )
    yield* emit(QuoteAccepted, {
      quoteId: accepted.id,
      clientId: accepted.clientId,
      totalMinor: accepted.totalMinor,
      currency: accepted.currency,
      acceptedBy: input.acceptedBy,
      acceptedAt: accepted.acceptedAt ?? at.toISOString()
    })
    return accepted
  })
)

export const rejectQuote = implement(RejectQuote, (input, { actor }) =>
  Effect.gen(function* () {
    const quote = yield* quoteOf(actor.organizationId, input.quoteId, true)
    // A sent quote that has since expired can still be marked rejected: the answer came, just late.
    const awaitingAnswer = quote.status === "sent" || (quote.status === "expired" && quote.sentAt !== null)
    if (!awaitingAnswer) {
      return yield* new QuoteNotSent({
        quoteId: quote.id,
        quoteStatus: quote.status,
        detail: `Quote ${quote.id} is ${quote.status}; only a sent quote can be answered.`
      })
    }
    return yield* Effect.flatMap(QuoteRepository, (quotes) =>
      Effect.flatMap(now, (at) => quotes.reject(actor.organizationId, quote.id, input.reason ?? null, at))
    )
  })
)

export const getQuote = implement(GetQuote, (input, { actor }) => quoteOf(actor.organizationId, input.quoteId))

export const listQuotes = implement(ListQuotes, (input, { actor }) =>
  Effect.gen(function* () {
    const limit = input.limit ?? DEFAULT_LIMIT
    const after = yield* afterCursor(input.cursor, "service.quote.list")
    const rows = yield* Effect.flatMap(QuoteRepository, (quotes) =>
      quotes.list(actor.organizationId, { clientId: input.clientId, status: input.status }, limit, after)
    )
    return paginate(rows, limit, (quote) => [quote.createdAt, quote.id])
  })
)
