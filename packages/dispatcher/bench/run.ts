/**
 * Tessera's dispatcher vs graphile-worker vs pg-boss, on the same PostgreSQL in the same run.
 *
 *   pnpm --filter @tessera/dispatcher bench          # 100k events
 *   BENCH_EVENTS=10000 pnpm --filter @tessera/dispatcher bench
 *
 * Work: one producer; every event goes to two consumers ("subscriptions": for the job queues, one
 * job per consumer per event), and each consumer's handling writes one row.
 *
 * 1. Throughput: BENCH_EVENTS events published in batches of 100 (one transaction per batch),
 *    consumers running meanwhile; events/s = events / (first publish → last consumer commit).
 * 2. Latency: one event per transaction at a steady rate of half the system's own measured
 *    throughput for BENCH_LATENCY_SECONDS; latency = publish call → consumer commit, per delivery.
 *
 * Each system gets its own fresh database on one server: DATABASE_URL's, or an embedded
 * PostgreSQL 18 with durable settings (fsync on) in a temp folder.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { PgClient } from "@effect/sql-pg"
import * as EmbeddedPostgres from "@tessera/database/EmbeddedPostgres"
import { define } from "@tessera/envelope/EventDefinition"
import { EventSink } from "@tessera/envelope/EventSink"
import * as Registry from "@tessera/envelope/Registry"
import { Effect, Exit, Layer, ManagedRuntime, Redacted, Schema, Scope } from "effect"
import { SqlClient } from "effect/sql"
import { Logger, makeWorkerUtils, run as runGraphile } from "graphile-worker"
import pg from "pg"
import { PgBoss } from "pg-boss"
import * as Consumer from "../src/Consumer.ts"
import * as DispatchMigrations from "../src/DispatchMigrations.ts"
import * as Outbox from "../src/Outbox.ts"
import * as Worker from "../src/Worker.ts"

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000)
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10)
const LIGHT_RATE = Number(process.env.BENCH_LIGHT_RATE ?? 200)
const MAX_INFLIGHT = 64
const BATCH = 100
const SUBJECTS = 1000
const CONSUMERS = ["sub_a", "sub_b"] as const

interface Latency {
  readonly rate: number
  readonly p50: number
  readonly p99: number
  readonly max: number
  readonly ackP50: number
  readonly ackP99: number
  readonly measured: number
}

interface Result {
  readonly name: string
  readonly throughput: number
  readonly publishSeconds: number
  readonly totalSeconds: number
  /** At half the system's own throughput. */
  readonly half: Latency
  /** At the same light rate for every system. */
  readonly light: Latency
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

/** Throughput, then latency at half of it. */
const measure = async (system: System, tracker: Tracker): Promise<Result> => {
  tracker.reset()
  const finished = tracker.until(EVENTS * CONSUMERS.length, 30 * 60_000)
  const t0 = performance.now()
  for (let i = 0; i < EVENTS; i += BATCH) await system.publish(i, Math.min(EVENTS, i + BATCH))
  const published = performance.now()
  await finished
  const total = (performance.now() - t0) / 1000
  const throughput = EVENTS / total
  console.log(
    `  ${system.name}: throughput ${throughput.toFixed(0)} events/s (${(throughput * 2).toFixed(0)} deliveries/s; publishing took ${((published - t0) / 1000).toFixed(1)} s, all handled after ${total.toFixed(1)} s)`
  )

  const half = await latencyAt(system, tracker, throughput / 2, 10_000_000)
  const light = await latencyAt(system, tracker, LIGHT_RATE, 20_000_000)
  return {
    name: system.name,
    throughput,
    publishSeconds: (published - t0) / 1000,
    totalSeconds: total,
    half,
    light
  }
}

