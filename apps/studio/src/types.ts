/** The shapes Studio reads: `/catalog.json` and the `dispatch.*` contracts' outputs. */

export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/** `{ schema, definitions }` as `Schema.toJsonSchemaDocument` writes it (or a bare JSON Schema). */
export type JsonSchemaDocument = Json

export interface Scenario {
  readonly key: string
  readonly given: ReadonlyArray<string>
  readonly when: ReadonlyArray<string>
  readonly then: ReadonlyArray<string>
}

export interface Example {
  readonly key: string
  readonly description?: string
  readonly input: Json
  readonly output: Json
}

export interface ContractEntry {
  readonly key: string
  readonly kind: "command" | "query"
  readonly version: string
  readonly meta: {
    readonly stability: string
    readonly owners: ReadonlyArray<string>
    readonly tags: ReadonlyArray<string>
    readonly description: string
    readonly goal: string
    readonly context: string
  }
  readonly policy: { readonly auth: string; readonly roles?: ReadonlyArray<string> }
  readonly http: { readonly method: string; readonly path: string }
  readonly idempotent: boolean
  readonly input: JsonSchemaDocument
  readonly output: JsonSchemaDocument
  readonly errors: ReadonlyArray<{
    readonly tag: string
    readonly code: string
    readonly status: number
    readonly title: string
    readonly when: string | null
  }>
  readonly emits: ReadonlyArray<{ readonly type: string; readonly version: number; readonly when: string }>
  readonly acceptance: { readonly scenarios: ReadonlyArray<Scenario>; readonly examples: ReadonlyArray<Example> }
}

export interface DomainEntry {
  readonly domain: string
  readonly name: string
  readonly openapiPath: string
  readonly docsPath: string
  readonly contracts: ReadonlyArray<ContractEntry>
}

export interface EventVersion {
  readonly version: number
  readonly description: string
  readonly stability: string
  readonly pii: ReadonlyArray<Json>
  readonly payload_schema: Json
  readonly status: string
  readonly registered_at?: string
  readonly active_from?: string
  readonly deprecated_at?: string
  readonly cutover_at?: string
  readonly retired_at?: string
  readonly upcast_from?: number
  readonly notes?: string
}

export interface EventEntry {
  readonly producer: string
  readonly consumers: ReadonlyArray<string>
  readonly owning_contract: string
  readonly schema_versions: ReadonlyArray<EventVersion>
}

export interface Catalog {
  readonly domains: ReadonlyArray<DomainEntry>
  readonly events: Readonly<Record<string, EventEntry>>
}

export interface ConsumerStatus {
  readonly consumer: string
  readonly eventTypes: ReadonlyArray<string>
  readonly pending: number
  readonly inFlight: number
  readonly retrying: number
  readonly oldestPendingAgeMillis: number
  readonly deadLetters: number
  readonly blockedSubjects: number
}

export interface ActivityBucket {
  readonly consumer: string
  readonly minute: string
  readonly handled: number
  readonly deadLettered: number
}

export interface DeadLetter {
  readonly consumer: string
  readonly position: string
  readonly eventId: string
  readonly eventType: string
  readonly eventVersion: number
  readonly subjectKey: string
  readonly reason: string
  readonly error: string
  readonly attempts: number
  readonly failures: number
  readonly abandoned: number
  readonly status: "dead" | "discarded"
  readonly discardReason: string | null
  readonly deadAt: string
}

export interface StoredEvent {
  readonly position: string
  readonly eventId: string
  readonly eventType: string
  readonly eventVersion: number
  readonly producer: string
  readonly subject: { readonly type: string; readonly id: string }
  readonly actor: { readonly type: string; readonly id: string }
  readonly correlationId: string
  readonly causationId: string | null
  readonly traceparent: string | null
  readonly occurredAt: string
  readonly recordedAt: string
  readonly payload: Json
}

export interface Delivery {
  readonly consumer: string
  readonly state: "handled" | "pending" | "in-flight" | "retrying" | "dead" | "discarded" | "unknown"
  readonly failures: number
  readonly handledAt: string | null
  readonly latencyMillis: number | null
  readonly lastError: string | null
}

export interface EventWithDeliveries {
  readonly event: StoredEvent
  readonly deliveries: ReadonlyArray<Delivery>
}

export interface Request {
  readonly contractKey: string
  readonly contractVersion: string
  readonly actor: { readonly type: string; readonly id: string | null }
  readonly requestId: string
  readonly occurredAt: string
  readonly eventIds: ReadonlyArray<string>
}

export interface Flow {
  readonly correlationId: string
  readonly requests: ReadonlyArray<Request>
  readonly events: ReadonlyArray<EventWithDeliveries>
}
