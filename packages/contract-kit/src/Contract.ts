/**
 * The definition entry of the contract kit: `command(...)` and `query(...)` turn a description of
 * one operation (meta, input/output schemas, errors, policy, emitted events, audit, acceptance)
 * into a value from which the kit derives everything else — the HTTP endpoint, OpenAPI, the typed
 * client, the docs page, the breaking-change snapshot and the typed handler signature.
 *
 * This module (and `ContractError.ts`) has no server dependencies: clients and other domains
 * import contracts without pulling in an HTTP server, a database driver or JWT code.
 */
import type { AnyEventDefinition } from "@tessera/envelope/EventDefinition"
import type { Schema } from "effect"

/** Any event definition (from `@tessera/envelope`) a contract may emit. */
export type AnyEvent = AnyEventDefinition

/** The decoded payload type of an event definition. */
export type PayloadOf<D extends AnyEvent> = D["payload"]["Type"]

export type Kind = "command" | "query"

export type Stability = "experimental" | "beta" | "stable" | "deprecated"

/**
 * `anonymous`: no token needed; `user`: a user's token; `admin`: a user's token with the `admin`
 * role; `service`: a service principal's token (`kind: "service"`, minted for a process such as an
 * event consumer, never for a person) or an admin's. A service principal may call only `service`
 * and `anonymous` operations.
 */
export type AuthLevel = "anonymous" | "user" | "admin" | "service"

/** Semantic version of a contract: a major bump allows incompatible changes to a stable contract. */
export type SemVer = `${number}.${number}.${number}`

export interface Policy<A extends AuthLevel = AuthLevel> {
  readonly auth: A
  /** When set, the caller needs at least one of these roles (on top of `auth`). */
  readonly roles?: ReadonlyArray<string> | undefined
}

/** Who called: decoded from the bearer token. */
export interface Principal {
  /** The token's `sub`: a user's id, or a service's name for a service principal. */
  readonly userId: string
  readonly organizationId: string
  readonly roles: ReadonlyArray<string>
  /** `service` for a service principal (a process, not a person); a user when omitted. */
  readonly kind?: PrincipalKind | undefined
}

export type PrincipalKind = "user" | "service"

/** Whether the caller is a service principal. */
export const isService = (principal: Principal): boolean => principal.kind === "service"

/** An emitted event with the condition under which it is emitted (shown in the docs). */
export interface EmitDeclaration<D extends AnyEvent = AnyEvent> {
  readonly event: D
  readonly when: string
}

export interface Scenario {
  readonly key: string
  readonly given: ReadonlyArray<string>
  readonly when: ReadonlyArray<string>
  readonly then: ReadonlyArray<string>
}

/** An example call, in wire (encoded JSON) form. Validated against the schemas at boot. */
export interface Example<Input, Output> {
  readonly key: string
  readonly description?: string | undefined
  readonly input: Input
  readonly output: Output
}

export interface Acceptance<Input, Output> {
  readonly scenarios?: ReadonlyArray<Scenario> | undefined
  readonly examples?: ReadonlyArray<Example<Input, Output>> | undefined
}

/** A `Schema.TaggedError` class (see `ContractError`) with an `httpApiStatus` annotation. */
export type ErrorSchema = Schema.Top & { readonly Type: { readonly _tag: string } }

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH"

export interface HttpOverride {
  /**
   * Defaults to POST: inputs travel as JSON bodies. A query may use GET: its input then travels as
   * query parameters (each field encoded as a string, repeated keys for arrays).
   */
  readonly method?: HttpMethod | undefined
  /** Defaults to the key with dots as slashes: `crm.deal.lose` → `/crm/deal/lose`. */
  readonly path?: `/${string}` | undefined
}

export interface Audit {
  /** The audit action recorded; defaults to the contract key. */
  readonly action?: string | undefined
  /** Record the (encoded) input in the audit row. Default true; turn off for sensitive inputs. */
  readonly input?: boolean | undefined
}

