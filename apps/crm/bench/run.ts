/**
 * CRM HTTP benchmark: `crm.deal.create` and `crm.deal.get` on the real CRM process (contracts,
 * auth, transaction, outbox, audit) against, in the same run, on one PostgreSQL, with autocannon:
 *
 * - the peer a user would pick instead: Fastify with the same JWT verification (jose), the same
 *   input validation (the contract's JSON Schema) and the same SQL (`FastifyServer.ts`);
 * - the floor: plain `node:http` + `pg` doing the same SQL without auth or validation
 *   (`BaselineServer.ts`).
 *
 *   pnpm --filter @tessera/crm bench                     (10 s per measurement)
 *   BENCH_DURATION=5 BENCH_CONNECTIONS=16 pnpm --filter @tessera/crm bench
 *   BENCH_CPU_PROF=/tmp/prof pnpm --filter @tessera/crm bench   (the CRM process writes a .cpuprofile there)
 *
 * Uses DATABASE_URL's server when set (it needs CREATEDB), else an embedded one in a temp folder.
 * Prints req/s, p50/p99 latency and the ratios; this is a benchmark, not a test.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import * as Auth from "@tessera/contract-server/Auth"
import * as EmbeddedPostgres from "@tessera/database/EmbeddedPostgres"
import * as Migrations from "@tessera/database/Migrations"
import autocannon from "autocannon"
import { Effect, Exit, Redacted, Schema, Scope } from "effect"
import { SqlClient } from "effect/sql"
import { schemaMigrations as CrmMigrations } from "../src/CrmApp.ts"

const duration = Number(process.env.BENCH_DURATION ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16)
const here = import.meta.dirname

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = Net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

const cpuProfile = process.env.BENCH_CPU_PROF

const start = (script: string, env: Record<string, string>, ready: string, profile = false) =>
  new Promise<ChildProcess>((resolve, reject) => {
    const flags = profile && cpuProfile !== undefined ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfile}`] : []
    const child = spawn(process.execPath, [...flags, script], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      if (output.includes(ready)) resolve(child)
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)))
  })

interface Figures {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
}

const load = async (url: string, body: string, headers: Record<string, string>, seconds: number): Promise<Figures> => {
  const result = await autocannon({
    url,
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
    connections,
    duration: seconds
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx
  }
}

/** `BENCH_ONLY=tessera` (or `fastify`, `baseline`, comma-separated) measures only those servers. */
const only = new Set((process.env.BENCH_ONLY ?? "tessera,fastify,baseline").split(",").map((name) => name.trim()))
/** `BENCH_OPS=get` (or `create`) measures only that operation. */
const operations = new Set((process.env.BENCH_OPS ?? "create,get").split(",").map((name) => name.trim()))
const skipped: Figures = { rps: Number.NaN, p50: Number.NaN, p99: Number.NaN, errors: 0 }

const measure = async (url: string, body: string, headers: Record<string, string>) => {
  const port = new URL(url).port
  const server = port === String(ports.tessera) ? "tessera" : port === String(ports.fastify) ? "fastify" : "baseline"
  const operation = url.endsWith("/create") ? "create" : "get"
  if (!only.has(server) || !operations.has(operation)) return skipped
  await load(url, body, headers, Math.min(3, duration)) // warm-up: JIT, pools, prepared statements
  return load(url, body, headers, duration)
}

const ports = { tessera: 0, fastify: 0, baseline: 0 }

const withDatabase = async (
  adminUrl: string,
  name: string,
  setup: Effect.Effect<void, unknown, SqlClient.SqlClient>
) => {
  const url = new URL(adminUrl)
  await Effect.runPromise(
    Effect.flatMap(PgClient.PgClient, (sql) => sql`CREATE DATABASE ${sql(name)}`).pipe(
      Effect.provide(PgClient.layer({ url: Redacted.make(adminUrl), maxConnections: 1 })),
      Effect.scoped
    )
  )
  url.pathname = `/${name}`
  const databaseUrl = Redacted.make(url.toString())
  await Effect.runPromise(
    setup.pipe(Effect.provide(PgClient.layer({ url: databaseUrl, maxConnections: 1 })), Effect.scoped)
  )
  return url.toString()
}

const seedPipeline = (organizationId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* Migrations.run(CrmMigrations)
    yield* sql`INSERT INTO crm.pipelines (organization_id, id, name, created_by, created_at)
               VALUES (${organizationId}, 'pipe_bench', 'Bench', 'bench', now())`
    yield* sql`INSERT INTO crm.stages (organization_id, id, pipeline_id, name, position, probability)
               VALUES (${organizationId}, 'stage_bench', 'pipe_bench', 'Lead', 0, 10)`
    yield* sql`CREATE TABLE IF NOT EXISTS public.baseline_outbox (
                 position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_id uuid NOT NULL UNIQUE,
                 event_type text NOT NULL, organization_id text NOT NULL, subject_id text NOT NULL,
                 payload jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`
  })

