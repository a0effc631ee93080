/**
 * Service-business HTTP benchmark, on the real app process (contracts, auth, transactions,
 * outbox, audit) against one PostgreSQL:
 *
 * 1. `service.job.list` (filtered by status and a date range; by client; by assignee) and
 *    `service.invoice.list` (newest; overdue; by client), p50/p99 over HTTP with a bench
 *    organization holding 1k rows, then BIG rows (default 100k; `BENCH_BIG_ROWS=1000000` for 1M)
 *    — each among other organizations' rows — and the ratio big/1k (goal ≤ 1.5×: every filter
 *    has an index ending in the list's order, so a page costs the same at any size).
 * 2. `service.invoice.issue` with 16 concurrent issuers in one organization: issues/s and p99,
 *    against the same 16 issuers spread over 16 organizations in the same run (the baseline: what
 *    the per-organization counter row costs), and a check that the numbers have no gap.
 *
 *   pnpm --filter @tessera/service-business bench
 *   BENCH_BIG_ROWS=1000000 BENCH_DURATION=5 pnpm --filter @tessera/service-business bench
 *
 * Rows are bulk-loaded with INSERT … SELECT generate_series. Uses DATABASE_URL's server when set
 * (it needs CREATEDB), else an embedded one in a temp folder. Prints figures; this is not a test.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import * as Auth from "@tessera/contract-server/Auth"
import * as EmbeddedPostgres from "@tessera/database/EmbeddedPostgres"
import { Effect, Exit, Redacted, Scope } from "effect"
import { SqlClient } from "effect/sql"

const duration = Number(process.env.BENCH_DURATION ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8)
const bigRows = Number(process.env.BENCH_BIG_ROWS ?? 100_000)
const smallRows = 1000
const issuers = 16
const issuesPerRun = Number(process.env.BENCH_ISSUES ?? 1600)
const here = import.meta.dirname

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = Net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

const start = (script: string, env: Record<string, string>, ready: string) =>
  new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
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

const run = <A>(url: string, effect: Effect.Effect<A, unknown, SqlClient.SqlClient>) =>
  Effect.runPromise(
    effect.pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })), Effect.scoped)
  )

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN

interface Figures {
  readonly count: number
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
}

/** `connections` closed loops POSTing `body()` for `seconds`; latencies in ms. */
const load = async (url: string, token: string, body: () => string, seconds: number): Promise<Figures> => {
  const latencies: Array<number> = []
  let errors = 0
  const until = performance.now() + seconds * 1000
  const loop = async () => {
    while (performance.now() < until) {
      const started = performance.now()
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: body()
      })
      await response.arrayBuffer()
      latencies.push(performance.now() - started)
      if (response.status !== 200) errors++
    }
  }
  const began = performance.now()
  await Promise.all(Array.from({ length: connections }, loop))
  const elapsed = (performance.now() - began) / 1000
  latencies.sort((a, b) => a - b)
  return {
    count: latencies.length,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors
  }
}

const measure = async (url: string, token: string, body: () => string) => {
  await load(url, token, body, Math.min(2, duration)) // warm-up: JIT, pools, prepared statements, cache
  return load(url, token, body, duration)
}

/**
 * `rows` jobs (and one invoice each) for `organizationId`, over 20 clients and 10 assignees (so every
 * filter fills a 50-row page at 1k rows too),
 * a minute apart from 2025-01-01, in every status; invoices half past due.
 */
