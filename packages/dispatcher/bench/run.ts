/**
 * Tessera's dispatcher vs graphile-worker vs pg-boss, on the same PostgreSQL in the same run, and
 * Tessera's own figures for issues #10 and #17.
 *
 *   pnpm --filter @tessera/dispatcher bench                    # defaults: a few minutes on 2 cores
 *   BENCH_STORED=1000000 BENCH_BACKFILL_EVENTS=1000000 pnpm --filter @tessera/dispatcher bench
 *   BENCH_ONLY=tessera BENCH_SECTIONS=throughput,latency pnpm --filter @tessera/dispatcher bench
 *
 * Work: one producer; every event goes to two consumers (for the job queues: one job per consumer
 * per event), and each consumer's handling writes one row.
 *
 * Sections (BENCH_SECTIONS, all by default):
 * - throughput: BENCH_EVENTS (20k) events published in transactions of 100 while the consumers
 *   run, after an unmeasured round of BENCH_WARMUP_EVENTS (5k); events/s = events / (first
 *   publish → last consumer commit). Every system.
 * - latency: one event per transaction at BENCH_LATENCY_RATE (800) events/s for
 *   BENCH_LATENCY_SECONDS (10), after one unmeasured second at that rate (warm pools); per
 *   delivery, publish call → consumer commit. Every system.
 * - flat: Tessera's throughput with 10k events already stored (and handled) vs BENCH_STORED
 *   (200k; the issue's figure is 1M); then retention at that size (sizes before/after).
 * - pinned: throughput while a transaction holds the xmin horizon for BENCH_PINNED_SECONDS (300),
 *   rounds of BENCH_EVENTS back to back; the last round against normal.
 * - analyze: throughput right after ANALYZE of the drained (empty) deliveries table (#17.1).
 * - backfill: a new subscription over BENCH_BACKFILL_EVENTS (200k) stored events: its duration,
 *   cost per million, and publish latency (one event per transaction at 100/s) during it vs before.
 * - wakeup: throughput and latency again with the coalesced wake-up (after commit), against the
 *   default `pg_notify` inside every producer transaction.
 * - size: the deliveries table's size after everything above went through it.
 * - crossdomain: the fifth figure, the CRM over HTTP at saturation with the learning journey's real
 *   consumer: the stack's own benchmark (pnpm --filter @tessera/stack bench), run as a child process.
 * - churn (not in the defaults): BENCH_CHURN_EVENTS (2M) more events, the deliveries table's size
 *   sampled every eighth of them (#17.3: bounded when it stops growing).
 *
 * Each system gets its own fresh database on one server: DATABASE_URL's, or an embedded
 * PostgreSQL 18 with durable settings (fsync on) in a temp folder.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { PgClient } from "@effect/sql-pg"
import * as EmbeddedPostgres from "@tessera/database/EmbeddedPostgres"
import { define } from "@tessera/envelope/EventDefinition"
import { EventSink } from "@tessera/envelope/EventSink"
import * as Registry from "@tessera/envelope/Registry"
import { Duration, Effect, Exit, Layer, ManagedRuntime, Redacted, Schema, Scope } from "effect"
import { SqlClient } from "effect/sql"
import { Logger, makeWorkerUtils, run as runGraphile } from "graphile-worker"
import pg from "pg"
import { PgBoss } from "pg-boss"
import * as Consumer from "../src/Consumer.ts"
import * as DispatchMigrations from "../src/DispatchMigrations.ts"
import * as Outbox from "../src/Outbox.ts"
import * as Retention from "../src/Retention.ts"
import * as Worker from "../src/Worker.ts"

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const EVENTS = env("BENCH_EVENTS", 20_000)
const LATENCY_SECONDS = env("BENCH_LATENCY_SECONDS", 10)
const LATENCY_RATE = env("BENCH_LATENCY_RATE", 800)
const LIGHT_RATE = env("BENCH_LIGHT_RATE", 200)
const STORED = env("BENCH_STORED", 200_000)
const ANALYZE_EVENTS = env("BENCH_ANALYZE_EVENTS", 20_000)
const WARMUP_EVENTS = env("BENCH_WARMUP_EVENTS", 5_000)
const PINNED_SECONDS = env("BENCH_PINNED_SECONDS", 300)
const BACKFILL_EVENTS = env("BENCH_BACKFILL_EVENTS", 200_000)
const BACKFILL_BATCH = env("BENCH_BACKFILL_BATCH", 10_000)
const LANES = env("BENCH_LANES", 2)
const CLAIM = env("BENCH_CLAIM", 256)
const TX = env("BENCH_TX", 256)
const MAX_INFLIGHT = 64
const BATCH = 100
const SUBJECTS = 1000
const CONSUMERS = ["sub_a", "sub_b"] as const
const SECTIONS = new Set(
  (process.env.BENCH_SECTIONS ?? "throughput,latency,flat,pinned,analyze,backfill,wakeup,size,crossdomain").split(",")
)

interface Latency {
  readonly rate: number
  readonly p50: number
  readonly p99: number
  readonly max: number
  readonly ackP50: number
  readonly ackP99: number
  readonly measured: number
}

/** Counts completions and records latencies. */
class Tracker {
  completed = 0
  target = 0
  onTarget: (() => void) | undefined
  readonly started = new Map<number, number>()
  readonly acked = new Map<number, number>()
  readonly latencies: Array<number> = []
  readonly finishedAt: Array<[number, number]> = []
  measuring = false

