/**
 * CSV and NDJSON files, read and written streamed: a page is read from its byte position with an
 * effect `Stream` over the file, split into lines by byte offsets and cut after `size` records,
 * so memory holds one page whatever the file's size. A malformed line (bad JSON, unbalanced
 * quotes, a wrong number of fields) fails alone; the run goes on.
 *
 * Positions are `<byte offset>:<line number>`. Writes append one page at a time; the target's
 * state is the file's length after the page, and a page first cuts the file back to the length
 * checkpointed by the last committed page, so a page a crashed process half-wrote is not doubled.
 */
import * as Fs from "node:fs"
import * as FsPromises from "node:fs/promises"
import { NodeStream } from "@effect/platform-node"
import type { CsvConfig, NdjsonConfig } from "@tessera/contracts/integration-hub/Connections"
import { Effect, Result, Schema, Stream } from "effect"
import { externalIdOf, type SourceRecord } from "../../domain/Mapping.ts"
import { type Health, type Item, type Page, RemoteError, type Source, type Target } from "./Connector.ts"

type FileConfig = typeof CsvConfig.Type | typeof NdjsonConfig.Type

interface Line {
  readonly text: string
  /** Byte offset just after the line (and its newline). */
  readonly end: number
}

const NEWLINE = 0x0a

/** The file's lines from byte `start`, with the offset after each: one chunk and one partial line in memory. */
export const lines = (path: string, start: number): Stream.Stream<Line, RemoteError> =>
  NodeStream.fromReadable<Uint8Array, RemoteError>({
    evaluate: () => Fs.createReadStream(path, { start, highWaterMark: 256 * 1024 }),
    onError: (error) =>
      new RemoteError({
        message:
          typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT"
            ? "the file does not exist"
            : "the file could not be read",
        retryable: false
      })
  }).pipe(
    Stream.mapAccum(
      () => ({ rest: Buffer.alloc(0), offset: start }),
      (state, chunk: Uint8Array) => {
        const buffer = state.rest.length === 0 ? Buffer.from(chunk) : Buffer.concat([state.rest, chunk])
        const out: Array<Line> = []
        let from = 0
        for (let i = buffer.indexOf(NEWLINE); i !== -1; i = buffer.indexOf(NEWLINE, from)) {
          const end = i > from && buffer[i - 1] === 0x0d ? i - 1 : i
          out.push({ text: buffer.toString("utf8", from, end), end: state.offset + i + 1 })
          from = i + 1
        }
        return [{ rest: buffer.subarray(from), offset: state.offset + from }, out] as const
      },
      {
        onHalt: (state) =>
          state.rest.length === 0 ? [] : [{ text: state.rest.toString("utf8"), end: state.offset + state.rest.length }]
      }
    )
  )

const parsePosition = (position: string | null): { readonly byte: number; readonly line: number } => {
  const [byte, line] = (position ?? "").split(":")
  return { byte: Number(byte ?? 0) || 0, line: Number(line ?? 0) || 0 }
}

const parseJson = (text: string): Result.Result<unknown, unknown> => Result.try(() => JSON.parse(text))

const FileState = Schema.fromJsonString(Schema.Struct({ bytes: Schema.Int, columns: Schema.Array(Schema.String) }))
const decodeState = Schema.decodeUnknownEffect(FileState)

const isObject = (value: unknown): value is SourceRecord =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** One CSV line's fields (RFC 4180 quoting, on one line), or undefined when its quotes do not balance. */
export const parseCsvLine = (line: string, delimiter: string): ReadonlyArray<string> | undefined => {
  const fields: Array<string> = []
  let field = ""
  let i = 0
  let quoted = false
  let startOfField = true
  while (i < line.length) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"'
        i += 2
        continue
      }
      if (c === '"') {
        quoted = false
        i++
        if (i < line.length && line[i] !== delimiter) return undefined
        continue
      }
      field += c
      i++
      continue
    }
    if (c === '"' && startOfField) {
      quoted = true
      startOfField = false
      i++
      continue
    }
    if (c === '"') return undefined
    if (c === delimiter) {
      fields.push(field)
      field = ""
      startOfField = true
      i++
      continue
    }
    field += c
    startOfField = false
    i++
  }
  if (quoted) return undefined
  fields.push(field)
  return fields
}

const csvField = (value: unknown, delimiter: string): string => {
  const text = value === null || value === undefined ? "" : String(value)
  return text.includes(delimiter) || text.includes('"') || text.includes("\n") || text.includes("\r")
    ? `"${text.replaceAll('"', '""')}"`
    : text
}

