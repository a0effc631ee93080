/**
 * Whole-catalog checks, run when a `ContractServer` boots and in each catalog's test: unique
 * `key@version` (and HTTP route), keys in the serving domain, errors with an HTTP status and unique
 * codes, emitted events produced by this domain (and registered, when a registry is given),
 * examples that decode against their schemas. A broken catalog refuses to start, naming the
 * contract and the problem.
 */
import * as Registry from "@tessera/envelope/Registry"
import { Data, Effect, Exit, Option, Schema, SchemaAST } from "effect"
import { type AnyContract, type AnyEvent, domainOf, idOf } from "./Contract.ts"
import { edgeErrors, kitErrors } from "./ContractError.ts"
import * as ContractSnapshot from "./ContractSnapshot.ts"
import { jsonCodec } from "./internal/Codec.ts"
import { errorInfo } from "./internal/ErrorInfo.ts"
import * as Issues from "./internal/Issues.ts"

export interface CatalogProblem {
  /** `key@version` of the contract at fault. */
  readonly contract: string
  readonly problem: string
}

export class CatalogError extends Data.TaggedError("CatalogError")<{
  readonly problems: ReadonlyArray<CatalogProblem>
}> {
  override get message(): string {
    return `Invalid contract catalog:\n${this.problems.map((p) => `  - ${p.contract}: ${p.problem}`).join("\n")}`
  }
}

export interface ValidateOptions {
  /** The domain serving the catalog: every key must start with it. */
  readonly domain?: string | undefined
  /** Known event definitions: when given, every emitted event must be one of them. */
  readonly events?: ReadonlyArray<AnyEvent> | undefined
  /** The event registry: when given, every emitted event must be registered, by this domain, not retired. */
  readonly registry?: Registry.Registry | undefined
}

const KEY = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/

const eventId = (event: Pick<AnyEvent, "type" | "version">) => `${event.type}@${event.version}`

const kitTags = new Set([...kitErrors, ...edgeErrors].map((error) => errorInfo(error).tag))

const decodes = (schema: Schema.Top, value: unknown): string | undefined => {
  const exit = Schema.decodeUnknownExit(jsonCodec(schema), { onExcessProperty: "error", errors: "all" })(value)
  return Exit.isSuccess(exit)
    ? undefined
    : exit.cause.reasons
        .map((reason) =>
          reason._tag === "Fail" && Schema.isSchemaError(reason.error)
            ? Issues.describe(reason.error.issue)
            : String(reason)
        )
        .join("; ")
}

const SCALARS = new Set(["string", "number", "boolean", "bigint", "enum", "null", "template"])

/** A scalar, an array of scalars, or a union of those: what a query string can carry. */
const isQueryParameter = (shape: ContractSnapshot.Shape): boolean =>
  SCALARS.has(shape.type) ||
  (shape.type === "array" && SCALARS.has(shape.items.type)) ||
  (shape.type === "union" && shape.members.every(isQueryParameter))