  done(i: number) {
    this.completed++
    if (this.measuring) {
      const now = performance.now()
      const start = this.started.get(i)
      if (start !== undefined) this.latencies.push(now - start)
      this.finishedAt.push([i, now])
    }
    if (this.completed >= this.target && this.onTarget !== undefined) {
      const resolve = this.onTarget
      this.onTarget = undefined
      resolve()
    }
  }

  until(target: number, timeoutMs: number) {
    this.target = target
    return new Promise<void>((resolve, reject) => {
      if (this.completed >= target) return resolve()
      const timer = setTimeout(
        () => reject(new Error(`timed out with ${this.completed}/${target} completions`)),
        timeoutMs
      )
      this.onTarget = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  reset() {
    this.completed = 0
    this.started.clear()
    this.acked.clear()
    this.latencies.length = 0
    this.finishedAt.length = 0
  }
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface System {
  readonly name: string
  /** Publishes events [from, to) in one transaction. */
  readonly publish: (from: number, to: number) => Promise<void>
  readonly stop: () => Promise<void>
}

let nextIndex = 0
/** Fresh event numbers, so no two measurements share one. */
const take = (n: number) => {
  const from = nextIndex
  nextIndex += n
  return from
}

/**
 * An unmeasured round before a system's first throughput figure (connections opened, statements
 * prepared, code compiled): every system is measured warm.
 */
const warmUp = (system: System, tracker: Tracker) => quietThroughput(system, tracker, WARMUP_EVENTS)

/** Publishes `events` in batches of 100 while the consumers run; events/s until the last commit. */
const throughput = async (system: System, tracker: Tracker, events: number, label: string) => {
  tracker.reset()
  const finished = tracker.until(events * CONSUMERS.length, 30 * 60_000)
  const base = take(events)
  const t0 = performance.now()
  for (let i = 0; i < events; i += BATCH) await system.publish(base + i, base + Math.min(events, i + BATCH))
  const published = performance.now()
  await finished
  const total = (performance.now() - t0) / 1000
  const rate = events / total
  console.log(
    `  ${system.name} ${label}: ${rate.toFixed(0)} events/s (${(rate * 2).toFixed(0)} deliveries/s; ${events} events, publishing took ${((published - t0) / 1000).toFixed(1)} s, all handled after ${total.toFixed(1)} s)`
  )
  return rate
}

/** `throughput` without its line: events/s. */
const quietThroughput = async (system: System, tracker: Tracker, events: number) => {
  tracker.reset()
  const finished = tracker.until(events * CONSUMERS.length, 30 * 60_000)
  const base = take(events)
  const t0 = performance.now()
  for (let i = 0; i < events; i += BATCH) await system.publish(base + i, base + Math.min(events, i + BATCH))
  await finished
  return events / ((performance.now() - t0) / 1000)
}

/** One event per transaction at `rate` events/s for `seconds`. */
/** Publishes one event per transaction at `rate`/s for `seconds` and waits until all are handled. */
const paced = async (system: System, tracker: Tracker, rate: number, seconds: number, measuring: boolean) => {
  tracker.reset()
  const count = Math.max(100, Math.round(rate * seconds))
  const base = take(count)
  const done = tracker.until(count * CONSUMERS.length, 10 * 60_000)
  tracker.measuring = measuring
  const start = performance.now()
  const inflight = new Set<Promise<void>>()
  let sent = 0
  while (sent < count) {
    const due = Math.min(count, Math.floor(((performance.now() - start) / 1000) * rate) + 1)
    // At most MAX_INFLIGHT publishes in flight: a producer that falls behind waits (and its
    // events' latency, measured from the call, does not include that wait).
    while (sent < due && inflight.size < MAX_INFLIGHT) {
      const i = base + sent
      tracker.started.set(i, performance.now())
      const p: Promise<void> = system.publish(i, i + 1).finally(() => {
        tracker.acked.set(i, performance.now())
        inflight.delete(p)
      })
      inflight.add(p)
      sent++
    }
    await sleep(1)
  }
  await Promise.all(inflight)
  await done
  tracker.measuring = false
}

/**
 * One event per transaction at `rate` events/s for `seconds`, after a second at that rate that is
 * not measured (every system's pool opens its connections and prepares its statements then: the
 * figure is the steady state's).
 */
const latencyAt = async (system: System, tracker: Tracker, rate: number, seconds: number): Promise<Latency> => {
  await sleep(1000)
  await paced(system, tracker, rate, 1, false)
  await paced(system, tracker, rate, seconds, true)
  const sorted = [...tracker.latencies].sort((a, b) => a - b)
  // From the producer's commit acknowledgement: a lower bound (the consumer may commit before the
  // producer has read its COMMIT's answer), where the publish call start is an upper bound.
  const fromAck = tracker.finishedAt
    .map(([i, at]) => Math.max(0, at - (tracker.acked.get(i) ?? at)))
    .sort((a, b) => a - b)
  const result: Latency = {
    rate,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    ackP50: percentile(fromAck, 50),
    ackP99: percentile(fromAck, 99),
    measured: sorted.length
  }
  console.log(
    `  ${system.name}: latency at ${rate.toFixed(0)} events/s, publish call → consumer commit: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(1)} ms; publish acknowledged → consumer commit: p50 ${result.ackP50.toFixed(1)} ms, p99 ${result.ackP99.toFixed(1)} ms (${result.measured} deliveries)`
  )
  return result
}

const effectsTable = (client: pg.Client | pg.Pool) =>
  client.query("CREATE TABLE IF NOT EXISTS bench_effects (consumer text NOT NULL, i integer NOT NULL)")

// --- Tessera --------------------------------------------------------------------------------

const BenchEvent = define({
  type: "bench.happened",
  version: 1,
  producer: "bench",
  payload: Schema.Struct({ i: Schema.Int, subject: Schema.String }),
  description: "A benchmark event.",
  subject: (payload) => ({ type: "thing", id: payload.subject })
})

/** Stored events of another type, for the backfill. */
const BackfillEvent = define({
  type: "bench.stored",
  version: 1,
  producer: "bench",
  payload: Schema.Struct({ i: Schema.Int, subject: Schema.String }),
  description: "A stored benchmark event.",
  subject: (payload) => ({ type: "thing", id: payload.subject })
})

const registry = Registry.make({
  "bench.happened": {
    producer: "bench",
    consumers: ["bench"],
    owningContract: "bench",
    versions: [Registry.version(BenchEvent, { status: "active", registeredAt: "2026-11-21", notes: "" })]
  },
  "bench.stored": {
    producer: "bench",
    consumers: ["bench"],
    owningContract: "bench",
    versions: [Registry.version(BackfillEvent, { status: "active", registeredAt: "2026-11-21", notes: "" })]
  }
})

const WORKER_POOL: Worker.PoolSettings = {
  size: 2 * LANES + 4,
  statementTimeout: Duration.seconds(30),
  lockTimeout: Duration.seconds(5),
  idleInTransactionTimeout: Duration.seconds(15),
  synchronousCommit: false
}
const WORKER_OPTIONS = { concurrency: LANES, claimSize: CLAIM, transactionSize: TX }

interface TesseraSystem extends System {
  readonly admin: pg.Client
  readonly url: string
  readonly run: <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient | EventSink>) => Promise<A>
}

const tessera = async (
  url: string,
  tracker: Tracker,
  wakeUp: Outbox.WakeUp = "in-transaction"
): Promise<TesseraSystem> => {
  const producerPool = PgClient.layer({ url: Redacted.make(url), maxConnections: 16 })
  const layer = Layer.mergeAll(Outbox.layer(registry, { wakeUp }), DispatchMigrations.layer).pipe(
    Layer.provideMerge(producerPool),
    Layer.orDie
  )
  const runtime = ManagedRuntime.make(layer)
  const workers = await runtime.runPromise(Scope.make())
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query("CREATE TABLE bench_effects (consumer text NOT NULL, i integer NOT NULL)")
  await runtime.runPromise(DispatchMigrations.layer.pipe(Layer.build, Effect.scoped))
  const workerPool = await runtime.runPromise(
    Layer.build(Worker.poolLayer({ url: Redacted.make(url) }, WORKER_POOL).pipe(Layer.orDie)).pipe(
      Scope.provide(workers)
    )
  )
  await runtime.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      for (const name of CONSUMERS) {
        const consumer = Consumer.make({
          name,
          domain: "bench",
          handlers: [
            Consumer.on(BenchEvent, (event) =>
              Effect.gen(function* () {
                yield* sql`INSERT INTO bench_effects (consumer, i) VALUES (${name}, ${event.payload.i})`
                yield* sql.afterCommit(Effect.sync(() => tracker.done(event.payload.i)))
              })
            )
          ]
        })
        yield* Worker.run(consumer, { registry, ...WORKER_OPTIONS }).pipe(Scope.provide(workers))
      }
    }).pipe(Effect.provide(workerPool))
  )
  const context = {
    producer: "bench",
    organizationId: "org",
    actor: { type: "system" as const, id: "bench" },
    correlationId: "bench"
  }
  return {
    name: wakeUp === "in-transaction" ? "tessera" : "tessera (coalesced wake-up)",
    admin,
    url,
    run: (effect) => runtime.runPromise(effect),
    publish: (from, to) =>
      runtime.runPromise(
        Effect.flatMap(EventSink, (sink) =>
          sink.publish(
            Array.from({ length: to - from }, (_, k) => ({
              definition: BenchEvent,
              payload: { i: from + k, subject: `s${(from + k) % SUBJECTS}` }
            })),
            context
          )
        ).pipe(Effect.asVoid)
      ),
    stop: async () => {
      await runtime.runPromise(Scope.close(workers, Exit.void))
      await runtime.dispose()
      await admin.end()
    }
  }
}