const fsError = (what: string) => (error: unknown) =>
  new RemoteError({
    message: `${what}: ${typeof error === "object" && error !== null && "code" in error ? String(error.code) : "failed"}`,
    retryable: false
  })

const sizeOf = (path: string) =>
  Effect.tryPromise({
    try: () => FsPromises.stat(path).then((stat) => stat.size),
    catch: (error) => error
  }).pipe(
    Effect.catch((error) =>
      typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT"
        ? Effect.succeed(0)
        : Effect.fail(fsError("the file could not be read")(error))
    )
  )

export const make = (config: FileConfig, path: string) => {
  const idField = config.idField ?? "id"
  const delimiter = config.kind === "csv" ? (config.delimiter ?? ",") : ","

  const header = Effect.map(Stream.runHead(lines(path, 0)), (first) =>
    first._tag === "Some" ? (parseCsvLine(first.value.text, delimiter) ?? []) : []
  )

  const source: Source = {
    readPage: (position, size) =>
      Effect.gen(function* () {
        const columns = config.kind === "csv" ? yield* header : []
        let { byte, line } = parsePosition(position)
        const fromStart = position === null
        const taken = yield* lines(path, byte).pipe(
          // The CSV header is not a record.
          Stream.drop(config.kind === "csv" && fromStart ? 1 : 0),
          Stream.take(size),
          Stream.runCollect
        )
        if (config.kind === "csv" && fromStart) line = 1
        const items: Array<Item> = []
        for (const entry of taken) {
          line++
          byte = entry.end
          if (entry.text.trim() === "") continue
          if (config.kind === "ndjson") {
            const parsed = parseJson(entry.text)
            items.push(
              parsed._tag === "Success" && isObject(parsed.success)
                ? { _tag: "Record", record: parsed.success }
                : { _tag: "Malformed", message: `line ${line}: not a JSON object` }
            )
          } else {
            const fields = parseCsvLine(entry.text, delimiter)
            if (fields === undefined) items.push({ _tag: "Malformed", message: `line ${line}: unbalanced quotes` })
            else if (fields.length !== columns.length)
              items.push({
                _tag: "Malformed",
                message: `line ${line}: ${fields.length} fields where the header has ${columns.length}`
              })
            else items.push({ _tag: "Record", record: Object.fromEntries(columns.map((c, i) => [c, fields[i]])) })
          }
        }
        return { items, next: taken.length < size ? null : `${byte}:${line}` } satisfies Page
      })
  }

  const target: Target = {
    write: (records, state) =>
      Effect.gen(function* () {
        const saved =
          state === null
            ? undefined
            : yield* decodeState(state).pipe(
                Effect.mapError(
                  () => new RemoteError({ message: "the checkpointed file state is invalid", retryable: false })
                )
              )
        const current = yield* sizeOf(path)
        const bytes = saved?.bytes ?? current
        if (current > bytes) {
          yield* Effect.tryPromise({ try: () => FsPromises.truncate(path, bytes), catch: fsError("truncate") })
        }
        let columns = saved?.columns ?? []
        let text = ""
        if (config.kind === "ndjson") {
          for (const record of records)
            text += `${JSON.stringify({ [idField]: record.externalId, ...record.fields })}\n`
        } else {
          if (columns.length === 0 && records[0] !== undefined) {
            columns = [idField, ...Object.keys(records[0].fields).filter((key) => key !== idField)]
            if (bytes === 0) text += `${columns.map((c) => csvField(c, delimiter)).join(delimiter)}\n`
          }
          for (const record of records) {
            const row: Record<string, unknown> = { ...record.fields, [idField]: record.externalId }
            text += `${columns.map((c) => csvField(row[c], delimiter)).join(delimiter)}\n`
          }
        }
        if (text !== "") {
          yield* Effect.tryPromise({ try: () => FsPromises.appendFile(path, text), catch: fsError("append") })
        }
        return { failures: [], state: JSON.stringify({ bytes: bytes + Buffer.byteLength(text), columns }) }
      })
  }

  const health: Effect.Effect<Health> = sizeOf(path).pipe(
    Effect.map((size) => ({
      ok: true,
      message: size === 0 ? "the file is empty or does not exist yet" : `the file holds ${size} bytes`
    })),
    Effect.catch((error) => Effect.succeed({ ok: false, message: error.message }))
  )

  return { source, target, health, idOf: (record: SourceRecord) => externalIdOf(record, idField) }
}
