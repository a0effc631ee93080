/**
 * The HTTP surface of a catalog, as an Effect `HttpApi` (one group per domain, one endpoint per
 * contract, `operationId` = contract key). Servers implement it (`ContractServer`); clients derive
 * from it (`ContractClient`). Client-safe: no server, database or JWT code.
 */
import { Schema, SchemaAST, SchemaTransformation } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import type { AnyContract, Contract, ErrorSchema } from "./Contract.ts"
import { type KitError, type kitErrors, kitErrorsOf } from "./ContractError.ts"
import { errorInfo } from "./internal/ErrorInfo.ts"

/** The header carrying an idempotency key (sent lower-case by the derived client). */
export const IDEMPOTENCY_HEADER = "idempotency-key"

/** The longest `Idempotency-Key` the server accepts (a longer one answers 400). */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255

/**
 * The `Idempotency-Key` header every command takes. Deliberately unchecked here: the server checks
 * it (1 to 255 visible ASCII characters) and answers a bad one with a problem+json 400, which a
 * header schema check would answer with an empty body.
 */
export const IdempotencyHeaders = Schema.Struct({
  [IDEMPOTENCY_HEADER]: Schema.optional(Schema.String)
})

type KitErrorSchema = (typeof kitErrors)[number]

/**
 * The typed client sends `Idempotency-Key` on contracts declared `idempotent` (its headers are then
 * part of the call's arguments). The server accepts the header on every command, and OpenAPI
 * documents it on every command.
 */
type HeadersOf<C extends AnyContract> = C["idempotent"] extends true
  ? Schema.toCodecStringTree<typeof IdempotencyHeaders>
  : never

/** The endpoint a contract becomes. Mirrors what `HttpApiEndpoint.make` infers for it. */
export type EndpointOf<C extends AnyContract> = C extends Contract
  ? HttpApiEndpoint.HttpApiEndpoint<
      C["key"],
      C["http"]["method"],
      C["http"]["path"],
      never,
      never,
      C["http"]["method"] extends "GET" ? Schema.toCodecStringTree<C["input"]> : Schema.toCodecJson<C["input"]>,
      HeadersOf<C>,
      Schema.toCodecJson<C["output"]>,
      Schema.toCodecJson<C["errors"][number] | KitErrorSchema>
    >
  : never

export type ContractGroup<Domain extends string, C extends AnyContract> = HttpApiGroup.HttpApiGroup<
  Domain,
  EndpointOf<C>
>

export type ContractHttpApi<Domain extends string, C extends AnyContract> = HttpApi.HttpApi<
  Domain,
  ContractGroup<Domain, C>
>

const problemSchemas = new WeakMap<Schema.Top, Schema.Top>()

/**
 * An error's wire schema: its problem+json body, which carries `code` (stable) but not Effect's
 * internal `_tag`; decoding restores the tag (and so the error class), encoding drops it. The
 * OpenAPI component is named after the error (`DealNotFound`), not after its encoded side. The
 * server encodes its answers with this schema, the derived client decodes them with it.
 */
export const problemSchema = (schema: ErrorSchema): Schema.Top => {
  const cached = problemSchemas.get(schema)
  if (cached !== undefined) return cached
  const info = errorInfo(schema)
  const encoded = SchemaAST.toEncoded(schema.ast)
  if (!SchemaAST.isObjects(encoded)) return schema
  const fields: Record<string, Schema.Top> = Object.fromEntries(
    encoded.propertySignatures
      .filter((signature) => signature.name !== "_tag" && typeof signature.name === "string")
      .map((signature) => [String(signature.name), Schema.make<Schema.Top>(signature.type)])
  )
  const wire = Schema.Struct({
    type: Schema.optionalKey(Schema.String),
    ...fields,
    instance: Schema.optionalKey(Schema.String)
  }).annotate({
    identifier: info.tag,
    title: info.title,
    ...(info.description === undefined ? {} : { description: info.description })
  })
  const tag = info.tag
  const transformation = SchemaTransformation.transform<Record<string, unknown>, Record<string, unknown>>({
    decode: (body) => {
      const { type: _type, instance: _instance, ...rest } = body
      return { ...rest, _tag: tag }
    },
    encode: (error) => {
      const { _tag, ...rest } = error
      return rest
    }
  })
  // The error class's encoded side is this very struct plus `_tag`; the transformation states it.
  const decoded = Schema.make<Schema.Codec<unknown, Record<string, unknown>>>(schema.ast)
  const problem: Schema.Top = wire.pipe(Schema.decodeTo(decoded, transformation as never))
  problemSchemas.set(schema, problem)
  return problem
}