/**
 * Stores `count` events of `type` (recorded 40 days ago: past the retention window the benchmark
 * purges with), handled by both consumers when `handled` (events + inbox rows).
 */
const storeHandled = async (admin: pg.Client, count: number, type: string, handled: boolean) => {
  const chunk = 100_000
  for (let done = 0; done < count; done += chunk) {
    const n = Math.min(chunk, count - done)
    await admin.query(
      `WITH e AS (
        INSERT INTO dispatch.events (event_id, event_type, event_version, producer, organization_id, subject_type,
          subject_id, actor_type, actor_id, correlation_id, occurred_at, recorded_at, payload)
        SELECT gen_random_uuid(), $1, 1, 'bench', 'org', 'thing', 's' || (g % ${SUBJECTS}), 'system', 'bench', 'bench',
          now() - interval '40 days', now() - interval '40 days', jsonb_build_object('i', -g, 'subject', 's' || (g % ${SUBJECTS}))
        FROM generate_series(1, $2::int) g
        RETURNING event_id
      )
      INSERT INTO dispatch.inbox (consumer, event_id, processed_at)
      SELECT c, e.event_id, now() - interval '40 days' FROM e, unnest($3::text[]) c`,
      [type, n, handled ? [...CONSUMERS] : []]
    )
  }
  await admin.query("VACUUM ANALYZE dispatch.events")
  await admin.query("VACUUM ANALYZE dispatch.inbox")
}

