/**
 * Integration hub benchmark: an NDJSON file of N records → a local HTTP target through a mapping of
 * six fields, run by the real hub process (`src/main.ts`: HTTP trigger, the dispatcher's workers,
 * one page per handled event, checksums and checkpoints in Postgres), for each size; then the same
 * file again with nothing changed (every record skipped by its checksum). In the same run, the
 * baseline: a plain Node stream pipeline doing the same parse-map-POST (`Baseline.ts`).
 *
 *   pnpm --filter @tessera/integration-hub bench
 *   BENCH_SIZES=100000,1000000 BENCH_PAGE_SIZE=2000 pnpm --filter @tessera/integration-hub bench
 *
 * Each size runs in a fresh hub process, so its peak RSS (VmHWM) is that run's. Uses DATABASE_URL's
 * server when set (it needs CREATEDB), else an embedded one in a temp folder. Prints records/s, peak
 * RSS and the ratios; this is a benchmark, not a test.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { PgClient } from "@effect/sql-pg"
import * as Auth from "@tessera/contract-server/Auth"
import * as EmbeddedPostgres from "@tessera/database/EmbeddedPostgres"
import { Effect, Exit, Redacted, Scope } from "effect"

const sizes = (process.env.BENCH_SIZES ?? "100000,1000000").split(",").map((s) => Number(s.trim()))
const pageSize = Number(process.env.BENCH_PAGE_SIZE ?? 2000)
const here = import.meta.dirname
const SECRET = "integration-bench-secret-0123456789-abcdef"

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = Net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

const start = (script: string, args: Array<string>, env: Record<string, string>, ready: string) =>
  new Promise<{ child: ChildProcess; output: () => string }>((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      if (ready !== "" && output.includes(ready)) resolve({ child, output: () => output })
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("exit", (code) =>
      ready === ""
        ? resolve({ child, output: () => output })
        : reject(new Error(`${script} exited with ${code}:\n${output}`))
    )
  })

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

/** Peak resident set size of a running process (VmHWM), in bytes. */
const peakRss = (pid: number) => {
  const status = Fs.readFileSync(`/proc/${pid}/status`, "utf8")
  const match = /VmHWM:\s+(\d+) kB/.exec(status)
  return Number(match?.[1] ?? 0) * 1024
}

const countries = ["GB", "FR", "DE", "US"]
const cities = ["london", "paris", "berlin", "boston"]

/** Writes N records, streamed (the file never sits in memory). */
const writeFile = async (path: string, n: number) => {
  const out = Fs.createWriteStream(path)
  let chunk = ""
  for (let i = 0; i < n; i++) {
    chunk += `${JSON.stringify({
      id: `rec-${i}`,
      first: `First${i}`,
      last: `Last${i}`,
      email: ` Person${i}@Example.COM `,
      phone: `+44 20 7946 ${String(i % 10000).padStart(4, "0")}`,
      city: cities[i % 4],
      country: countries[i % 4],
      age: String(20 + (i % 60)),
      note: "ignored by the mapping"
    })}\n`
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()))
      chunk = ""
    }
  }
  out.end(chunk)
  await new Promise<void>((resolve) => out.once("finish", () => resolve()))
}

/** The HTTP target: accepts batches, counts records (nothing stored). */
const startTarget = async () => {
  const state = { records: 0 }
  const server = Http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const records: Array<unknown> = JSON.parse(Buffer.concat(chunks).toString("utf8"))
      state.records += records.length
      response.writeHead(200, { "content-type": "application/json" })
      response.end('{"ok":true}')
    })
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()))
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const createDatabase = async (adminUrl: string, name: string) => {
  await Effect.runPromise(
    Effect.flatMap(PgClient.PgClient, (sql) => sql`CREATE DATABASE ${sql(name)}`).pipe(
      Effect.provide(PgClient.layer({ url: Redacted.make(adminUrl), maxConnections: 1 })),
      Effect.scoped
    )
  )
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

const token = await Effect.runPromise(
  Auth.make(Redacted.make(SECRET), "test").mint({ userId: "bench", organizationId: "org_bench", roles: [] })
)

const call = async (baseUrl: string, path: string, body: unknown) => {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body)
  })
  const json = await response.json()
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(json)}`)
  return json as Record<string, unknown>
}

const idOf = (value: Record<string, unknown>) => String(value.id)

/** Triggers a run and waits for it: records/s from the trigger to the observed end. */
const runOnce = async (baseUrl: string, syncConfigId: string, records: number) => {
  const started = performance.now()
  const run = await call(baseUrl, "/integration/sync/trigger", { syncConfigId })
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    const current = await call(baseUrl, "/integration/syncRun/get", { runId: idOf(run) })
    if (current.status !== "queued" && current.status !== "running") {
      const seconds = (performance.now() - started) / 1000
      if (current.status !== "succeeded") throw new Error(`run ended ${JSON.stringify(current)}`)
      return { seconds, rate: records / seconds, run: current }
    }
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`
const rate = (n: number) => `${Math.round(n).toLocaleString("en-US")} records/s`

