/**
 * Contacts: the people deals are made with.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { Schema } from "effect"
import { CompanyNotFound } from "./Deals.ts"
import { ContactCreated } from "./Events.ts"
import { CompanyId, ContactId, Cursor, InvalidCursor, Limit, Name, owners, Timestamp, UserId } from "./Shared.ts"

export const Email = Schema.String.check(Schema.isMaxLength(254), Schema.isPattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/)).pipe(
  Schema.annotate({ description: "E-mail address" })
)

export const Contact = Schema.Struct({
  id: ContactId,
  firstName: Name,
  lastName: Schema.NullOr(Name),
  email: Schema.NullOr(Email),
  phone: Schema.NullOr(Schema.String),
  companyId: Schema.NullOr(CompanyId),
  ownerId: UserId,
  createdAt: Timestamp
})
export type Contact = typeof Contact.Type

export const CreateContact = command({
  meta: {
    key: "crm.contact.create",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "contact", "create"],
    description: "Add a contact, optionally at a company.",
    goal: "Know who deals are made with.",
    context: "Contact capture."
  },
  input: Schema.Struct({
    firstName: Name,
    lastName: Schema.optionalKey(Name),
    email: Schema.optionalKey(Email),
    phone: Schema.optionalKey(Schema.String.check(Schema.isMinLength(3), Schema.isMaxLength(40))),
    companyId: Schema.optionalKey(CompanyId),
    /** Defaults to the caller. */
    ownerId: Schema.optionalKey(UserId)
  }),
  output: Contact,
  errors: [CompanyNotFound],
  policy: { auth: "user" },
  emits: [{ event: ContactCreated, when: "The contact is created" }],
  audit: { input: false },
  acceptance: {
    scenarios: [
      {
        key: "create-contact-happy-path",
        given: ["A company exists"],
        when: ["User adds a contact at that company"],
        then: ["Contact is created, owned by the user", "ContactCreated event is emitted with ids only"]
      },
      {
        key: "create-contact-unknown-company",
        given: ["No company with the given id in the user's organization"],
        when: ["User adds a contact at it"],
        then: ["The call is refused with 404 COMPANY_NOT_FOUND"]
      }
    ],
    examples: [
      {
        key: "create-ada",
        input: { firstName: "Ada", lastName: "Lovelace", email: "ada@acme.example", companyId: "company_1" },
        output: {
          id: "contact_1",
          firstName: "Ada",
          lastName: "Lovelace",
          email: "ada@acme.example",
          phone: null,
          companyId: "company_1",
          ownerId: "user-1",
          createdAt: "2025-01-20T09:00:00.000Z"
        }
      }
    ]
  }
})

export const ListContacts = query({
  meta: {
    key: "crm.contact.list",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "contact", "list"],
    description: "List contacts, optionally of one company or matching a name or e-mail, a page at a time.",
    goal: "Find the people to work with.",
    context: "Contact lists and pickers."
  },
  input: Schema.Struct({
    companyId: Schema.optionalKey(CompanyId),
    search: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
    limit: Schema.optionalKey(Limit),
    cursor: Schema.optionalKey(Cursor)
  }),
  output: Schema.Struct({ items: Schema.Array(Contact), nextCursor: Schema.NullOr(Cursor) }),
  errors: [InvalidCursor],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-contacts-of-company",
        given: ["Contacts at two companies"],
        when: ["User lists contacts of one company"],
        then: ["Only that company's contacts are returned"]
      }
    ],
    examples: [
      {
        key: "contacts-of-acme",
        input: { companyId: "company_1" },
        output: {
          items: [
            {
              id: "contact_1",
              firstName: "Ada",
              lastName: "Lovelace",
              email: "ada@acme.example",
              phone: null,
              companyId: "company_1",
              ownerId: "user-1",
              createdAt: "2025-01-20T09:00:00.000Z"
            }
          ],
          nextCursor: null
        }
      }
    ]
  }
})
