/**
 * Tessera's domains in a test file, in one line, for tests across domains:
 *
 *   const stack = StackTest.make({ apps: Stack.apps, catalogs: { crm: crmCatalog, learning: learningCatalog } })
 *
 *   stack.describe("the CRM first win", (it) => {
 *     it.effect("flow crm.first-win: …", () =>
 *       Effect.gen(function* () {
 *         yield* stack.seed("acme")
 *         const { crm, learning } = yield* stack.clients({ userId: "ada", organizationId: "acme", roles: ["admin"] })
 *         yield* crm["crm.deal.win"]({ payload: { dealId } })
 *         yield* stack.settle()                        // every consumer has handled everything so far
 *         …
 *
 * What a file gets (see docs/testing.md):
 * - the chosen apps (`App` values, all or `domains`) on a fresh database with every migration,
 *   the dispatcher's real outbox and its real workers — in this process, or with
 *   `TESSERA_TEST_MODE=processes` (or `mode: "processes"`) each app's own `main.ts` as a child
 *   process on the same database, so the test proves the flow shares no memory;
 * - a typed client per domain for any principal (`clients`), tokens (`token`), demo data (`seed`);
 * - `settle`: waits until every consumer has handled everything published so far, failing with
 *   the consumer, event and error of a dead letter or of a consumer left behind;
 * - the published events (`events`, `eventsOf`), decoded with their registered schemas, and the
 *   causal chain of a request (`chain`);
 * - a clock the test moves (`clock`), read by every app and worker in both modes;
 * - faults: a consumer that fails N times, crashes mid-transaction, pauses and resumes
 *   (`faults`); in processes mode, processes to stop, kill and start again (`processes`).
 *
 * The kit imports no app: apps hand it their `App` values and contract catalogs.
 */
import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import type * as Vitest from "@effect/vitest"
import { layer as vitestLayer } from "@effect/vitest"
import type { AnyContract, Principal } from "@tessera/contract-kit/Contract"
import * as ContractApi from "@tessera/contract-kit/ContractApi"
import type * as App from "@tessera/contract-server/App"
import * as AppProcess from "@tessera/contract-server/AppProcess"
import * as Auth from "@tessera/contract-server/Auth"
import * as ContractServer from "@tessera/contract-server/ContractServer"
import { registry as tesseraRegistry } from "@tessera/contracts/registry"
import { DispatchAdmin } from "@tessera/dispatcher/DispatchAdmin"
import * as DispatchMigrations from "@tessera/dispatcher/DispatchMigrations"
import * as Outbox from "@tessera/dispatcher/Outbox"
import type { AnyEventDefinition } from "@tessera/envelope/EventDefinition"
import type * as Registry from "@tessera/envelope/Registry"
import * as TestDatabase from "@tessera/test-harness/TestDatabase"
import { Clock, Context, Data, DateTime, Duration, Effect, Layer, Queue, Redacted, Ref, Scope } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest, HttpServer } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import { SqlClient } from "effect/sql"
import * as ChildProcesses from "./ChildProcesses.ts"
import * as EventLog from "./EventLog.ts"
import * as Probe from "./Probe.ts"
import * as Settle from "./Settle.ts"
import * as TemplateDatabase from "./TemplateDatabase.ts"

export type { Chain, ChainNode, EventFilter, PublishedEvent } from "./EventLog.ts"
export { SettleError, type SettleOptions } from "./Settle.ts"

/** The test secret tokens are signed with (given to child processes as `TESSERA_AUTH_SECRET`). */
const SECRET = Redacted.make("tessera-test-kit-secret-0123456789-abcdefghij")

export type Mode = "in-process" | "processes"

/** Tokens outlive any clock a test moves (`clock.advance("30 days")` must not log everyone out). */
const LONG_LIVED = { expiresIn: "3650 days" } as const