/** One event per transaction at `rate` events/s for LATENCY_SECONDS. */
const latencyAt = async (system: System, tracker: Tracker, rate: number, base: number): Promise<Latency> => {
  await sleep(1000)
  tracker.reset()
  const count = Math.max(100, Math.round(rate * LATENCY_SECONDS))
  const done = tracker.until(count * CONSUMERS.length, 10 * 60_000)
  tracker.measuring = true
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

const registry = Registry.make({
  "bench.happened": {
    producer: "bench",
    consumers: ["bench"],
    owningContract: "bench",
    versions: [Registry.version(BenchEvent, { status: "active", registeredAt: "2026-11-21", notes: "" })]
  }
})

const tessera = async (url: string, tracker: Tracker): Promise<System> => {
  const layer = Layer.mergeAll(Outbox.layer(registry), DispatchMigrations.layer).pipe(
    Layer.provideMerge(PgClient.layer({ url: Redacted.make(url), maxConnections: 24 })),
    Layer.orDie
  )
  const runtime = ManagedRuntime.make(layer)
  const workers = await runtime.runPromise(Scope.make())
  await runtime.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE bench_effects (consumer text NOT NULL, i integer NOT NULL)`
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
        yield* Worker.run(consumer, { registry, concurrency: 4, transactionSize: 32, claimSize: 512 }).pipe(
          Scope.provide(workers)
        )
      }
    })
  )
  const context = {
    producer: "bench",
    organizationId: "org",
    actor: { type: "system" as const, id: "bench" },
    correlationId: "bench"
  }
  return {
    name: "tessera",
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
    }
  }
}

// --- graphile-worker --------------------------------------------------------------------------

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
    concurrency: 16,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: silent,
    taskList: { sub_a: task("sub_a"), sub_b: task("sub_b") },
    preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
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
    await boss.createQueue(name, { notify: true })
    await boss.work<{ i: number }>(
      name,
      {
        batchSize: 50,
        localConcurrency: 4,
        pollingIntervalSeconds: 0.5,
        notifyPollingIntervalSeconds: 0.5,
        burstWhenBatchFull: true
      },
      async (jobs) => {
        for (const job of jobs) {
          await pool.query("INSERT INTO bench_effects (consumer, i) VALUES ($1, $2)", [name, job.data.i])
          tracker.done(job.data.i)
        }
      }
    )
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

// --- main -------------------------------------------------------------------------------------

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
    `${EVENTS} events, ${CONSUMERS.length} consumers, batches of ${BATCH} for throughput; latency for ${LATENCY_SECONDS} s at half of each system's throughput\n`
  )
  const urlFor = (database: string) => {
    const url = new URL(adminUrl)
    url.pathname = `/${database}`
    return url.toString()
  }
  const results: Array<Result> = []
  const only = (process.env.BENCH_ONLY ?? "tessera,graphile,pgboss").split(",")
  for (const [name, make] of [
    ["tessera", tessera],
    ["graphile", graphile],
    ["pgboss", pgBoss]
  ] as const) {
    if (!only.includes(name)) continue
    const database = `bench_${name}_${Date.now()}`
    await admin.query(`CREATE DATABASE ${database}`)
    const tracker = new Tracker()
    const system = await make(urlFor(database), tracker)
    console.log(`${system.name}:`)
    results.push(await measure(system, tracker))
    await system.stop()
    await admin.query(`DROP DATABASE ${database} WITH (FORCE)`)
  }
  await admin.end()

  console.log(
    "\nsummary (latency in ms, per delivery; call = from the publish call, ack = from its commit acknowledgement)"
  )
  console.log(
    "system            events/s  deliveries/s | half load: events/s  p50 call  p99 call  p50 ack  p99 ack | light: events/s  p50 call  p99 call  p50 ack  p99 ack"
  )
  const f = (n: number, width = 9) => n.toFixed(1).padStart(width)
  for (const r of results) {
    console.log(
      `${r.name.padEnd(16)} ${r.throughput.toFixed(0).padStart(9)} ${(r.throughput * 2).toFixed(0).padStart(13)} | ${r.half.rate.toFixed(0).padStart(19)} ${f(r.half.p50)} ${f(r.half.p99)} ${f(r.half.ackP50, 8)} ${f(r.half.ackP99, 8)} | ${r.light.rate.toFixed(0).padStart(15)} ${f(r.light.p50)} ${f(r.light.p99)} ${f(r.light.ackP50, 8)} ${f(r.light.ackP99, 8)}`
    )
  }
  const [ours, ...others] = results
  if (ours !== undefined) {
    for (const other of others) {
      console.log(
        `tessera / ${other.name}: throughput ×${(ours.throughput / other.throughput).toFixed(2)}; at half load p50 ×${(ours.half.p50 / other.half.p50).toFixed(2)}, p99 ×${(ours.half.p99 / other.half.p99).toFixed(2)}; at ${LIGHT_RATE} events/s p50 ×${(ours.light.p50 / other.light.p50).toFixed(2)}, p99 ×${(ours.light.p99 / other.light.p99).toFixed(2)}`
      )
    }
    const graphileResult = results.find((r) => r.name === "graphile-worker")
    if (graphileResult !== undefined) {
      const ratio = ours.throughput / graphileResult.throughput
      console.log(
        `target: throughput ≥ graphile-worker's: ${ratio >= 1 ? "met" : "MISSED"} (×${ratio.toFixed(3)}); p99 ≤ 20 ms at half load: ${ours.half.p99 <= 20 ? "met" : "MISSED"} (${ours.half.p99.toFixed(1)} ms from the call, ${ours.half.ackP99.toFixed(1)} ms from the ack)`
      )
    }
  }
  await Effect.runPromise(Scope.close(scope, Exit.void))
  if (root !== undefined) Fs.rmSync(root, { recursive: true, force: true })
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
