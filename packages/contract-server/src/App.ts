/**
 * The one shape every Tessera app exports from its `<Domain>App.ts`: what it is called, what it
 * migrates, what it serves, what it runs in the background and how it fills a demo organization.
 * `AppProcess` runs any list of them in one process (an app alone from its `main.ts`, all of them
 * in `apps/stack`), and the test kit builds the same values into a test.
 *
 *   export const CrmApp = App.make({ domain: "crm", name: "The CRM", port: 3001, migrations, routes, seed })
 */
import type { PgClient } from "@effect/sql-pg"
import type { AnyContract } from "@tessera/contract-kit/Contract"
import type { EventSink } from "@tessera/envelope/EventSink"
import { Effect, type FileSystem, Layer, type Path } from "effect"
import type { Etag, HttpPlatform, HttpRouter } from "effect/http"
import type { SqlClient } from "effect/sql"
import type { Auth } from "./Auth.ts"
import type { Implementation } from "./Implementation.ts"

/** The services a process gives its apps' routes, workers and seeds. */
export type ProcessServices = SqlClient.SqlClient | PgClient.PgClient | Auth | EventSink

/** What routes get on top: the router and the HTTP platform (ETags, files, paths). */
export type RouteServices =
  | ProcessServices
  | HttpRouter.HttpRouter
  | HttpPlatform.HttpPlatform
  | Etag.Generator
  | FileSystem.FileSystem
  | Path.Path

/** What a seed is given: the demo organization, where the process serves, and a way to mint tokens. */
export interface SeedContext {
  readonly organizationId: string
  /** The base URL of a server of every mounted app: seeds go through the contracts over HTTP. */
  readonly baseUrl: string
  /** A bearer token of `userId` in the demo organization. */
  readonly token: (userId: string, roles: ReadonlyArray<string>) => Effect.Effect<string>
}

export interface App {
  /** The domain: every contract key and every path starts with it (`crm`). */
  readonly domain: string
  /** How the app names itself in logs: `The CRM`. */
  readonly name: string
  /** Its HTTP port when it runs alone (`PORT` overrides it). */
  readonly port: number
  /** The contracts it serves (its catalog's), for the stack's merged OpenAPI document, docs and Studio. */
  readonly contracts: ReadonlyArray<AnyContract>
  /** Its own process's entry (`new URL("./main.ts", import.meta.url)`), for running the apps as separate processes. */
  readonly main?: URL | undefined
  /** Its schema's migrations, run before the port opens. */
  readonly migrations: Layer.Layer<never, unknown, SqlClient.SqlClient>
  /** Its contracts on the `HttpRouter` (from `ContractServer.layer`), with its OpenAPI and docs pages. */
  readonly routes: Layer.Layer<never, unknown, RouteServices>
  /** Background work for the process's lifetime: the app's event consumers on the dispatcher. */
  readonly workers: Layer.Layer<never, unknown, ProcessServices>
  /**
   * Demo data for `pnpm seed`: idempotent (a second run changes nothing), through the app's public
   * surface. Answers one line per thing it did, for the seed's report.
   */
  readonly seed: (context: SeedContext) => Effect.Effect<ReadonlyArray<string>, unknown, ProcessServices>
}

export interface AppOptions extends Omit<App, "contracts" | "workers" | "seed"> {
  /** The implementations its routes serve (`implement(contract, …)` values). */
  readonly catalog: ReadonlyArray<Implementation>
  readonly workers?: App["workers"] | undefined
  readonly seed?: App["seed"] | undefined
}

export const make = (options: AppOptions): App => ({
  domain: options.domain,
  name: options.name,
  port: options.port,
  contracts: options.catalog.map((implementation) => implementation.contract),
  main: options.main,
  migrations: options.migrations,
  routes: options.routes,
  workers: options.workers ?? Layer.empty,
  seed: options.seed ?? (() => Effect.succeed([]))
})
