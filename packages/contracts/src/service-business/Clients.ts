/**
 * Clients: the people and businesses the work is for. E-mail, phone and address are personal
 * data: they are kept out of audit rows (`audit: { input: false }`) and out of every event.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { Schema } from "effect"
import { ClientCreated } from "./Events.ts"
import { ClientId, ClientNotFound, CrmRef, Cursor, InvalidCursor, Limit, Name, owners, Timestamp } from "./Shared.ts"

/** Personal data: never in events or audit rows. */
export const Email = Schema.String.check(Schema.isMaxLength(254), Schema.isPattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/)).pipe(
  Schema.annotate({ description: "E-mail address (personal data)" })
)
/** Personal data: never in events or audit rows. */
export const Phone = Schema.String.check(Schema.isMinLength(3), Schema.isMaxLength(40)).pipe(
  Schema.annotate({ description: "Phone number (personal data)" })
)
/** Personal data: never in events or audit rows. */
export const Address = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(500)).pipe(
  Schema.annotate({ description: "Postal address (personal data)" })
)

/** The fields of a client that are personal data. */
export const CLIENT_PII = ["email", "phone", "address"] as const

export const Client = Schema.Struct({
  id: ClientId,
  name: Name,
  email: Schema.NullOr(Email),
  phone: Schema.NullOr(Phone),
  address: Schema.NullOr(Address),
  /** The CRM contact and company the client came from, when it did. */
  crmContactId: Schema.NullOr(CrmRef),
  crmCompanyId: Schema.NullOr(CrmRef),
  createdAt: Timestamp
})
export type Client = typeof Client.Type

const exampleClient = {
  id: "client-123",
  name: "Ada Lovelace",
  email: "ada@example.com",
  phone: "+44 20 7946 0000",
  address: null,
  crmContactId: null,
  crmCompanyId: null,
  createdAt: "2025-01-10T09:00:00.000Z"
} as const

export const CreateClient = command({
  meta: {
    key: "service.client.create",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "client", "create"],
    description: "Add a client.",
    goal: "Know who the work is for.",
    context: "Client capture, by hand or from the CRM."
  },
  input: Schema.Struct({
    name: Name,
    email: Schema.optionalKey(Email),
    phone: Schema.optionalKey(Phone),
    address: Schema.optionalKey(Address),
    crmContactId: Schema.optionalKey(CrmRef),
    crmCompanyId: Schema.optionalKey(CrmRef)
  }),
  output: Client,
  policy: { auth: "user" },
  emits: [{ event: ClientCreated, when: "The client is created (ids only)" }],
  audit: { input: false },
  idempotent: true,
  acceptance: {
    scenarios: [
      {
        key: "create-client-happy-path",
        given: ["A user of an organization"],
        when: ["User adds a client with an e-mail and a phone"],
        then: ["The client is created", "service.client.created is stored with ids only, no personal data"]
      },
      {
        key: "create-client-invalid-email",
        given: ["A user of an organization"],
        when: ["User adds a client with a malformed e-mail"],
        then: ["The call is refused with 400 INVALID_INPUT", "Nothing is written"]
      }
    ],
    examples: [
      {
        key: "create-ada",
        input: { name: "Ada Lovelace", email: "ada@example.com", phone: "+44 20 7946 0000" },
        output: exampleClient
      }
    ]
  }
})

export const GetClient = query({
  meta: {
    key: "service.client.get",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "client", "get"],
    description: "Get one client.",
    goal: "Show a client's details.",
    context: "Client page."
  },
  input: Schema.Struct({ clientId: ClientId }),
  output: Client,
  errors: [ClientNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "get-client-other-organization",
        given: ["A client belongs to another organization"],
        when: ["User gets it by id"],
        then: ["The answer is 404 CLIENT_NOT_FOUND, as for a client that does not exist"]
      }
    ],
    examples: [{ key: "get-ada", input: { clientId: "client-123" }, output: exampleClient }]
  }
})

export const ListClients = query({
  meta: {
    key: "service.client.list",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["service-business", "client", "list"],
    description: "List clients, optionally matching a name or e-mail, a page at a time (by name).",
    goal: "Find a client.",
    context: "Client lists and pickers."
  },
  input: Schema.Struct({
    /** Case-insensitive substring of the name or e-mail. */
    search: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
    limit: Schema.optionalKey(Limit),
    cursor: Schema.optionalKey(Cursor)
  }),
  output: Schema.Struct({ items: Schema.Array(Client), nextCursor: Schema.NullOr(Cursor) }),
  errors: [InvalidCursor],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-clients-search-and-pages",
        given: ["Several clients, some matching a search"],
        when: ["User searches and follows nextCursor"],
        then: ["Only matching clients are returned, by name, each once", "The last page has no nextCursor"]
      },
      {
        key: "list-clients-own-organization",
        given: ["Clients in two organizations"],
        when: ["User lists clients"],
        then: ["Only their organization's clients are returned"]
      }
    ],
    examples: [{ key: "search-ada", input: { search: "ada" }, output: { items: [exampleClient], nextCursor: null } }]
  }
})