const bulkLoad = (organizationId: string, rows: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      INSERT INTO service.clients (organization_id, id, name, created_by, created_at)
      SELECT ${organizationId}, 'client_' || i, 'Client ' || i, 'bench', now()
      FROM generate_series(0, 19) i`
    yield* sql`
      INSERT INTO service.jobs (organization_id, id, client_id, type, status, scheduled_at, assignee_id,
        started_at, completed_at, cancelled_at, cancellation_reason, created_by, created_at, updated_at)
      SELECT ${organizationId}, 'job_' || i, 'client_' || (i % 20), 'repair',
        (ARRAY['scheduled', 'in_progress', 'completed', 'cancelled'])[i % 4 + 1],
        timestamptz '2025-01-01T00:00:00Z' + i * interval '1 minute',
        'tech_' || (i % 10),
        CASE WHEN i % 4 IN (1, 2) THEN now() END,
        CASE WHEN i % 4 = 2 THEN now() END,
        CASE WHEN i % 4 = 3 THEN now() END,
        CASE WHEN i % 4 = 3 THEN 'bench' END,
        'bench', now(), now()
      FROM generate_series(0, ${rows - 1}) i`
    yield* sql`
      INSERT INTO service.invoices (organization_id, id, number, year, sequence, client_id, job_id, status, currency,
        lines, subtotal_minor, tax_minor, total_minor, paid_minor, issued_at, due_date, paid_at, voided_at, void_reason,
        created_by, updated_at)
      SELECT ${organizationId}, 'invoice_' || i,
        'INV-2025-' || CASE WHEN i + 1 < 10000 THEN lpad((i + 1)::text, 4, '0') ELSE (i + 1)::text END,
        2025, i + 1, 'client_' || (i % 20), 'job_' || i,
        (ARRAY['issued', 'sent', 'paid', 'void'])[i % 4 + 1], 'EUR',
        '[{"description":"Work","quantity":1,"unitPriceMinor":10000,"taxRateBps":2000,"netMinor":10000,"taxMinor":2000,"totalMinor":12000}]'::jsonb,
        10000, 2000, 12000, CASE WHEN i % 4 = 2 THEN 12000 ELSE 0 END,
        timestamptz '2025-01-01T00:00:00Z' + i * interval '1 minute',
        CASE WHEN i % 2 = 0 THEN date '2025-02-01' ELSE date '2999-01-01' END,
        CASE WHEN i % 4 = 2 THEN now() END,
        CASE WHEN i % 4 = 3 THEN now() END,
        CASE WHEN i % 4 = 3 THEN 'bench' END,
        'bench', now()
      FROM generate_series(0, ${rows - 1}) i`
  })

/** `n` completed jobs of one client in `organizationId`, ready to invoice. */
const completedJobs = (organizationId: string, n: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO service.clients (organization_id, id, name, created_by, created_at)
               VALUES (${organizationId}, 'client_issue', 'Issue client', 'bench', now())`
    yield* sql`
      INSERT INTO service.jobs (organization_id, id, client_id, type, status, scheduled_at, completed_at, created_by,
        created_at, updated_at)
      SELECT ${organizationId}, 'job_issue_' || i, 'client_issue', 'repair', 'completed', now(), now(), 'bench', now(), now()
      FROM generate_series(0, ${n - 1}) i`
  })

const analyze = Effect.flatMap(SqlClient.SqlClient, (sql) => sql`ANALYZE`)