const sizes = async (admin: pg.Client) => {
  const rows = await admin.query<{ name: string; rows: string; size: string }>(
    `SELECT c.relname AS name, c.reltuples::bigint::text AS rows, pg_size_pretty(pg_total_relation_size(c.oid)) AS size
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'dispatch' AND c.relname IN ('events', 'inbox', 'deliveries', 'dead_letters') ORDER BY c.relname`
  )
  return rows.rows.map((r) => `${r.name} ${r.size} (~${r.rows} rows)`).join(", ")
}

/** Publishes one event per transaction at `rate`/s for `seconds`; returns the publish latencies (ms). */
const publishLatencies = async (system: System, rate: number, seconds: number, until?: () => boolean) => {
  const latencies: Array<number> = []
  const start = performance.now()
  let sent = 0
  const inflight = new Set<Promise<void>>()
  while ((performance.now() - start) / 1000 < seconds || (until !== undefined && !until())) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate) + 1
    while (sent < due && inflight.size < MAX_INFLIGHT) {
      const i = take(1)
      const t = performance.now()
      const p: Promise<void> = system.publish(i, i + 1).then(() => {
        latencies.push(performance.now() - t)
        inflight.delete(p)
      })
      inflight.add(p)
      sent++
    }
    await sleep(2)
    if (until?.() === true && (performance.now() - start) / 1000 >= 0.5) break
  }
  await Promise.all(inflight)
  return latencies.sort((a, b) => a - b)
}

// --- graphile-worker --------------------------------------------------------------------------

const GRAPHILE_SETTINGS = {
  concurrency: 16,
  pollInterval: 1000,
  pool: 24,
  preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
}

const graphile = async (url: string, tracker: Tracker): Promise<System> => {
  const pool = new pg.Pool({ connectionString: url, max: 24 })
  pool.on("error", () => {}) // connections dropped when the database is dropped after the run
  await effectsTable(pool)
  const silent = new Logger(() => () => {})
  const task = (name: string) => async (payload: unknown) => {
    const i = typeof payload === "object" && payload !== null && "i" in payload ? Number(payload.i) : -1
    await pool.query("INSERT INTO bench_effects (consumer, i) VALUES ($1, $2)", [name, i])
    tracker.done(i)
  }
  const runner = await runGraphile({
    pgPool: pool,
    concurrency: GRAPHILE_SETTINGS.concurrency,
    noHandleSignals: true,
    pollInterval: GRAPHILE_SETTINGS.pollInterval,
    logger: silent,
    taskList: { sub_a: task("sub_a"), sub_b: task("sub_b") },
    preset: GRAPHILE_SETTINGS.preset
  })
  const utils = await makeWorkerUtils({ pgPool: pool, logger: silent })
  return {
    name: "graphile-worker",
    publish: async (from, to) => {
      const specs = []
      for (let i = from; i < to; i++) {
        for (const identifier of CONSUMERS) specs.push({ identifier, payload: { i, subject: `s${i % SUBJECTS}` } })
      }
      await utils.addJobs(specs)
    },
    stop: async () => {
      await runner.stop()
      await utils.release()
      await pool.end()
    }
  }
}

// --- pg-boss ----------------------------------------------------------------------------------

