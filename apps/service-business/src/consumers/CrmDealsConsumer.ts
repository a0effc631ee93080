/**
 * `service.crmDeals`: a won CRM deal becomes work for the service business. For each `deal.won`
 * (version 2; stored v1 events arrive upcast) it matches the deal's client — by CRM company, else
 * by CRM contact, else by the deal itself — or creates it from the deal's display names, then
 * drafts a quote for the deal's value (one line, no tax, valid 30 days from the win).
 *
 * Idempotent twice over: the dispatcher's inbox row makes a redelivered event change nothing, and
 * the quote's unique `(organization, source deal)` means the same deal never drafts two quotes
 * (a replayed event finds its quote and stops). Two deals of one company won at once take a
 * transaction-scoped advisory lock on the company (or contact), so they find one client, not two.
 *
 * The draft is the user's to send: nothing is published (a client made here announces nothing —
 * `deal.won` already did).
 */
import { DealWonV2 } from "@tessera/contracts/crm/Events"
import * as Consumer from "@tessera/dispatcher/Consumer"
import type { DecodedEnvelope } from "@tessera/envelope/Envelope"
import type { PayloadOf } from "@tessera/envelope/EventDefinition"
import { Clock, Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { dateAfter } from "../domain/InvoiceNumbers.ts"
import { ServiceIds } from "../domain/ServiceIds.ts"
import { ClientRepository } from "../repositories/ClientRepository.ts"
import { QuoteRepository } from "../repositories/QuoteRepository.ts"

/** How long a quote drafted from a won deal stays valid. */
export const DEAL_QUOTE_VALID_DAYS = 30

type DealWon = PayloadOf<typeof DealWonV2>

/** The name a client made from a deal gets: its company's, else its contact's, else the deal's. */
export const clientNameOf = (deal: DealWon): string => deal.companyName ?? deal.contactName ?? deal.name

export const draftFromDeal = (envelope: Pick<DecodedEnvelope<DealWon>, "organization_id" | "actor" | "payload">) =>
  Effect.gen(function* () {
    const organizationId = envelope.organization_id
    const deal = envelope.payload
    const quotes = yield* QuoteRepository
    if (yield* quotes.existsForDeal(organizationId, deal.dealId)) return undefined
    const sql = yield* SqlClient.SqlClient
    const partyKey =
      deal.companyId !== null
        ? `company:${deal.companyId}`
        : deal.contactId !== null
          ? `contact:${deal.contactId}`
          : `deal:${deal.dealId}`
    yield* sql`SELECT pg_advisory_xact_lock(hashtextextended(${`service.crmDeals:${organizationId}:${partyKey}`}, 0))`.pipe(
      Effect.orDie
    )
    const clients = yield* ClientRepository
    const ids = yield* ServiceIds
    const at = new Date(deal.closedAt)
    const party = { companyId: deal.companyId, contactId: deal.contactId, dealId: deal.dealId }
    const existing = yield* clients.findForDeal(organizationId, party)
    const client = Option.isSome(existing)
      ? existing.value
      : yield* clients.insert({
          organizationId,
          id: yield* ids.next("client"),
          name: clientNameOf(deal),
          email: null,
          phone: null,
          address: null,
          crmContactId: deal.contactId,
          crmCompanyId: deal.companyId,
          sourceDealId: deal.dealId,
          createdBy: envelope.actor.id,
          at
        })
    return yield* quotes.insert({
      organizationId,
      id: yield* ids.next("quote"),
      clientId: client.id,
      currency: deal.value.currency,
      lines: [
        {
          description: deal.name,
          quantity: 1,
          unitPriceMinor: deal.value.amountMinor,
          taxRateBps: 0,
          netMinor: deal.value.amountMinor,
          taxMinor: 0,
          totalMinor: deal.value.amountMinor
        }
      ],
      subtotalMinor: deal.value.amountMinor,
      taxMinor: 0,
      totalMinor: deal.value.amountMinor,
      validUntil: dateAfter(at, DEAL_QUOTE_VALID_DAYS),
      notes: `Drafted from the won CRM deal "${deal.name}".`.slice(0, 2000),
      sourceDealId: deal.dealId,
      createdBy: envelope.actor.id,
      at: new Date(yield* Clock.currentTimeMillis)
    })
  })

export const CrmDealsConsumer = Consumer.make({
  name: "service.crmDeals",
  domain: "service",
  handlers: [Consumer.on(DealWonV2, (event) => draftFromDeal(event))]
})