export interface Meta<Key extends string> {
  /** `<domain>.<entity>.<verb>`, e.g. `crm.deal.lose`. The first segment names the owning domain. */
  readonly key: Key
  readonly version: SemVer
  readonly stability: Stability
  readonly owners: ReadonlyArray<string>
  readonly tags: ReadonlyArray<string>
  readonly description: string
  readonly goal: string
  readonly context: string
}

export interface Contract<
  out K extends Kind = Kind,
  out Key extends string = string,
  out I extends Schema.Top = Schema.Top,
  out O extends Schema.Top = Schema.Top,
  out E extends ErrorSchema = ErrorSchema,
  out Ev extends AnyEvent = AnyEvent,
  out A extends AuthLevel = AuthLevel,
  out Idem extends boolean = boolean
> {
  readonly _tag: "Contract"
  readonly kind: K
  readonly key: Key
  readonly version: SemVer
  readonly meta: Meta<Key>
  readonly input: I
  readonly output: O
  readonly errors: ReadonlyArray<E>
  readonly policy: Policy<A>
  readonly emits: ReadonlyArray<EmitDeclaration<Ev>>
  /** `false` when the contract is not audited (queries by default). */
  readonly audit: Required<Audit> | false
  readonly idempotent: Idem
  readonly http: { readonly method: HttpMethod; readonly path: `/${string}` }
  readonly acceptance: {
    readonly scenarios: ReadonlyArray<Scenario>
    readonly examples: ReadonlyArray<Example<I["Encoded"], O["Encoded"]>>
  }
}

/** Any contract: the element type of a catalog. */
export interface AnyContract extends Contract<Kind, string, Schema.Top, Schema.Top, ErrorSchema, AnyEvent> {}

/** `key@version`, the identity of a contract in a catalog. */
export const idOf = (contract: Pick<AnyContract, "key" | "version">): string => `${contract.key}@${contract.version}`

/** The owning domain: the key's first segment (`crm` for `crm.deal.lose`). */
export const domainOf = (contract: Pick<AnyContract, "key">): string => contract.key.split(".")[0] ?? contract.key

/** Type-level `a.b.c` → `/a/b/c`. */
export type PathOfKey<Key extends string> = `/${ReplaceDots<Key>}`
type ReplaceDots<S extends string> = S extends `${infer Head}.${infer Tail}` ? `${Head}/${ReplaceDots<Tail>}` : S

export const pathOfKey = <Key extends string>(key: Key): `/${string}` => `/${key.replaceAll(".", "/")}`

interface Spec<
  Key extends string,
  I extends Schema.Top,
  O extends Schema.Top,
  E extends ErrorSchema,
  Ev extends AnyEvent,
  A extends AuthLevel
> {
  readonly meta: Meta<Key>
  /** A `Schema.Struct`; unknown properties are rejected when decoding a call. */
  readonly input: I
  readonly output: O
  readonly errors?: ReadonlyArray<E> | undefined
  readonly policy: Policy<A>
  /** Event definitions from `@tessera/envelope` (never inline payloads), or `{ event, when }`. */
  readonly emits?: ReadonlyArray<Ev | EmitDeclaration<Ev>> | undefined
  readonly http?: HttpOverride | undefined
  readonly acceptance?: Acceptance<NoInfer<I>["Encoded"], NoInfer<O>["Encoded"]> | undefined
}

/** What a contract's `emits` may list: event definitions, or `{ event, when }`. */
export type EmitEntry = AnyEvent | EmitDeclaration

/** The event definitions an `emits` list names (a union across the whole list). */
export type EventsOf<Emits extends ReadonlyArray<EmitEntry>> = EventOfEntry<Emits[number]>
type EventOfEntry<X> = X extends EmitDeclaration<infer D> ? D : X extends AnyEvent ? X : never

export interface CommandSpec<
  Key extends string,
  I extends Schema.Top,
  O extends Schema.Top,
  E extends ErrorSchema,
  Emits extends ReadonlyArray<EmitEntry>,
  A extends AuthLevel,
  Idem extends boolean