const main = async () => {
  const children: Array<ChildProcess> = []
  let stopDatabase: () => Promise<void> = async () => {}
  try {
    let adminUrl = process.env.DATABASE_URL
    if (adminUrl === undefined || adminUrl.trim() === "") {
      const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-service-bench-"))
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
    const databaseName = `bench_service_${Date.now().toString(36)}`
    await run(
      adminUrl,
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE DATABASE ${sql(databaseName)}`)
    )
    const url = new URL(adminUrl)
    url.pathname = `/${databaseName}`
    const databaseUrl = url.toString()

    // The app migrates its schema (and the dispatcher's, the kit's) on start.
    const port = await freePort()
    children.push(
      await start(
        Path.join(here, "..", "src", "main.ts"),
        { DATABASE_URL: databaseUrl, PORT: String(port) },
        "is up at"
      )
    )
    const base = `http://127.0.0.1:${port}`
    const tokenOf = (organizationId: string) =>
      Effect.runPromise(Auth.mintDevToken({ userId: "bench", organizationId, roles: [] }))

    process.stdout.write(
      `service-business bench: ${connections} connections, ${duration} s per measurement, 1k vs ${bigRows} rows, node ${process.version}\n`
    )

    // Others first, so the bench organizations' rows sit among theirs.
    const others = Math.max(smallRows, Math.floor(bigRows / 4))
    const loadStarted = performance.now()
    await run(databaseUrl, bulkLoad("org_other_a", Math.floor(others / 2)))
    await run(databaseUrl, bulkLoad("org_small", smallRows))
    await run(databaseUrl, bulkLoad("org_big", bigRows))
    await run(databaseUrl, bulkLoad("org_other_b", others - Math.floor(others / 2)))
    await run(databaseUrl, analyze)
    process.stdout.write(
      `loaded ${smallRows} + ${bigRows} + ${others} (others) jobs and invoices in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s\n\n`
    )

    const queries: ReadonlyArray<readonly [string, string, (rows: number) => unknown]> = [
      [
        "service.job.list   status+range",
        "/service/job/list",
        (rows) => {
          // A one-week window in the middle of the organization's dates.
          const middle = Date.parse("2025-01-01T00:00:00Z") + Math.floor(rows / 2) * 60_000
          return {
            status: "scheduled",
            from: new Date(middle).toISOString(),
            to: new Date(middle + 7 * 86_400_000).toISOString(),
            limit: 50
          }
        }
      ],
      ["service.job.list   client", "/service/job/list", () => ({ clientId: "client_7", limit: 50 })],
      ["service.job.list   assignee", "/service/job/list", () => ({ assigneeId: "tech_7", limit: 50 })],
      ["service.invoice.list newest", "/service/invoice/list", () => ({ limit: 50 })],
      ["service.invoice.list overdue", "/service/invoice/list", () => ({ status: "overdue", limit: 50 })],
      ["service.invoice.list client", "/service/invoice/list", () => ({ clientId: "client_7", limit: 50 })]
    ]
    const smallToken = await tokenOf("org_small")
    const bigToken = await tokenOf("org_big")
    const row = (label: string, f: Figures) =>
      `${label.padEnd(40)} ${f.rps.toFixed(0).padStart(6)} req/s   p50 ${f.p50.toFixed(1).padStart(6)} ms   p99 ${f.p99.toFixed(1).padStart(6)} ms   errors ${f.errors}`
    for (const [label, path, input] of queries) {
      const small = await measure(`${base}${path}`, smallToken, () => JSON.stringify(input(smallRows)))
      const big = await measure(`${base}${path}`, bigToken, () => JSON.stringify(input(bigRows)))
      process.stdout.write(`${row(`${label} @1k`, small)}\n${row(`${label} @${bigRows}`, big)}\n`)
      process.stdout.write(
        `  ratio ${bigRows}/1k: p50 ${(big.p50 / small.p50).toFixed(2)}x, p99 ${(big.p99 / small.p99).toFixed(2)}x (goal <= 1.5x)\n`
      )
    }

    // Invoice issuing: 16 issuers in one organization vs spread over 16 organizations.
    const orgs16 = Array.from({ length: issuers }, (_, i) => `org_issue_spread_${i}`)
    await run(databaseUrl, completedJobs("org_issue_one", issuesPerRun))
    for (const org of orgs16) await run(databaseUrl, completedJobs(org, Math.ceil(issuesPerRun / issuers)))
    const issueRun = async (jobsOf: (issuer: number) => ReadonlyArray<readonly [string, string]>) => {
      const tokens = new Map<string, string>()
      const latencies: Array<number> = []
      let errors = 0
      const began = performance.now()
      await Promise.all(
        Array.from({ length: issuers }, async (_, issuer) => {
          for (const [org, jobId] of jobsOf(issuer)) {
            const token = tokens.get(org) ?? (await tokenOf(org))
            tokens.set(org, token)
            const started = performance.now()
            const response = await fetch(`${base}/service/invoice/issue`, {
              method: "POST",
              headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
              body: JSON.stringify({
                jobId,
                currency: "EUR",
                lines: [{ description: "Work", quantity: 1, unitPriceMinor: 10_000, taxRateBps: 2000 }]
              })
            })
            await response.arrayBuffer()
            latencies.push(performance.now() - started)
            if (response.status !== 200) errors++
          }
        })
      )
      const elapsed = (performance.now() - began) / 1000
      latencies.sort((a, b) => a - b)
      return {
        count: latencies.length,
        rps: latencies.length / elapsed,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        errors
      }
    }
    const perIssuer = Math.floor(issuesPerRun / issuers)
    const one = await issueRun((issuer) =>
      Array.from({ length: perIssuer }, (_, k) => ["org_issue_one", `job_issue_${issuer * perIssuer + k}`] as const)
    )
    const spread = await issueRun((issuer) =>
      Array.from({ length: perIssuer }, (_, k) => [orgs16[issuer] ?? "", `job_issue_${k}`] as const)
    )
    const numbering = await run(
      databaseUrl,
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{ n: number; max: number; distinct: number }>`
          SELECT count(*)::int AS n, max(sequence)::int AS max, count(DISTINCT sequence)::int AS distinct
          FROM service.invoices WHERE organization_id = 'org_issue_one'`
      )
    )
    const issueRow = (label: string, f: Figures) =>
      `${label.padEnd(40)} ${f.rps.toFixed(0).padStart(6)} issues/s   p50 ${f.p50.toFixed(1).padStart(6)} ms   p99 ${f.p99.toFixed(1).padStart(6)} ms   errors ${f.errors}   (${f.count} issues)`
    process.stdout.write(
      `\n${issueRow("service.invoice.issue 16 issuers, 1 org", one)}\n${issueRow("service.invoice.issue 16 issuers, 16 orgs", spread)}\n`
    )
    process.stdout.write(
      `  one org / 16 orgs = ${(one.rps / spread.rps).toFixed(2)}x issues/s; numbers in the one org: ${numbering[0]?.n} issued, highest ${numbering[0]?.max}, distinct ${numbering[0]?.distinct} (gap-free when all three agree)\n`
    )
  } finally {
    for (const child of children) child.kill("SIGTERM")
    await new Promise((resolve) => setTimeout(resolve, 500))
    await stopDatabase()
  }
}

await main()