const main = async () => {
  const children: Array<ChildProcess> = []
  let stopDatabase: () => Promise<void> = async () => {}
  try {
    let adminUrl = process.env.DATABASE_URL
    if (adminUrl === undefined || adminUrl.trim() === "") {
      const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-crm-bench-"))
      Fs.chmodSync(root, 0o755)
      const scope = Effect.runSync(Scope.make())
      const server = await Effect.runPromise(
        EmbeddedPostgres.start({ dataDir: Path.join(root, "data"), port: 0, relocateBinaries: true }).pipe(
          Scope.provide(scope)
        )
      )
      adminUrl = Redacted.value(server.url("postgres"))
      stopDatabase = async () => {
        await Effect.runPromise(Scope.close(scope, Exit.void))
        Fs.rmSync(root, { recursive: true, force: true })
      }
    }
    const suffix = Date.now().toString(36)
    const organizationId = "org_bench"
    const tesseraUrl = await withDatabase(adminUrl, `bench_tessera_${suffix}`, seedPipeline(organizationId))
    const baselineUrl = await withDatabase(adminUrl, `bench_baseline_${suffix}`, seedPipeline(organizationId))
    const fastifyUrl = await withDatabase(adminUrl, `bench_fastify_${suffix}`, seedPipeline(organizationId))

    const tesseraPort = await freePort()
    const baselinePort = await freePort()
    const fastifyPort = await freePort()
    ports.tessera = tesseraPort
    ports.fastify = fastifyPort
    ports.baseline = baselinePort
    children.push(
      await start(
        Path.join(here, "..", "src", "main.ts"),
        { DATABASE_URL: tesseraUrl, PORT: String(tesseraPort) },
        "is up at",
        process.env.BENCH_PROFILE_PEER === undefined
      )
    )
    children.push(
      await start(
        Path.join(here, "FastifyServer.ts"),
        { DATABASE_URL: fastifyUrl, PORT: String(fastifyPort) },
        "listening",
        process.env.BENCH_PROFILE_PEER === "fastify"
      )
    )
    children.push(
      await start(
        Path.join(here, "BaselineServer.ts"),
        { DATABASE_URL: baselineUrl, PORT: String(baselinePort) },
        "listening"
      )
    )

    const token = await Effect.runPromise(Auth.mintDevToken({ userId: "bench", organizationId, roles: [] }))
    const tessera = { authorization: `Bearer ${token}` }
    const baseline = { "x-organization": organizationId }
    const createBody = JSON.stringify({
      name: "Bench deal",
      value: { amountMinor: 125_000, currency: "EUR" },
      pipelineId: "pipe_bench",
      stageId: "stage_bench"
    })

    const created = await fetch(`http://127.0.0.1:${tesseraPort}/crm/deal/create`, {
      method: "POST",
      headers: { "content-type": "application/json", ...tessera },
      body: createBody
    })
    const IdOnly = Schema.Struct({ id: Schema.String })
    const deal = Schema.decodeUnknownSync(IdOnly)(await created.json())
    const baselineCreated = await fetch(`http://127.0.0.1:${baselinePort}/crm/deal/create`, {
      method: "POST",
      headers: { "content-type": "application/json", ...baseline },
      body: createBody
    })
    const baselineDeal = Schema.decodeUnknownSync(IdOnly)(await baselineCreated.json())
    const fastifyCreated = await fetch(`http://127.0.0.1:${fastifyPort}/crm/deal/create`, {
      method: "POST",
      headers: { "content-type": "application/json", ...tessera },
      body: createBody
    })
    const fastifyDeal = Schema.decodeUnknownSync(IdOnly)(await fastifyCreated.json())

    process.stdout.write(
      `crm bench: ${connections} connections, ${duration} s per measurement, node ${process.version}\n`
    )
    const results = {
      create: {
        tessera: await measure(`http://127.0.0.1:${tesseraPort}/crm/deal/create`, createBody, tessera),
        fastify: await measure(`http://127.0.0.1:${fastifyPort}/crm/deal/create`, createBody, tessera),
        baseline: await measure(`http://127.0.0.1:${baselinePort}/crm/deal/create`, createBody, baseline)
      },
      get: {
        tessera: await measure(
          `http://127.0.0.1:${tesseraPort}/crm/deal/get`,
          JSON.stringify({ dealId: deal.id }),
          tessera
        ),
        fastify: await measure(
          `http://127.0.0.1:${fastifyPort}/crm/deal/get`,
          JSON.stringify({ dealId: fastifyDeal.id }),
          tessera
        ),
        baseline: await measure(
          `http://127.0.0.1:${baselinePort}/crm/deal/get`,
          JSON.stringify({ dealId: baselineDeal.id }),
          baseline
        )
      }
    }
    const row = (label: string, f: Figures) =>
      `${label.padEnd(28)} ${f.rps.toFixed(0).padStart(8)} req/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms   errors ${f.errors}`
    const ratio = (a: Figures, b: Figures) => (a.rps / b.rps).toFixed(2)
    const lines = [
      row("crm.deal.create  tessera", results.create.tessera),
      row("crm.deal.create  fastify", results.create.fastify),
      row("crm.deal.create  baseline", results.create.baseline),
      row("crm.deal.get     tessera", results.get.tessera),
      row("crm.deal.get     fastify", results.get.fastify),
      row("crm.deal.get     baseline", results.get.baseline),
      "",
      `create: tessera/fastify = ${ratio(results.create.tessera, results.create.fastify)}x (goal >= 1.0x), tessera/baseline = ${ratio(results.create.tessera, results.create.baseline)}x, fastify/baseline = ${ratio(results.create.fastify, results.create.baseline)}x; p99 ${results.create.tessera.p99} / ${results.create.fastify.p99} / ${results.create.baseline.p99} ms`,
      `get:    tessera/fastify = ${ratio(results.get.tessera, results.get.fastify)}x (goal >= 0.9x), tessera/baseline = ${ratio(results.get.tessera, results.get.baseline)}x (goal >= 0.7x), fastify/baseline = ${ratio(results.get.fastify, results.get.baseline)}x; p99 ${results.get.tessera.p99} / ${results.get.fastify.p99} / ${results.get.baseline.p99} ms`
    ]
    process.stdout.write(`${lines.join("\n")}\n`)
  } finally {
    for (const child of children) child.kill("SIGTERM")
    await new Promise((resolve) => setTimeout(resolve, 500))
    await stopDatabase()
  }
}

await main()