> extends Omit<Spec<Key, I, O, E, EventsOf<Emits>, A>, "emits"> {
  /**
   * Event definitions from `@tessera/envelope` (never inline payloads), or `{ event, when }`.
   * Inferred as a list, so a contract may emit several different events.
   */
  readonly emits?: Emits | undefined
  /** Default: audited, with the contract key as action. `false` turns auditing off. */
  readonly audit?: Audit | false | undefined
  /** Retries carrying the same `Idempotency-Key` header get the stored first response. */
  readonly idempotent?: Idem | undefined
}

export interface QuerySpec<
  Key extends string,
  I extends Schema.Top,
  O extends Schema.Top,
  E extends ErrorSchema,
  A extends AuthLevel
> extends Omit<Spec<Key, I, O, E, never, A>, "emits"> {
  /** Default: not audited. */
  readonly audit?: Audit | false | undefined
}

const isEmitDeclaration = (entry: AnyEvent | EmitDeclaration): entry is EmitDeclaration => "event" in entry

const normalizeAudit = (key: string, audit: Audit | false | undefined, byDefault: boolean): Required<Audit> | false =>
  audit === false || (audit === undefined && !byDefault)
    ? false
    : { action: audit?.action ?? key, input: audit?.input ?? true }

const build = <
  K extends Kind,
  Key extends string,
  I extends Schema.Top,
  O extends Schema.Top,
  E extends ErrorSchema,
  Ev extends AnyEvent,
  A extends AuthLevel,
  Idem extends boolean
>(
  kind: K,
  spec: Spec<Key, I, O, E, Ev, A>,
  audit: Required<Audit> | false,
  idempotent: Idem
): Contract<K, Key, I, O, E, Ev, A, Idem> => ({
  _tag: "Contract",
  kind,
  key: spec.meta.key,
  version: spec.meta.version,
  meta: spec.meta,
  input: spec.input,
  output: spec.output,
  errors: spec.errors ?? [],
  policy: spec.policy,
  emits: (spec.emits ?? []).map((entry) => (isEmitDeclaration(entry) ? entry : { event: entry, when: "" })),
  audit,
  idempotent,
  http: {
    method: spec.http?.method ?? "POST",
    path: spec.http?.path ?? pathOfKey(spec.meta.key)
  },
  acceptance: {
    scenarios: spec.acceptance?.scenarios ?? [],
    examples: spec.acceptance?.examples ?? []
  }
})

/** An operation that changes state: runs in a transaction, may emit events, audited by default. */
export const command = <
  const Key extends string,
  I extends Schema.Top,
  O extends Schema.Top,
  E extends ErrorSchema = never,
  const Emits extends ReadonlyArray<EmitEntry> = readonly [],
  const A extends AuthLevel = never,
  const Idem extends boolean = false
>(
  spec: CommandSpec<Key, I, O, E, Emits, A, Idem>
): Contract<"command", Key, I, O, E, EventsOf<Emits>, A, Idem> =>
  build<"command", Key, I, O, E, EventsOf<Emits>, A, Idem>(
    "command",
    // Every entry of `Emits` is an `EventsOf<Emits>` or a declaration of one: the list, as `Spec` names it.
    spec as unknown as Spec<Key, I, O, E, EventsOf<Emits>, A>,
    normalizeAudit(spec.meta.key, spec.audit, true),
    // `Idem` defaults to `false` when `idempotent` is omitted; the value matches the type.
    (spec.idempotent ?? false) as Idem
  )

/**
 * An operation that only reads: emits nothing, not audited by default. Unaudited, it runs outside a
 * transaction (each statement on the pool); audited, in one with its audit row.
 */
export const query = <
  const Key extends string,
  I extends Schema.Top,
  O extends Schema.Top,
  E extends ErrorSchema = never,
  const A extends AuthLevel = never
>(
  spec: QuerySpec<Key, I, O, E, A>
): Contract<"query", Key, I, O, E, never, A, false> =>
  build("query", { ...spec, emits: [] }, normalizeAudit(spec.meta.key, spec.audit, false), false)

/** Whether a value is a contract (for tools loading catalogs from modules). */
export const isContract = (value: unknown): value is AnyContract =>
  typeof value === "object" && value !== null && "_tag" in value && value._tag === "Contract"
