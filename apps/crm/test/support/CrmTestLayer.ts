/**
 * The CRM served in-process on a random port against a fresh database, with the dispatcher's
 * real outbox and Tessera's registry: what the tests and the acceptance examples call through the
 * derived client.
 */
import { NodeHttpServer } from "@effect/platform-node"
import * as Auth from "@tessera/contract-kit/Auth"
import type { Principal } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import * as ContractKitSchema from "@tessera/contract-kit/ContractKitSchema"
import * as ContractServer from "@tessera/contract-kit/ContractServer"
import { catalog } from "@tessera/contracts/crm/Catalog"
import { registry } from "@tessera/contracts/registry"
import * as DispatchMigrations from "@tessera/dispatcher/DispatchMigrations"
import * as Outbox from "@tessera/dispatcher/Outbox"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as CrmApp from "../../src/CrmApp.ts"

export const auth = Auth.make(Redacted.make("crm-test-secret-0123456789-abcdefghijklmnop"), "test")
export const CrmApi = ContractApi.make("crm", catalog)

const database = Layer.mergeAll(ContractKitSchema.layer, DispatchMigrations.layer, CrmApp.migrations).pipe(
  Layer.provideMerge(TestDatabase.layer())
)

export const CrmTestLayer = ContractServer.serve(CrmApp.routes).pipe(
  Layer.provide([Outbox.layer(registry), Layer.succeed(Auth.Auth, auth)]),
  Layer.provideMerge(NodeHttpServer.layerTest),
  Layer.provideMerge(database)
)

/** A client calling as `principal`. */
export const clientAs = (principal: Principal) =>
  Effect.flatMap(auth.mint(principal), (token) => ContractClient.make(CrmApi, { token }))

export interface StoredEvent {
  readonly event_type: string
  readonly event_version: number
  readonly subject_type: string
  readonly subject_id: string
  readonly actor_id: string
  readonly payload: Readonly<Record<string, unknown>>
}

/** The events the dispatcher stored for an organization, in publish order. */
export const storedEvents = (organizationId: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql<StoredEvent>`
      SELECT event_type, event_version, subject_type, subject_id, actor_id, payload
      FROM dispatch.events WHERE organization_id = ${organizationId} ORDER BY position`
  )
