/**
 * crm.contact.create, crm.contact.list
 */
import { implement } from "@tessera/contract-server/Implementation"
import { CreateContact, ListContacts } from "@tessera/contracts/crm/Contacts"
import { CompanyNotFound } from "@tessera/contracts/crm/Deals"
import { ContactCreated } from "@tessera/contracts/crm/Events"
import { DEFAULT_LIMIT } from "@tessera/contracts/crm/Shared"
import { Clock, Effect } from "effect"
import { CrmIds } from "../domain/CrmIds.ts"
import { afterCursor, paginate } from "../domain/Cursor.ts"
import { CompanyRepository } from "../repositories/CompanyRepository.ts"
import { ContactRepository } from "../repositories/ContactRepository.ts"

export const createContact = implement(CreateContact, (input, { actor, emit }) =>
  Effect.gen(function* () {
    if (input.companyId !== undefined) {
      const companyId = input.companyId
      const exists = yield* Effect.flatMap(CompanyRepository, (companies) =>
        companies.exists(actor.organizationId, companyId)
      )
      if (!exists)
        return yield* new CompanyNotFound({ companyId, detail: `No company ${companyId} in your organization.` })
    }
    const contacts = yield* ContactRepository
    const contact = yield* contacts.insert({
      organizationId: actor.organizationId,
      id: yield* Effect.flatMap(CrmIds, (ids) => ids.next("contact")),
      firstName: input.firstName,
      lastName: input.lastName ?? null,
      email: input.email ?? null,
      phone: input.phone ?? null,
      companyId: input.companyId ?? null,
      ownerId: input.ownerId ?? actor.userId,
      at: new Date(yield* Clock.currentTimeMillis)
    })
    yield* emit(ContactCreated, { contactId: contact.id, companyId: contact.companyId, ownerId: contact.ownerId })
    return contact
  })
)

export const listContacts = implement(ListContacts, (input, { actor }) =>
  Effect.gen(function* () {
    const limit = input.limit ?? DEFAULT_LIMIT
    const after = yield* afterCursor(input.cursor, "crm.contact.list")
    const rows = yield* Effect.flatMap(ContactRepository, (contacts) =>
      contacts.list(actor.organizationId, { companyId: input.companyId, search: input.search }, limit, after)
    )
    return paginate(rows, limit, (contact) => [contact.createdAt, contact.id])
  })
)