/** Errors as `application/problem+json`, the content type the server answers them with. */
const asProblem = (schema: ErrorSchema) =>
  problemSchema(schema).pipe(HttpApiSchema.asJson({ contentType: "application/problem+json" }))

const describe = (contract: AnyContract): string =>
  [
    contract.meta.description,
    "",
    `**Goal:** ${contract.meta.goal}`,
    "",
    `**Context:** ${contract.meta.context}`,
    "",
    `**Version:** ${contract.version} (${contract.meta.stability}) · **Kind:** ${contract.kind} · **Auth:** ${contract.policy.auth}${
      contract.policy.roles?.length ? ` (roles: ${contract.policy.roles.join(", ")})` : ""
    }`
  ].join("\n")

type OpenApiOperation = Record<string, unknown> & {
  readonly requestBody?: { readonly content?: Record<string, Record<string, unknown>> }
  readonly responses?: Record<string, { content?: Record<string, Record<string, unknown>> }>
}

/** Adds the bearer requirement and the contract's examples to the generated operation. */
const operationTransform =
  (contract: AnyContract) =>
  (operation: Record<string, unknown>): Record<string, unknown> => {
    const op: OpenApiOperation = { ...operation }
    const examples = contract.acceptance.examples
    const requestJson = op.requestBody?.content?.["application/json"]
    if (requestJson !== undefined && examples.length > 0 && contract.http.method !== "GET") {
      requestJson.examples = Object.fromEntries(
        examples.map((example) => [example.key, { summary: example.description ?? example.key, value: example.input }])
      )
    }
    const successJson = op.responses?.["200"]?.content?.["application/json"]
    if (successJson !== undefined && examples.length > 0) {
      successJson.examples = Object.fromEntries(
        examples.map((example) => [example.key, { summary: example.description ?? example.key, value: example.output }])
      )
    }
    const declared: ReadonlyArray<unknown> = Array.isArray(op.parameters) ? op.parameters : []
    const parameters =
      contract.kind === "command" &&
      !declared.some(
        (parameter) =>
          typeof parameter === "object" &&
          parameter !== null &&
          "name" in parameter &&
          parameter.name === IDEMPOTENCY_HEADER
      )
        ? [...declared, { name: IDEMPOTENCY_HEADER, in: "header", required: false }]
        : declared
    return {
      ...op,
      parameters: parameters.map((parameter: unknown) =>
        typeof parameter === "object" &&
        parameter !== null &&
        "name" in parameter &&
        parameter.name === IDEMPOTENCY_HEADER
          ? {
              ...parameter,
              name: "Idempotency-Key",
              description:
                "Makes a retry safe: a retry with the same key and body gets the first answer (status and body, marked `Idempotent-Replayed: true`); the same key with another body answers 422. Keys are kept per organization and operation for the retention period.",
              schema: {
                type: "string",
                minLength: 1,
                maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
                pattern: "^[\\x21-\\x7E]+$"
              }
            }
          : parameter
      ),
      security: contract.policy.auth === "anonymous" ? [{}, { bearer: [] }] : [{ bearer: [] }],
      "x-contract": {
        key: contract.key,
        version: contract.version,
        kind: contract.kind,
        stability: contract.meta.stability,
        owners: contract.meta.owners,
        idempotent: contract.idempotent
      }
    }
  }

/**
 * A generated JSON Schema tidied for OpenAPI linters: an `anyOf`/`oneOf` of a single schema (a
 * one-member union, which Effect emits as is) becomes that schema.
 */