const PGBOSS_SETTINGS = {
  max: 12,
  useListenNotify: true,
  queue: { notify: true },
  work: {
    batchSize: 50,
    localConcurrency: 4,
    pollingIntervalSeconds: 0.5,
    notifyPollingIntervalSeconds: 0.5,
    burstWhenBatchFull: true
  }
}

const pgBoss = async (url: string, tracker: Tracker): Promise<System> => {
  const pool = new pg.Pool({ connectionString: url, max: 12 })
  pool.on("error", () => {}) // connections dropped when the database is dropped after the run
  await effectsTable(pool)
  const boss = new PgBoss({ connectionString: url, max: 12, useListenNotify: true, connectionTimeoutMillis: 60_000 })
  let stopped = false
  boss.on("error", (error) => {
    if (!stopped) console.error("pg-boss:", error)
  })
  await boss.start()
  for (const name of CONSUMERS) {
    await boss.createQueue(name, PGBOSS_SETTINGS.queue)
    await boss.work<{ i: number }>(name, PGBOSS_SETTINGS.work, async (jobs) => {
      for (const job of jobs) {
        await pool.query("INSERT INTO bench_effects (consumer, i) VALUES ($1, $2)", [name, job.data.i])
        tracker.done(job.data.i)
      }
    })
  }
  return {
    name: "pg-boss",
    publish: async (from, to) => {
      const jobs = Array.from({ length: to - from }, (_, k) => ({
        data: { i: from + k, subject: `s${(from + k) % SUBJECTS}` }
      }))
      if (to - from === 1) await Promise.all(CONSUMERS.map((name) => boss.insert(name, jobs)))
      else for (const name of CONSUMERS) await boss.insert(name, jobs)
    },
    stop: async () => {
      stopped = true
      await boss.stop({ graceful: true })
      await pool.end()
    }
  }
}

// --- the cross-domain figure ------------------------------------------------------------------

/** The stack's cross-domain benchmark's figures, or "" when it cannot run here. */
const crossDomain = () => {
  const root = Path.resolve(import.meta.dirname, "..", "..", "..")
  const run = ChildProcess.spawnSync("pnpm", ["--filter", "@tessera/stack", "bench"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: "" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024
  })
  const lines = `${run.stdout ?? ""}`.split("\n")
  const start = lines.findIndex((line) => line.startsWith("cross-domain load:"))
  return start < 0
    ? ""
    : lines
        .slice(start, start + 5)
        .map((line) => `   ${line.trim()}`)
        .join("\n")
}

// --- main -------------------------------------------------------------------------------------

interface PeerResult {
  readonly name: string
  readonly throughput: number
  readonly latency: Latency | undefined
  readonly light: Latency | undefined
}

