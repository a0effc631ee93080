/**
 * One or more Tessera apps in a test file, in a line:
 *
 *   const TestLayer = AppTest.layer([CrmApp])
 *   layer(TestLayer, { excludeTestServices: true })("crm", (it) => {
 *     it.effect("…", () => Effect.gen(function* () {
 *       const crm = yield* AppTest.client(CrmApi, { userId: "ada", organizationId: "org_a", roles: [] })
 *       …
 *
 * The layer gives the file its own fresh database (see `@tessera/test-harness/TestDatabase`), the
 * kit's, the dispatcher's and the apps' migrations, the dispatcher's real outbox as the
 * `EventSink`, the apps' routes on a real HTTP server on a random loopback port (the `HttpClient`
 * of the test points at it), a test `Auth` and, with `workers: true`, the apps' event consumers.
 */
import { NodeHttpServer } from "@effect/platform-node"
import type { Principal } from "@tessera/contract-kit/Contract"
import * as ContractClient from "@tessera/contract-kit/ContractClient"
import type * as App from "@tessera/contract-server/App"
import * as AppProcess from "@tessera/contract-server/AppProcess"
import * as Auth from "@tessera/contract-server/Auth"
import * as ContractServer from "@tessera/contract-server/ContractServer"
import { registry } from "@tessera/contracts/registry"
import * as DispatchMigrations from "@tessera/dispatcher/DispatchMigrations"
import * as Outbox from "@tessera/dispatcher/Outbox"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Effect, Layer, Redacted } from "effect"
import type { HttpApi, HttpApiGroup } from "effect/http-api"
import { SqlClient } from "effect/sql"

/** The test secret every `AppTest` layer verifies tokens with. */
export const auth = Auth.make(Redacted.make("tessera-test-secret-0123456789-abcdefghij"), "test")

export interface Options {
  /** Run the apps' event consumers too (default `false`: events stay in the outbox). */
  readonly workers?: boolean | undefined
}

/** The apps served on a fresh database with the real outbox; see the module comment. */
export const layer = (apps: ReadonlyArray<App.App>, options: Options = {}) => {
  const process = { apps, migrations: DispatchMigrations.layer }
  const services = Layer.mergeAll(Outbox.layer(registry), Layer.succeed(Auth.Auth, auth))
  const served = ContractServer.serve(AppProcess.routesOf(apps))
  const workers =
    options.workers === true ? Layer.mergeAll(Layer.empty, ...apps.map((app) => app.workers)) : Layer.empty
  return Layer.mergeAll(served, workers).pipe(
    Layer.provideMerge(services),
    Layer.provideMerge(NodeHttpServer.layerTest),
    Layer.provideMerge(AppProcess.migrationsOf(process)),
    Layer.provideMerge(TestDatabase.layer())
  )
}

/** A typed client of `api` on the test's server, calling as `principal` (anonymous when omitted). */
export const client = <ApiId extends string, Groups extends HttpApiGroup.Constraint>(
  api: HttpApi.HttpApi<ApiId, Groups>,
  principal?: Principal
) =>
  Effect.gen(function* () {
    const token = principal === undefined ? undefined : yield* auth.mint(principal)
    return yield* ContractClient.make(api, { token })
  })

export interface StoredEvent {
  readonly event_type: string
  readonly event_version: number
  readonly subject_type: string
  readonly subject_id: string
  readonly actor_id: string
  readonly correlation_id: string
  readonly payload: Readonly<Record<string, unknown>>
}

/** The events the outbox stored for an organization, in publish order. */
export const storedEvents = (organizationId: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql<StoredEvent>`
      SELECT event_type, event_version, subject_type, subject_id, actor_id, correlation_id, payload
      FROM dispatch.events WHERE organization_id = ${organizationId} ORDER BY position`
  )