/** Each domain's contract catalog: `{ crm: crmCatalog, learning: learningCatalog }`. */
export type Catalogs = { readonly [domain: string]: ReadonlyArray<AnyContract> }

/** A typed client per domain: `clients.crm["crm.deal.win"]({ payload })`. */
export type Clients<C extends Catalogs> = {
  readonly [D in keyof C & string]: HttpApiClient.Client.Group<ContractApi.ContractGroup<D, C[D][number]>, never, never>
}

/** A principal; roles default to none. */
export interface As {
  readonly userId: string
  readonly organizationId: string
  readonly roles?: ReadonlyArray<string> | undefined
}

export interface Options<C extends Catalogs> {
  /** The apps that may run (e.g. `Stack.apps`): their `App` values. */
  readonly apps: ReadonlyArray<App.App>
  /** Their contract catalogs, by domain, for the typed clients. */
  readonly catalogs: C
  /** Run only these domains (default: all of `apps`). */
  readonly domains?: ReadonlyArray<string> | undefined
  /** Default: `TESSERA_TEST_MODE` (`in-process` or `processes`), else `in-process`. */
  readonly mode?: Mode | undefined
  /**
   * Each domain's `main.ts` (path or file URL), for `processes` mode:
   * `{ crm: new URL("../../crm/src/main.ts", import.meta.url) }`.
   */
  readonly mains?: { readonly [domain: string]: string | URL } | undefined
  /** The event registry (default: `@tessera/contracts/registry`). */
  readonly registry?: Registry.Registry | undefined
  /** Bound for the file's set-up (processes mode starts real processes): default 180 s. */
  readonly setupTimeout?: Duration.Input | undefined
}

/** Something the stack cannot do as asked (an unknown domain, a process-only call in one process). */
export class StackTestError extends Data.TaggedError("StackTestError")<{ readonly message: string }> {}

interface Child {
  readonly domain: string
  readonly entry: string | URL
  readonly port: number
  readonly running: Ref.Ref<ChildProcesses.Running | undefined>
}

interface Runtime {
  readonly mode: Mode
  readonly domains: ReadonlyArray<string>
  readonly baseUrl: (domain: string) => Effect.Effect<string, StackTestError>
  readonly auth: Auth.AuthShape
  readonly offset: Ref.Ref<number>
  readonly changes: Queue.Queue<void>
  readonly seenDeadLetters: Set<string>
  readonly children: ReadonlyMap<string, Child>
  readonly start: (child: Child) => Effect.Effect<void, ChildProcesses.ChildProcessError>
  readonly seedUrl: Effect.Effect<string, never, Scope.Scope>
  readonly services: Context.Context<AppProcess.ProcessServices>
}

/** The running stack of a test file (the layer's own service). */
export class StackRuntime extends Context.Service<StackRuntime, Runtime>()("@tessera/test-kit/StackRuntime") {}

/** Real time plus an offset the test moves; sleeps stay real. See `clock`. */
const shiftedClock = (offset: Ref.Ref<number>): Clock.Clock => {
  const nanos = BigInt(1_000_000)
  const now = () => Date.now() + Ref.getUnsafe(offset)
  return {
    currentTimeMillisUnsafe: now,
    currentTimeMillis: Effect.sync(now),
    currentTimeNanosUnsafe: () => BigInt(now()) * nanos,
    currentTimeNanos: Effect.sync(() => BigInt(now()) * nanos),
    monotonicTimeNanosUnsafe: () => process.hrtime.bigint(),
    monotonicTimeNanos: Effect.sync(() => process.hrtime.bigint()),
    sleep: (duration) =>
      Effect.callback<void>((resume) => {
        const handle = setTimeout(() => resume(Effect.void), Math.max(0, Duration.toMillis(duration)))
        return Effect.sync(() => clearTimeout(handle))
      })
  }
}

const modeFromEnv = (): Mode => (process.env.TESSERA_TEST_MODE === "processes" ? "processes" : "in-process")