export const tidySchemas = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(tidySchemas)
  if (node === null || typeof node !== "object") return node
  const tidied: Record<string, unknown> = Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, tidySchemas(value)])
  )
  for (const keyword of ["anyOf", "oneOf"]) {
    const members = tidied[keyword]
    if (Array.isArray(members) && members.length === 1) {
      const [only] = members
      if (only !== null && typeof only === "object" && !Array.isArray(only)) {
        const { [keyword]: _single, ...rest } = tidied
        return { ...only, ...rest }
      }
    }
  }
  return tidied
}

const objectOf = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : {}

/**
 * What `redocly lint` (recommended rules) asks of every OpenAPI document, added to `spec`: a
 * server (relative: the document describes the server serving it), a license, and schemas
 * without one-member unions. `make` applies it; a document built another way (the stack's front
 * door merges every domain) applies it in its own `transform`.
 */
export const lintReady = (
  spec: Record<string, unknown>
): Record<string, unknown> & { readonly components: Record<string, unknown> } => {
  const components = objectOf(spec.components)
  return {
    ...spec,
    paths: tidySchemas(spec.paths),
    info: { ...objectOf(spec.info), license: { name: "MIT", identifier: "MIT" } },
    servers: [{ url: "/", description: "The server this document is served from" }],
    components: { ...components, schemas: tidySchemas(components.schemas ?? {}) }
  }
}

/** One contract's endpoint. */
export const endpoint = <C extends AnyContract>(contract: C): EndpointOf<C> => {
  const errors: ReadonlyArray<Schema.Top> = [...contract.errors, ...kitErrorsOf(contract)].map(asProblem)
  const built = HttpApiEndpoint.make(contract.http.method)(contract.key, contract.http.path, {
    payload: contract.input,
    success: contract.output,
    error: errors,
    ...(contract.idempotent ? { headers: IdempotencyHeaders } : {})
  }).annotateMerge(
    OpenApi.annotations({
      identifier: contract.key,
      summary: contract.meta.description,
      description: describe(contract),
      deprecated: contract.meta.stability === "deprecated",
      transform: operationTransform(contract)
    })
  )
  // `HttpApiEndpoint.make` infers this very type from the same arguments, but only for concrete
  // schemas; for a generic contract the compiler cannot follow it, so it is restated here.
  return built as unknown as EndpointOf<C>
}

export interface MakeOptions {
  readonly title?: string | undefined
  readonly version?: string | undefined
  readonly description?: string | undefined
}

/**
 * The `HttpApi` of one domain's catalog. Define it once per domain (module-level constant) and
 * share it between the server and its clients.
 */
export const make = <const Domain extends string, const Contracts extends ReadonlyArray<AnyContract>>(
  domain: Domain,
  contracts: Contracts,
  options: MakeOptions = {}
): ContractHttpApi<Domain, Contracts[number]> => {
  const [first, ...rest] = contracts.map(endpoint)
  const group = first === undefined ? HttpApiGroup.make(domain) : HttpApiGroup.make(domain).add(first, ...rest)
  const api = HttpApi.make(domain)
    .add(group)
    .annotateMerge(
      OpenApi.annotations({
        title: options.title ?? `Tessera ${domain} API`,
        version: options.version ?? "1.0.0",
        description:
          options.description ??
          `Operations of the ${domain} domain. Every endpoint is one contract; operationId is the contract key.`,
        // What `redocly lint` (recommended rules) asks: see `lintReady`; and a described tag.
        transform: (spec) => {
          const ready = lintReady(spec)
          return {
            ...ready,
            tags: [{ name: domain, description: `Operations of the ${domain} domain, one per contract.` }],
            components: {
              ...objectOf(ready.components),
              securitySchemes: {
                ...objectOf(objectOf(spec.components).securitySchemes),
                bearer: {
                  type: "http",
                  scheme: "bearer",
                  bearerFormat: "JWT",
                  description: "HS256 JWT: sub = user id, org = organization id, roles = string[]"
                }
              }
            }
          }
        }
      })
    )
  // As in `endpoint`: the group holds exactly `EndpointOf` each contract.
  return api as unknown as ContractHttpApi<Domain, Contracts[number]>
}

export type { KitError }