const contractProblems = (contract: AnyContract, options: ValidateOptions): ReadonlyArray<string> => {
  const problems: Array<string> = []
  if (!KEY.test(contract.key)) {
    problems.push(`key must be dotted lowerCamel segments with a domain first (e.g. crm.deal.lose)`)
  }
  if (!SEMVER.test(contract.version)) problems.push(`version ${contract.version} is not semver (x.y.z)`)
  if (options.domain !== undefined && domainOf(contract) !== options.domain) {
    problems.push(`key is outside the ${options.domain} domain served here`)
  }
  if (SchemaAST.toEncoded(contract.input.ast)._tag !== "Objects") {
    problems.push("input must be a Schema.Struct (an object with named fields)")
  }

  const tags = new Set<string>()
  const codes = new Set<string>()
  for (const error of contract.errors) {
    const info = errorInfo(error)
    if (info.status === undefined || info.status < 400 || info.status > 599) {
      problems.push(`error ${info.tag} needs an httpApiStatus between 400 and 599`)
    }
    if (kitTags.has(info.tag)) problems.push(`error ${info.tag} reuses the name of a kit error`)
    if (tags.has(info.tag)) problems.push(`error ${info.tag} is declared twice`)
    if (codes.has(info.code)) problems.push(`error code ${info.code} is declared twice`)
    tags.add(info.tag)
    codes.add(info.code)
  }

  const registered = options.events === undefined ? undefined : new Set(options.events.map(eventId))
  const emitted = new Set<string>()
  for (const { event } of contract.emits) {
    const id = eventId(event)
    if (event._tag !== "EventDefinition") problems.push(`emits ${id}, which is not an event definition`)
    if (emitted.has(id)) problems.push(`emits ${id} twice`)
    emitted.add(id)
    if (event.producer !== domainOf(contract)) {
      problems.push(`emits ${id}, produced by ${event.producer}, not by ${domainOf(contract)}`)
    }
    if (registered !== undefined && !registered.has(id))
      problems.push(`emits ${id}, which is not in the event registry`)
    if (options.registry !== undefined) {
      const entry = Registry.findEntry(options.registry, event.type)
      const version = Registry.findVersion(options.registry, event.type, event.version)
      if (Option.isNone(version)) {
        problems.push(`emits ${id}, which is not registered in the event registry`)
      } else if (version.value.status === "retired") {
        problems.push(`emits ${id}, which is retired in the event registry`)
      }
      if (Option.isSome(entry) && entry.value.producer !== domainOf(contract)) {
        problems.push(`emits ${id}, registered with ${entry.value.producer} as producer, not ${domainOf(contract)}`)
      }
    }
  }
  if (contract.emits.length > 0 && contract.policy.auth === "anonymous") {
    problems.push("an anonymous contract cannot emit events (events need an organization and an actor)")
  }
  if (contract.kind === "query" && contract.idempotent) problems.push("only commands can be idempotent")
  if (contract.http.method === "GET" && contract.kind === "command") {
    problems.push("a command cannot be served with GET (GET must be safe to repeat)")
  }
  if (contract.http.method === "GET") {
    const input = ContractSnapshot.shape(contract.input)
    const flat = input.type === "struct" ? Object.entries(input.properties) : []
    for (const [name, property] of flat) {
      if (!isQueryParameter(property.shape)) {
        problems.push(`input field ${name} cannot travel as a query parameter (GET): use scalars or arrays of scalars`)
      }
    }
  }

  const scenarioKeys = new Set<string>()
  for (const scenario of contract.acceptance.scenarios) {
    if (scenarioKeys.has(scenario.key)) problems.push(`scenario ${scenario.key} is declared twice`)
    scenarioKeys.add(scenario.key)
  }
  const exampleKeys = new Set<string>()
  for (const example of contract.acceptance.examples) {
    if (exampleKeys.has(example.key)) problems.push(`example ${example.key} is declared twice`)
    exampleKeys.add(example.key)
    const input = decodes(contract.input, example.input)
    if (input !== undefined) problems.push(`example ${example.key}: input does not decode: ${input}`)
    const output = decodes(contract.output, example.output)
    if (output !== undefined) problems.push(`example ${example.key}: output does not decode: ${output}`)
  }
  return problems
}

/** Every problem of the catalog (empty when it is sound). */
export const problems = (
  contracts: ReadonlyArray<AnyContract>,
  options: ValidateOptions = {}
): ReadonlyArray<CatalogProblem> => {
  const found: Array<CatalogProblem> = []
  const ids = new Set<string>()
  const routes = new Map<string, string>()
  for (const contract of contracts) {
    const id = idOf(contract)
    if (ids.has(id)) found.push({ contract: id, problem: "key@version is declared twice" })
    ids.add(id)
    const route = `${contract.http.method} ${contract.http.path}`
    const taken = routes.get(route)
    if (taken !== undefined && taken !== id)
      found.push({ contract: id, problem: `route ${route} is taken by ${taken}` })
    routes.set(route, id)
    for (const problem of contractProblems(contract, options)) found.push({ contract: id, problem })
  }
  return found
}

/** Fails with every problem at once, or succeeds. */
export const validate = (contracts: ReadonlyArray<AnyContract>, options: ValidateOptions = {}) =>
  Effect.suspend(() => {
    const found = problems(contracts, options)
    return found.length === 0 ? Effect.void : Effect.fail(new CatalogError({ problems: found }))
  })