/**
 * The modes a file that covers both should run: the one `TESSERA_TEST_MODE` names, else both.
 * `for (const mode of StackTest.modes()) { const stack = StackTest.make({ …, mode }) … }`
 */
export const modes = (): ReadonlyArray<Mode> => {
  const chosen = process.env.TESSERA_TEST_MODE
  return chosen === "processes" || chosen === "in-process" ? [chosen] : ["in-process", "processes"]
}

const principalOf = (as: As): Principal => ({
  userId: as.userId,
  organizationId: as.organizationId,
  roles: [...(as.roles ?? [])]
})

/** A stack of apps for a test file; see the module comment. */
export const make = <const C extends Catalogs>(options: Options<C>) => {
  const mode = options.mode ?? modeFromEnv()
  const registry = options.registry ?? tesseraRegistry
  const apps =
    options.domains === undefined ? options.apps : options.apps.filter((app) => options.domains?.includes(app.domain))
  const domains = apps.map((app) => app.domain)
  // One HttpApi per domain, built once (the derived clients read it).
  const apis = Object.entries(options.catalogs).map(([domain, catalog]) => ({
    domain,
    api: ContractApi.make(domain, catalog)
  }))
  const auth = Auth.make(SECRET, "test")
  const offset = Ref.makeUnsafe(0)

  // --- the layer ----------------------------------------------------------------------------

  // Every migration and the probe, run once per test run into a template each file copies.
  const migrated = Layer.effectDiscard(Probe.installProbe).pipe(
    Layer.provide(AppProcess.migrationsOf({ apps, migrations: DispatchMigrations.layer }))
  )
  const database = TemplateDatabase.layer(`stack:${domains.join(",")}`, migrated)
  const services = Layer.mergeAll(
    Outbox.layer(registry),
    Layer.succeed(Auth.Auth, auth),
    DispatchAdmin.layer,
    FetchHttpClient.layer,
    Layer.succeed(Clock.Clock, shiftedClock(offset))
  )

  /** Wakes `settle` on every change of the deliveries (see `Probe.ts`). */
  const listening = Effect.gen(function* () {
    const changes = yield* Queue.sliding<void>(1)
    const pg = yield* PgClient.PgClient
    const notifications = yield* pg.listen(Probe.CHANNEL)
    yield* Effect.forkScoped(Effect.forever(Effect.andThen(Queue.take(notifications), Queue.offer(changes, undefined))))
    return changes
  })

  const inProcessRuntime = Layer.effect(
    StackRuntime,
    Effect.gen(function* () {
      const changes = yield* listening
      const context = yield* Effect.context<AppProcess.ProcessServices>()
      const url = yield* HttpServer.addressFormattedWith(Effect.succeed)
      return StackRuntime.of({
        mode,
        domains,
        baseUrl: (domain) =>
          domains.includes(domain)
            ? Effect.succeed(url)
            : Effect.fail(
                new StackTestError({ message: `${domain} is not running in this stack (${domains.join(", ")})` })
              ),
        auth,
        offset,
        changes,
        seenDeadLetters: new Set(),
        children: new Map(),
        start: () => Effect.void,
        seedUrl: Effect.succeed(url),
        services: context
      })
    })
  )

  const processesRuntime = Layer.effect(
    StackRuntime,
    Effect.gen(function* () {
      const changes = yield* listening
      const context = yield* Effect.context<AppProcess.ProcessServices | TestDatabase.TestDatabase>()
      const database = yield* TestDatabase.TestDatabase
      const scope = yield* Effect.scope
      const children = new Map<string, Child>()
      for (const domain of domains) {
        const entry = options.mains?.[domain]
        if (entry === undefined) {
          return yield* new StackTestError({
            message: `processes mode needs the main.ts of ${domain}: pass mains: { ${domain}: new URL("…/src/main.ts", import.meta.url) }`
          })
        }
        children.set(domain, {
          domain,
          entry,
          port: yield* ChildProcesses.freePort,
          running: yield* Ref.make<ChildProcesses.Running | undefined>(undefined)
        })
      }
      const start = (child: Child) =>
        Effect.gen(function* () {
          const running = yield* ChildProcesses.spawnNode(
            child.domain,
            child.entry,
            {
              DATABASE_URL: Redacted.value(database.url),
              PORT: String(child.port),
              HOST: "127.0.0.1",
              TESSERA_AUTH_SECRET: Redacted.value(SECRET),
              TESSERA_ENV: "test"
            },
            Ref.getUnsafe(offset)
          ).pipe(Scope.provide(scope))
          yield* Ref.set(child.running, running)
          yield* ChildProcesses.waitFor(running, "is up at")
        })
      // A child prints that it is up before its workers have necessarily subscribed (they start
      // side by side), and a test may publish at once: so the consumers' subscriptions are
      // registered first, by starting every app's workers here and stopping them again.
      yield* Effect.scoped(Layer.build(Layer.mergeAll(Layer.empty, ...apps.map((app) => app.workers)))).pipe(
        Effect.provide(context)
      )
      yield* Effect.forEach(children.values(), start, { concurrency: "unbounded", discard: true })
      const seedServer = ContractServer.serve(AppProcess.routesOf(apps)).pipe(
        Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
      )
      return StackRuntime.of({
        mode,
        domains,
        baseUrl: (domain) => {
          const child = children.get(domain)
          return child === undefined
            ? Effect.fail(
                new StackTestError({ message: `${domain} is not running in this stack (${domains.join(", ")})` })
              )
            : Effect.succeed(`http://127.0.0.1:${child.port}`)
        },
        auth,
        offset,
        changes,
        seenDeadLetters: new Set(),
        children,
        start,
        // Seeds go through the contracts over HTTP, as `pnpm seed` does: on a server of every
        // app in this process for the seed's lifetime (the flows under test use the children).
        seedUrl: Effect.gen(function* () {
          const built = yield* Layer.build(seedServer.pipe(Layer.provide(Layer.succeedContext(context))))
          return yield* HttpServer.addressFormattedWith(Effect.succeed).pipe(Effect.provide(built))
        }).pipe(Effect.orDie),
        services: context
      })
    })
  )

  const inProcess = Layer.mergeAll(
    inProcessRuntime,
    ContractServer.serve(AppProcess.routesOf(apps)),
    ...apps.map((app) => app.workers)
  ).pipe(Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })))

  const layer = (mode === "in-process" ? inProcess : processesRuntime).pipe(
    Layer.provideMerge(services),
    Layer.provideMerge(database)
  )

  // --- what a test uses ---------------------------------------------------------------------

  const clients = (as: As, clientOptions: { readonly correlationId?: string | undefined } = {}) =>
    Effect.gen(function* () {
      const rt = yield* StackRuntime
      const token = yield* rt.auth.mint(principalOf(as), LONG_LIVED)
      const correlate =
        clientOptions.correlationId === undefined
          ? (request: HttpClientRequest.HttpClientRequest) => request
          : HttpClientRequest.setHeader("x-correlation-id", clientOptions.correlationId)
      const byDomain: Record<string, unknown> = {}
      for (const { domain, api } of apis) {
        if (!rt.domains.includes(domain)) continue
        const client = yield* HttpApiClient.make(api, {
          baseUrl: yield* rt.baseUrl(domain),
          transformClient: (http) =>
            HttpClient.mapRequest(http, (request) => correlate(HttpClientRequest.bearerToken(request, token)))
        })
        byDomain[domain] = client[domain]
      }
      // Built key by key from `apis`, which has exactly the domains of `C` (those running): the
      // compiler cannot follow a mapped type through a loop.
      return byDomain as Clients<C>
    })

  const token = (as: As) =>
    Effect.flatMap(StackRuntime.use(Effect.succeed), (rt) => rt.auth.mint(principalOf(as), LONG_LIVED))

  const seed = (organizationId: string, seedOptions: { readonly domains?: ReadonlyArray<string> } = {}) =>
    Effect.scoped(
      Effect.gen(function* () {
        const rt = yield* StackRuntime
        const baseUrl = yield* rt.seedUrl
        const context: App.SeedContext = {
          organizationId,
          baseUrl,
          token: (userId, roles) => auth.mint({ userId, organizationId, roles: [...roles] }, LONG_LIVED)
        }
        const lines: Array<string> = []
        for (const app of apps) {
          if (seedOptions.domains !== undefined && !seedOptions.domains.includes(app.domain)) continue
          lines.push(...(yield* app.seed(context).pipe(Effect.provide(rt.services), Effect.orDie)))
        }
        return lines
      })
    )

  const settle = (settleOptions?: Settle.SettleOptions) =>
    Effect.flatMap(StackRuntime.use(Effect.succeed), (rt) => Settle.make(rt.changes, rt.seenDeadLetters)(settleOptions))

  const deadLetters = (consumer?: string) =>
    Effect.gen(function* () {
      const rt = yield* StackRuntime
      const admin = yield* DispatchAdmin
      const dead = yield* admin.deadLetters({ consumer, limit: 1000 })
      for (const d of dead) rt.seenDeadLetters.add(`${d.consumer}#${d.position}`)
      return dead
    })

  const lag = (consumer: string) =>
    Effect.flatMap(DispatchAdmin.use(Effect.succeed), (admin) =>
      Effect.map(
        admin.lag(consumer),
        (rows) =>
          rows[0] ?? {
            consumer,
            pending: 0,
            retrying: 0,
            inFlight: 0,
            deadLetters: 0,
            blockedSubjects: 0,
            oldestAgeMillis: 0
          }
      )
    )

  const mark = Effect.flatMap(SqlClient.SqlClient.use(Effect.succeed), (sql) =>
    Effect.map(
      sql<{ position: string }>`SELECT COALESCE(max(position), 0)::text AS position FROM dispatch.events`,
      (rows) => BigInt(rows[0]?.position ?? "0")
    )
  ).pipe(Effect.orDie)

  const setOffset = (millis: number) =>
    Effect.gen(function* () {
      const rt = yield* StackRuntime
      yield* Ref.set(rt.offset, millis)
      for (const child of rt.children.values()) {
        const running = yield* Ref.get(child.running)
        if (running !== undefined) yield* running.setClockOffset(millis)
      }
    })

  const clock = {
    /** What every app reads as "now". */
    now: Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis)),
    /** Moves every app's and worker's time forward (sleeps stay real). */
    advance: (duration: Duration.Input) =>
      Effect.flatMap(StackRuntime.use(Effect.succeed), (rt) =>
        setOffset(Ref.getUnsafe(rt.offset) + Duration.toMillis(Duration.fromInputUnsafe(duration)))
      ),
    /** Sets every app's "now" to `at` (then it runs on from there). */
    set: (at: Date | DateTime.DateTime) =>
      setOffset((at instanceof Date ? at.getTime() : DateTime.toEpochMillis(at)) - Date.now())
  }

  const faults = {
    /** The consumer's next `times` handler transactions (of `eventType`, if given) fail: retries, back-off, dead letters. */
    fail: (consumer: string, times: number, faultOptions: { readonly eventType?: string | AnyEventDefinition } = {}) =>
      Probe.addFault(consumer, "fail", times, eventTypeOf(faultOptions.eventType)).pipe(Effect.orDie),
    /** The consumer's next `times` (default 1) handler transactions lose their connection mid-transaction. */
    crash: (
      consumer: string,
      faultOptions: { readonly times?: number; readonly eventType?: string | AnyEventDefinition } = {}
    ) =>
      Probe.addFault(consumer, "crash", faultOptions.times ?? 1, eventTypeOf(faultOptions.eventType)).pipe(
        Effect.orDie
      ),
    /** How many injected faults of the consumer have fired. */
    fired: (consumer: string) => Probe.faultsFired(consumer).pipe(Effect.orDie),
    /** Stops the consumer claiming (in every process): its events pile up as lag. */
    pause: (consumer: string) => Probe.pause(consumer).pipe(Effect.orDie),
    /** Lets it claim again and wakes its workers: it catches up. */
    resume: (consumer: string) => Probe.resume(consumer, DispatchMigrations.CHANNEL).pipe(Effect.orDie),
    /** Hands the consumer every event of its types (of one organization) again: at-least-once on purpose. Returns how many. */
    redeliver: (consumer: string, redeliverOptions: { readonly organizationId?: string } = {}) =>
      Probe.redeliver(consumer, redeliverOptions.organizationId, DispatchMigrations.CHANNEL).pipe(Effect.orDie),
    /** Removes every injected failure. */
    clear: Probe.clearFaults.pipe(Effect.orDie, Effect.asVoid)
  }

  const childOf = (domain: string) =>
    Effect.gen(function* () {
      const rt = yield* StackRuntime
      const child = rt.children.get(domain)
      if (child === undefined) {
        return yield* new StackTestError({
          message:
            rt.mode === "processes"
              ? `${domain} is not running in this stack`
              : `processes.* (on ${domain}) needs TESSERA_TEST_MODE=processes or mode: "processes": this stack runs in one process`
        })
      }
      return { rt, child }
    })

  const processes = {
    /** Stops a domain's process gracefully (SIGTERM). */
    stop: (domain: string) =>
      Effect.gen(function* () {
        const { child } = yield* childOf(domain)
        const running = yield* Ref.get(child.running)
        if (running !== undefined) yield* ChildProcesses.stop(running)
      }),
    /** Kills a domain's process (SIGKILL): a crash, leases left to expire. */
    kill: (domain: string) =>
      Effect.gen(function* () {
        const { child } = yield* childOf(domain)
        const running = yield* Ref.get(child.running)
        if (running !== undefined) {
          running.child.kill("SIGKILL")
          yield* running.exited
        }
      }),
    /** Starts a domain's process again (same port), once it is up and subscribed. */
    start: (domain: string) =>
      Effect.gen(function* () {
        const { rt, child } = yield* childOf(domain)
        yield* rt.start(child)
      }),
    /** What a domain's process printed so far. */
    output: (domain: string) =>
      Effect.gen(function* () {
        const { child } = yield* childOf(domain)
        const running = yield* Ref.get(child.running)
        return running?.output() ?? ""
      })
  }

  /** `describe` with this stack: `layer(stack.layer, { excludeTestServices: true })` and a set-up bound. */
  const describe = (name: string, f: (it: Vitest.Vitest.MethodsNonLive<Layer.Success<typeof layer>>) => void) =>
    vitestLayer(layer, { excludeTestServices: true, timeout: options.setupTimeout ?? "180 seconds" })(name, f)

  return {
    mode,
    domains,
    layer,
    describe,
    clients,
    token,
    seed,
    settle,
    events: (filter?: EventLog.EventFilter) => EventLog.events(registry, filter).pipe(Effect.orDie),
    eventsOf: <D extends AnyEventDefinition>(definition: D, filter?: Omit<EventLog.EventFilter, "type">) =>
      EventLog.eventsOf(registry, definition, filter).pipe(Effect.orDie),
    chain: (correlationId: string) => EventLog.chain(registry, correlationId).pipe(Effect.orDie),
    mark,
    deadLetters,
    lag,
    clock,
    faults,
    processes
  }
}

const eventTypeOf = (type: string | AnyEventDefinition | undefined) => (typeof type === "object" ? type.type : type)
