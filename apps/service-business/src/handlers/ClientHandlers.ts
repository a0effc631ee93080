/**
 * service.client.create, service.client.get, service.client.list
 */
import { implement } from "@tessera/contract-server/Implementation"
import { CreateClient, GetClient, ListClients } from "@tessera/contracts/service-business/Clients"
import { ClientCreated } from "@tessera/contracts/service-business/Events"
import { DEFAULT_LIMIT } from "@tessera/contracts/service-business/Shared"
import { Effect } from "effect"
import { afterCursor, paginate } from "../domain/Cursor.ts"
import { ServiceIds } from "../domain/ServiceIds.ts"
import { ClientRepository } from "../repositories/ClientRepository.ts"
import { clientOf, now } from "./Common.ts"

export const createClient = implement(CreateClient, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const clients = yield* ClientRepository
    const client = yield* clients.insert({
      organizationId: actor.organizationId,
      id: yield* Effect.flatMap(ServiceIds, (ids) => ids.next("client")),
      name: input.name,
      email: input.email ?? null,
      phone: input.phone ?? null,
      address: input.address ?? null,
      crmContactId: input.crmContactId ?? null,
      crmCompanyId: input.crmCompanyId ?? null,
      sourceDealId: null,
      createdBy: actor.userId,
      at: yield* now
    })
    yield* emit(ClientCreated, { clientId: client.id })
    return client
  })
)

export const getClient = implement(GetClient, (input, { actor }) => clientOf(actor.organizationId, input.clientId))

export const listClients = implement(ListClients, (input, { actor }) =>
  Effect.gen(function* () {
    const limit = input.limit ?? DEFAULT_LIMIT
    const after = yield* afterCursor(input.cursor, "service.client.list", "text")
    const rows = yield* Effect.flatMap(ClientRepository, (clients) =>
      clients.list(actor.organizationId, input.search, limit, after)
    )
    return paginate(rows, limit, (client) => [client.name.toLowerCase(), client.id])
  })
)