const main = async () => {
  const scope = Effect.runSync(Scope.make())
  let adminUrl = process.env.DATABASE_URL?.trim() ?? ""
  let root: string | undefined
  if (adminUrl === "") {
    root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-bench-"))
    Fs.chmodSync(root, 0o755)
    const server = await Effect.runPromise(
      EmbeddedPostgres.start({
        dataDir: Path.join(root, "data"),
        port: 0,
        ephemeral: false,
        relocateBinaries: true
      }).pipe(Scope.provide(scope))
    )
    adminUrl = Redacted.value(server.url("postgres"))
  }
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  const version = await admin.query<{ server_version: string }>("SHOW server_version")
  const settings = await admin.query<{ name: string; setting: string }>(
    "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections') ORDER BY name"
  )
  console.log(
    `PostgreSQL ${version.rows[0]?.server_version} (${settings.rows.map((r) => `${r.name}=${r.setting}`).join(", ")}); Node ${process.version}; ${Os.cpus().length} CPUs`
  )
  console.log(
    `sections: ${[...SECTIONS].join(", ")}; throughput ${EVENTS} events (batches of ${BATCH}), ${CONSUMERS.length} consumers writing a row each; latency at ${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s, one event per transaction`
  )
  console.log(
    `tessera: ${LANES} lanes per consumer, claim ${CLAIM}, transactions of up to ${TX} events, worker pool ${WORKER_POOL.size} (synchronous_commit ${WORKER_POOL.synchronousCommit === true ? "on" : "off"}), producer pool 16, wake-up in-transaction`
  )
  console.log(`graphile-worker 0.18.0: ${JSON.stringify(GRAPHILE_SETTINGS)}`)
  console.log(`pg-boss 12.35.0: ${JSON.stringify(PGBOSS_SETTINGS)}\n`)
  const urlFor = (database: string) => {
    const url = new URL(adminUrl)
    url.pathname = `/${database}`
    return url.toString()
  }
  const fresh = async (name: string) => {
    const database = `bench_${name}_${Date.now()}`
    await admin.query(`CREATE DATABASE ${database}`)
    return { database, url: urlFor(database), drop: () => admin.query(`DROP DATABASE ${database} WITH (FORCE)`) }
  }
  const only = (process.env.BENCH_ONLY ?? "tessera,graphile,pgboss").split(",")
  const peers: Array<PeerResult> = []
  const figures: Array<string> = []
  let normal = Number.NaN

  // Tessera: every section on one database (sizes accumulate like a long run's).
  if (only.includes("tessera")) {
    const db = await fresh("tessera")
    const tracker = new Tracker()
    const system = await tessera(db.url, tracker)
    console.log("tessera:")
    if (SECTIONS.has("flat")) await storeHandled(system.admin, 10_000, "bench.happened", true)
    await warmUp(system, tracker)
    normal = await throughput(
      system,
      tracker,
      EVENTS,
      SECTIONS.has("flat") ? "throughput (10k events stored)" : "throughput"
    )
    const latency = SECTIONS.has("latency")
      ? await latencyAt(system, tracker, LATENCY_RATE, LATENCY_SECONDS)
      : undefined
    const light = SECTIONS.has("latency") ? await latencyAt(system, tracker, LIGHT_RATE, LATENCY_SECONDS) : undefined
    peers.push({ name: "tessera", throughput: normal, latency, light })

    if (SECTIONS.has("analyze")) {
      await sleep(1000)
      await system.admin.query("ANALYZE dispatch.deliveries")
      const stats = await system.admin.query<{ n: string }>(
        "SELECT reltuples::bigint::text AS n FROM pg_class WHERE oid = 'dispatch.deliveries'::regclass"
      )
      const analyzed = await throughput(
        system,
        tracker,
        ANALYZE_EVENTS,
        `throughput right after ANALYZE of the empty deliveries table (reltuples ${stats.rows[0]?.n})`
      )
      figures.push(
        `after ANALYZE of an empty queue: ${analyzed.toFixed(0)} events/s over ${ANALYZE_EVENTS} events = ${((100 * analyzed) / normal).toFixed(0)}% of normal`
      )
    }

    if (SECTIONS.has("pinned")) {
      // A transaction holds the xmin horizon for BENCH_PINNED_SECONDS (300: the issue's five
      // minutes) while rounds of BENCH_EVENTS go through back to back: nothing deleted meanwhile can
      // be vacuumed. The figure is the last round's throughput (the worst point: the most dead rows).
      const pinner = new pg.Client({ connectionString: db.url })
      await pinner.connect()
      await pinner.query("BEGIN ISOLATION LEVEL REPEATABLE READ")
      await pinner.query("SELECT txid_current(), count(*) FROM dispatch.events")
      const pinnedAt = performance.now()
      const rounds: Array<number> = []
      while (rounds.length === 0 || (performance.now() - pinnedAt) / 1000 < PINNED_SECONDS) {
        rounds.push(
          await throughput(
            system,
            tracker,
            EVENTS,
            `throughput with a transaction pinning the xmin horizon for ${((performance.now() - pinnedAt) / 1000).toFixed(0)} s`
          )
        )
      }
      const held = (performance.now() - pinnedAt) / 1000
      const dead = await system.admin.query<{ dead: string }>(
        "SELECT n_dead_tup::text AS dead FROM pg_stat_user_tables WHERE relid = 'dispatch.deliveries'::regclass"
      )
      await pinner.query("COMMIT")
      await pinner.end()
      const last = rounds[rounds.length - 1] ?? Number.NaN
      figures.push(
        `pinned xmin (a transaction open for ${held.toFixed(0)} s, ${rounds.length} rounds of ${EVENTS} events, ${dead.rows[0]?.dead} dead delivery rows kept): last round ${last.toFixed(0)} events/s = ${((100 * last) / normal).toFixed(0)}% of normal, slowest round ${Math.min(...rounds).toFixed(0)} (goal ≥ 70%)`
      )
      // What the pinned transaction kept from vacuum would slow the sections after it.
      await system.admin.query("VACUUM dispatch.deliveries")
    }

    if (SECTIONS.has("flat")) {
      const t0 = performance.now()
      await storeHandled(system.admin, Math.max(0, STORED - 10_000 - EVENTS), "bench.happened", true)
      console.log(
        `  stored ${STORED} handled events in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${await sizes(system.admin)}`
      )
      const big = await throughput(system, tracker, EVENTS, `throughput (${STORED} events stored)`)
      figures.push(
        `cost flat: ${big.toFixed(0)} events/s with ${STORED} events stored vs ${normal.toFixed(0)} with 10k: ${((100 * big) / normal).toFixed(0)}% (goal: within 15%)`
      )
    }

    if (SECTIONS.has("backfill")) {
      await storeHandled(system.admin, BACKFILL_EVENTS, "bench.stored", false)
      const before = await publishLatencies(system, 100, 3)
      let done = false
      let copied = 0
      const t0 = performance.now()
      const backfill = system
        .run(
          Effect.flatMap(SqlClient.SqlClient, (sql) =>
            Worker.subscribe(sql, "sub_backfill", ["bench.stored"], BACKFILL_BATCH)
          )
        )
        .then((n) => {
          copied = n
          done = true
        })
      const during = await publishLatencies(system, 100, 0, () => done)
      await backfill
      const seconds = (performance.now() - t0) / 1000
      const p99Before = percentile(before, 99)
      const p99During = percentile(during, 99)
      figures.push(
        `backfill: ${copied} events in ${seconds.toFixed(1)} s = ${((seconds * 1_000_000) / Math.max(1, copied)).toFixed(1)} s per million; publish p99 ${p99During.toFixed(1)} ms during it vs ${p99Before.toFixed(1)} ms before (×${(p99During / p99Before).toFixed(2)}, goal ≤ ×2; max during ${(during[during.length - 1] ?? 0).toFixed(1)} ms, ${during.length} publishes)`
      )
      await system.admin.query("DELETE FROM dispatch.deliveries WHERE consumer = 'sub_backfill'")
      await system.admin.query("DELETE FROM dispatch.subscriptions WHERE consumer = 'sub_backfill'")
    }

    if (SECTIONS.has("flat")) {
      // Retention at that size: the stored events (recorded 40 days ago) go, in batches; the ones
      // published during the run stay (within the window), as does anything a consumer still needs.
      const before = await sizes(system.admin)
      const t0 = performance.now()
      const purged = await system.run(
        Retention.purge({ events: "30 days", inbox: "30 days", deadLetters: "90 days", batchSize: 10_000 })
      )
      const seconds = (performance.now() - t0) / 1000
      await system.admin.query("VACUUM dispatch.events")
      await system.admin.query("VACUUM dispatch.inbox")
      figures.push(
        `retention (batched deletes of 10k, 30-day window): purged ${purged.events} events and ${purged.inbox} inbox rows in ${seconds.toFixed(1)} s (${((purged.events + purged.inbox) / seconds).toFixed(0)} rows/s); before: ${before}; after (VACUUM: the space is reusable, not returned): ${await sizes(system.admin)}`
      )
    }

    if (SECTIONS.has("size")) {
      const total = await system.admin.query<{ n: string }>(
        "SELECT COALESCE(max(position), 0)::text AS n FROM dispatch.events"
      )
      const dead = await system.admin.query<{ live: string; dead: string; vacuums: string }>(
        "SELECT n_live_tup::text AS live, n_dead_tup::text AS dead, (autovacuum_count + vacuum_count)::text AS vacuums FROM pg_stat_user_tables WHERE relid = 'dispatch.deliveries'::regclass"
      )
      const size = await system.admin.query<{ size: string }>(
        "SELECT pg_size_pretty(pg_total_relation_size('dispatch.deliveries')) AS size"
      )
      figures.push(
        `deliveries table after ${total.rows[0]?.n} event positions (${nextIndex} published through the outbox × 2 consumers): ${size.rows[0]?.size}, ${dead.rows[0]?.live} live / ${dead.rows[0]?.dead} dead tuples, ${dead.rows[0]?.vacuums} vacuums`
      )
    }
    if (SECTIONS.has("churn")) {
      // #17.3: the deliveries table is a queue (every row inserted, then deleted). BENCH_CHURN_EVENTS
      // (2M) through the real outbox and both consumers, its size sampled as it goes: bounded when
      // the samples stop growing (autovacuum reuses the space of deleted rows).
      const churn = env("BENCH_CHURN_EVENTS", 2_000_000)
      const sampleEvery = Math.max(EVENTS, Math.round(churn / 8))
      const samples: Array<string> = []
      const t0 = performance.now()
      let rates: Array<number> = []
      // Rounds of BENCH_EVENTS, each handled before the next (a backlog of at most one round).
      for (let done = 0; done < churn; ) {
        const round = Math.min(EVENTS, churn - done)
        rates.push(await quietThroughput(system, tracker, round))
        done += round
        if (done % sampleEvery < round || done === churn) {
          const size = await system.admin.query<{ size: string; dead: string; vacuums: string }>(
            `SELECT pg_size_pretty(pg_total_relation_size('dispatch.deliveries')) AS size, n_dead_tup::text AS dead,
               (autovacuum_count + vacuum_count)::text AS vacuums
             FROM pg_stat_user_tables WHERE relid = 'dispatch.deliveries'::regclass`
          )
          const mean = rates.reduce((a, b) => a + b, 0) / rates.length
          rates = []
          samples.push(
            `${(done / 1e6).toFixed(2)}M: ${size.rows[0]?.size} (${size.rows[0]?.vacuums} vacuums, ${mean.toFixed(0)} events/s)`
          )
          console.log(`  churn: ${samples[samples.length - 1]}`)
        }
      }
      figures.push(
        `deliveries table under churn (${churn} events × 2 consumers through the outbox in ${((performance.now() - t0) / 1000).toFixed(0)} s), size after each step: ${samples.join(", ")}`
      )
    }

    await system.stop()
    await db.drop()

    if (SECTIONS.has("wakeup")) {
      const db2 = await fresh("tessera_notify")
      const tracker2 = new Tracker()
      const inTransaction = await tessera(db2.url, tracker2, "coalesced")
      console.log("tessera, coalesced wake-up after commit:")
      await warmUp(inTransaction, tracker2)
      const rate = await throughput(inTransaction, tracker2, EVENTS, "throughput")
      const lat = await latencyAt(inTransaction, tracker2, LATENCY_RATE, LATENCY_SECONDS)
      figures.push(
        `wake-up: coalesced after commit ${rate.toFixed(0)} events/s, p99 ${lat.p99.toFixed(1)} ms at ${LATENCY_RATE}/s; pg_notify in every producer transaction (default) ${normal.toFixed(0)} events/s, p99 ${latency?.p99.toFixed(1) ?? "n/a"} ms`
      )
      await inTransaction.stop()
      await db2.drop()
    }
  }

  for (const [name, make] of [
    ["graphile", graphile],
    ["pgboss", pgBoss]
  ] as const) {
    if (!only.includes(name) || !(SECTIONS.has("throughput") || SECTIONS.has("latency"))) continue
    const db = await fresh(name)
    const tracker = new Tracker()
    const system = await make(db.url, tracker)
    console.log(`${system.name}:`)
    await warmUp(system, tracker)
    const rate = await throughput(system, tracker, EVENTS, "throughput")
    const latency = SECTIONS.has("latency")
      ? await latencyAt(system, tracker, LATENCY_RATE, LATENCY_SECONDS)
      : undefined
    const light = SECTIONS.has("latency") ? await latencyAt(system, tracker, LIGHT_RATE, LATENCY_SECONDS) : undefined
    peers.push({ name: system.name, throughput: rate, latency, light })
    await system.stop()
    await db.drop()
  }
  await admin.end()

  console.log(
    "\nsummary (latency per delivery, publish call → consumer commit; ack = from the publish's acknowledgement)"
  )
  console.log(
    `system            events/s  deliveries/s | at ${LATENCY_RATE} events/s: p50  p99  max  p99 ack | at ${LIGHT_RATE} events/s: p50  p99  max  p99 ack`
  )
  const row = (l: Latency | undefined) =>
    l === undefined ? "n/a" : `${l.p50.toFixed(1)}  ${l.p99.toFixed(1)}  ${l.max.toFixed(1)}  ${l.ackP99.toFixed(1)}`
  for (const r of peers) {
    console.log(
      `${r.name.padEnd(16)} ${r.throughput.toFixed(0).padStart(9)} ${(r.throughput * 2).toFixed(0).padStart(13)} | ${row(r.latency)} | ${row(r.light)}`
    )
  }
  const ours = peers.find((r) => r.name === "tessera")
  const others = peers.filter((r) => r.name !== "tessera")
  if (ours !== undefined) {
    const best = others.reduce<PeerResult | undefined>(
      (b, r) => (b === undefined || r.throughput > b.throughput ? r : b),
      undefined
    )
    for (const other of others) {
      console.log(
        `tessera / ${other.name}: throughput ×${(ours.throughput / other.throughput).toFixed(2)}${ours.latency !== undefined && other.latency !== undefined ? `; p99 at ${LATENCY_RATE}/s ×${(ours.latency.p99 / other.latency.p99).toFixed(2)}` : ""}${ours.light !== undefined && other.light !== undefined ? `; p99 at ${LIGHT_RATE}/s ×${(ours.light.p99 / other.light.p99).toFixed(2)}` : ""}`
      )
    }
    console.log("\nfigures (#10, #17):")
    if (best !== undefined)
      console.log(
        `1. throughput, two consumers writing a row: ${ours.throughput.toFixed(0)} events/s = ×${(ours.throughput / best.throughput).toFixed(2)} the best peer (${best.name}, ${best.throughput.toFixed(0)}); goal ≥ ×1.5: ${ours.throughput >= 1.5 * best.throughput ? "met" : "MISSED"}`
      )
    if (ours.latency !== undefined)
      console.log(
        `2. latency at ${LATENCY_RATE} events/s, one event per transaction: p99 ${ours.latency.p99.toFixed(1)} ms from the call (${ours.latency.ackP99.toFixed(1)} ms from the ack); goal ≤ 30 ms: ${ours.latency.p99 <= 30 ? "met" : "MISSED"}`
      )
    for (const figure of figures) console.log(`- ${figure}`)
  }
  if (SECTIONS.has("crossdomain")) {
    // The fifth figure needs the apps (the CRM over HTTP, the learning journey's real consumer),
    // which this package must not depend on: their own benchmark, run as a child process once
    // everything above is done (it starts its own PostgreSQL).
    console.log(
      `\n5. cross-domain (pnpm --filter @tessera/stack bench: apps/stack/bench/CrossDomainLoad.bench-run.ts, BENCH_LOAD_SECONDS=${process.env.BENCH_LOAD_SECONDS ?? "20"}):`
    )
    const output = crossDomain()
    console.log(output.length > 0 ? output : "   (the stack's benchmark did not run: see apps/stack/bench)")
  }
  await Effect.runPromise(Scope.close(scope, Exit.void))
  if (root !== undefined) Fs.rmSync(root, { recursive: true, force: true })
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
