/**
 * The baseline of the integration hub's benchmark: a plain Node stream pipeline doing the same
 * work as a run — read the NDJSON file line by line, parse, map the same six fields, POST pages of
 * the same size to the same target — with no database, no checkpoints and no change detection.
 *
 *   node bench/Baseline.ts <file> <target url> <page size>
 *
 * Prints one JSON line: records, seconds, peak RSS (bytes).
 */
import * as Fs from "node:fs"
import * as Readline from "node:readline"

const [file, target, pageSizeArg] = process.argv.slice(2)
if (file === undefined || target === undefined) throw new Error("usage: Baseline.ts <file> <target url> <page size>")
const pageSize = Number(pageSizeArg ?? 1000)

const countries: Record<string, string> = { GB: "United Kingdom", FR: "France", DE: "Germany", US: "United States" }

const map = (record: Record<string, unknown>) => ({
  id: String(record.id),
  name: `${String(record.first ?? "")} ${String(record.last ?? "")}`,
  email: String(record.email ?? "")
    .trim()
    .toLowerCase(),
  phone: record.phone ?? null,
  city: String(record.city ?? "").toUpperCase(),
  age: Number(record.age),
  country: countries[String(record.country)] ?? null
})

const started = performance.now()
let count = 0
let page: Array<unknown> = []
const post = async (records: Array<unknown>) => {
  const response = await fetch(target, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(records)
  })
  if (!response.ok) throw new Error(`POST answered ${response.status}`)
  await response.arrayBuffer()
}
for await (const line of Readline.createInterface({ input: Fs.createReadStream(file), crlfDelay: Infinity })) {
  if (line.trim() === "") continue
  page.push(map(JSON.parse(line)))
  count++
  if (page.length === pageSize) {
    await post(page)
    page = []
  }
}
if (page.length > 0) await post(page)
const seconds = (performance.now() - started) / 1000
console.log(JSON.stringify({ records: count, seconds, peakRss: process.resourceUsage().maxRSS * 1024 }))