const main = async () => {
  const children: Array<ChildProcess> = []
  let stopDatabase: () => Promise<void> = async () => {}
  const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "tessera-integration-bench-"))
  Fs.chmodSync(root, 0o755)
  const files = Path.join(root, "files")
  Fs.mkdirSync(files)
  const target = await startTarget()
  try {
    let adminUrl = process.env.DATABASE_URL
    if (adminUrl === undefined || adminUrl.trim() === "") {
      const scope = Effect.runSync(Scope.make())
      const server = await Effect.runPromise(
        EmbeddedPostgres.start({ dataDir: Path.join(root, "data"), port: 0, relocateBinaries: true }).pipe(
          Scope.provide(scope)
        )
      )
      adminUrl = Redacted.value(server.url("postgres"))
      stopDatabase = async () => {
        await Effect.runPromise(Scope.close(scope, Exit.void))
      }
    }
    console.log(
      `integration hub bench: sizes ${sizes.join(", ")}, pages of ${pageSize}, node ${process.version}, ${Os.cpus().length} cores`
    )
    const results: Array<{ size: number; hub: number; hubRss: number; rerun: number; base: number; baseRss: number }> =
      []
    for (const size of sizes) {
      const file = `bench-${size}.ndjson`
      await writeFile(Path.join(files, file), size)
      const fileBytes = Fs.statSync(Path.join(files, file)).size

      // Baseline first (a process of its own).
      const baseline = await start(
        Path.join(here, "Baseline.ts"),
        [Path.join(files, file), `${target.url}/records`, String(pageSize)],
        {},
        ""
      )
      const base = JSON.parse(baseline.output().trim().split("\n").at(-1) ?? "{}") as {
        records: number
        seconds: number
        peakRss: number
      }

      const databaseUrl = await createDatabase(adminUrl, `bench_${size}_${Date.now().toString(36)}`)
      const port = await freePort()
      const hub = await start(
        Path.join(here, "..", "src", "main.ts"),
        [],
        {
          DATABASE_URL: databaseUrl,
          PORT: String(port),
          TESSERA_AUTH_SECRET: SECRET,
          TESSERA_ENV: "test",
          TESSERA_INTEGRATION_FILES: files,
          TESSERA_HTTP_LOG: "false"
        },
        "is up at"
      )
      children.push(hub.child)
      const baseUrl = `http://127.0.0.1:${port}`
      const source = await call(baseUrl, "/integration/connection/create", {
        name: "file",
        config: { kind: "ndjson", path: file }
      })
      const http = await call(baseUrl, "/integration/connection/create", {
        name: "target",
        config: { kind: "rest", baseUrl: target.url, write: { path: "/records", mode: "batch" } },
        credentials: { type: "bearer", token: "bench-token" }
      })
      const config = await call(baseUrl, "/integration/syncConfig/create", {
        name: "bench",
        sourceConnectionId: idOf(source),
        targetConnectionId: idOf(http),
        pageSize
      })
      const mappings: Array<[string, unknown]> = [
        ["name", { type: "template", template: "{first} {last}" }],
        ["email", { type: "direct", sourceField: "email", transforms: [{ op: "trim" }, { op: "lower" }] }],
        ["phone", { type: "direct", sourceField: "phone" }],
        ["city", { type: "direct", sourceField: "city", transforms: [{ op: "upper" }] }],
        ["age", { type: "direct", sourceField: "age", transforms: [{ op: "number" }] }],
        [
          "country",
          {
            type: "lookup",
            sourceField: "country",
            table: { GB: "United Kingdom", FR: "France", DE: "Germany", US: "United States" },
            fallback: null
          }
        ]
      ]
      for (const [targetField, rule] of mappings) {
        await call(baseUrl, "/integration/fieldMapping/add", { syncConfigId: idOf(config), targetField, rule })
      }
      const before = target.state.records
      const first = await runOnce(baseUrl, idOf(config), size)
      const sent = target.state.records - before
      if (sent !== size || first.run.created !== size)
        throw new Error(`the run sent ${sent} and created ${String(first.run.created)} of ${size}`)
      const hubRss = peakRss(hub.child.pid ?? 0)
      const again = await runOnce(baseUrl, idOf(config), size)
      if (again.run.skipped !== size) throw new Error(`the re-run skipped ${String(again.run.skipped)} of ${size}`)
      await stop(hub.child)
      if (process.env.BENCH_DEBUG !== undefined) Fs.writeFileSync(process.env.BENCH_DEBUG, hub.output())

      console.log(`\n${size.toLocaleString("en-US")} records (${mb(fileBytes)} of NDJSON):`)
      console.log(
        `  hub run        ${rate(first.rate)} (${first.seconds.toFixed(1)} s, ${String(first.run.currentPage)} pages), peak RSS ${mb(hubRss)}`
      )
      console.log(
        `  baseline       ${rate(base.records / base.seconds)} (${base.seconds.toFixed(1)} s), peak RSS ${mb(base.peakRss)}`
      )
      console.log(
        `  hub/baseline   ${(first.rate / (base.records / base.seconds)).toFixed(2)}× throughput (goal ≥ 0.7×)`
      )
      console.log(
        `  re-run         ${rate(again.rate)} (${again.seconds.toFixed(1)} s), all ${size.toLocaleString("en-US")} skipped by checksum`
      )
      results.push({
        size,
        hub: first.rate,
        hubRss,
        rerun: again.rate,
        base: base.records / base.seconds,
        baseRss: base.peakRss
      })
      Fs.rmSync(Path.join(files, file))
    }
    const smallest = results[0]
    const largest = results.at(-1)
    if (smallest !== undefined && largest !== undefined && largest !== smallest) {
      console.log(
        `\npeak RSS ${largest.size.toLocaleString("en-US")} / ${smallest.size.toLocaleString("en-US")}: ${(largest.hubRss / smallest.hubRss).toFixed(2)}× (goal ≤ 1.5×); baseline ${(largest.baseRss / smallest.baseRss).toFixed(2)}×`
      )
    }
  } finally {
    for (const child of children) await stop(child)
    await target.close()
    await stopDatabase()
    Fs.rmSync(root, { recursive: true, force: true })
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
