/**
 * Connections: a connector kind (a REST API, a CSV or NDJSON file, the Tessera CRM), a name, its
 * configuration and, for remote systems, credentials. Credentials are accepted on create and on
 * rotation only: they are decoded into `Redacted` values, stored encrypted, and never part of an
 * answer, an event or an audit row (both commands keep their input out of the audit log).
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { ConnectionCreated } from "./Events.ts"
import { ConnectionId, Cursor, InvalidCursor, Limit, Name, owners, Timestamp } from "./Shared.ts"

/** An absolute URL path, e.g. `/contacts`. */
export const UrlPath = Schema.String.check(
  Schema.isMaxLength(500),
  Schema.isPattern(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/)
).pipe(Schema.annotate({ description: "URL path starting with /" }))

/** `http://` or `https://` base URL, without query or fragment. */
export const BaseUrl = Schema.String.check(
  Schema.isMaxLength(500),
  Schema.isPattern(/^https?:\/\/[A-Za-z0-9\-._~%]+(:\d{1,5})?(\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*)?$/)
).pipe(Schema.annotate({ description: "http(s) base URL of the remote API" }))

/** A JSON field name of the remote records. */
export const FieldName = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(100),
  Schema.isPattern(/^[A-Za-z_][A-Za-z0-9_.-]*$/)
).pipe(Schema.annotate({ description: "Field name (letters, digits, _ . -)" }))

/** How the REST connector reads pages of records. */
export const RestRead = Schema.Struct({
  path: UrlPath,
  /** `cursor`: the answer names the next page's cursor; `offset`: pages by offset and limit. */
  pagination: Schema.Literals(["cursor", "offset"]),
  /** The array of records in the answer (default `items`; an answer that is an array is used as is). */
  itemsField: Schema.optionalKey(FieldName),
  /** Query parameter carrying the cursor (default `cursor`). */
  cursorParam: Schema.optionalKey(FieldName),
  /** Answer field naming the next cursor, null or absent on the last page (default `nextCursor`). */
  nextCursorField: Schema.optionalKey(FieldName),
  /** Query parameters of offset paging (defaults `offset` and `limit`; `limit` is also sent with cursors). */
  offsetParam: Schema.optionalKey(FieldName),
  limitParam: Schema.optionalKey(FieldName)
})

/** How the REST connector writes records: upserts keyed by external id. */
export const RestWrite = Schema.Struct({
  path: UrlPath,
  /** `each`: `PUT {path}/{externalId}` per record; `batch`: `POST {path}` with an array of records. */
  mode: Schema.Literals(["each", "batch"])
})

export const RestConfig = Schema.Struct({
  kind: Schema.tag("rest"),
  baseUrl: BaseUrl,
  /** The remote's record id field: read as the external id, written on upserts (default `id`). */
  idField: Schema.optionalKey(FieldName),
  /** GET path of the health check of `integration.connection.test` (default `/`). */
  healthPath: Schema.optionalKey(UrlPath),
  read: Schema.optionalKey(RestRead),
  write: Schema.optionalKey(RestWrite)
})

/** A file path relative to the hub's file folder (`TESSERA_INTEGRATION_FILES`): no `..`, no leading `/`. */
export const FilePath = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(300),
  Schema.isPattern(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9_\-./]+$/)
).pipe(Schema.annotate({ description: "Path relative to the hub's file folder (no `..`)" }))

export const CsvConfig = Schema.Struct({
  kind: Schema.tag("csv"),
  path: FilePath,
  /** One character (default `,`). The first line holds the field names. */
  delimiter: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1))),
  /** The field holding the external id (default `id`). */
  idField: Schema.optionalKey(FieldName)
})

export const NdjsonConfig = Schema.Struct({
  kind: Schema.tag("ndjson"),
  path: FilePath,
  /** The field holding the external id (default `id`). */
  idField: Schema.optionalKey(FieldName)
})

/** The Tessera CRM, reached through the dispatcher only: records become contacts (upserted by external id). */
export const CrmConfig = Schema.Struct({
  kind: Schema.tag("crm"),
  object: Schema.optionalKey(Schema.Literals(["contacts"]))
})

export const ConnectionConfig = Schema.Union([RestConfig, CsvConfig, NdjsonConfig, CrmConfig])
export type ConnectionConfig = typeof ConnectionConfig.Type

export const ConnectorKind = Schema.Literals(["rest", "csv", "ndjson", "crm"])
export type ConnectorKind = typeof ConnectorKind.Type

/** A secret: decoded into a `Redacted` (it prints as `<redacted>`), never encoded into an answer. */
export const Secret = Schema.RedactedFromValue(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(4096)))

/** How the REST connector authenticates: a bearer token, an API key header, or HTTP basic. */
export const Credentials = Schema.Union([
  Schema.Struct({ type: Schema.tag("bearer"), token: Secret }),
  Schema.Struct({
    type: Schema.tag("apiKey"),
    key: Secret,
    /** Header carrying the key (default `x-api-key`). */
    header: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[A-Za-z0-9-]{1,64}$/)))
  }),
  Schema.Struct({ type: Schema.tag("basic"), username: Secret, password: Secret })
])
export type Credentials = typeof Credentials.Type

export const ConnectionStatus = Schema.Literals(["active", "disabled"])

export const Connection = Schema.Struct({
  id: ConnectionId,
  name: Name,
  kind: ConnectorKind,
  config: ConnectionConfig,
  status: ConnectionStatus,
  /** Whether credentials are stored (they are never returned). */
  hasCredentials: Schema.Boolean,
  credentialsUpdatedAt: Schema.NullOr(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type Connection = typeof Connection.Type

export class ConnectionNotFound extends ContractError<ConnectionNotFound>()(
  "ConnectionNotFound",
  {
    code: "CONNECTION_NOT_FOUND",
    status: 404,
    title: "Connection not found",
    when: "No connection with this id in the caller's organization"
  },
  { connectionId: Schema.String }
) {}

export class ConnectionDisabled extends ContractError<ConnectionDisabled>()(
  "ConnectionDisabled",
  {
    code: "CONNECTION_DISABLED",
    status: 409,
    title: "Connection disabled",
    when: "The connection was disabled"
  },
  { connectionId: Schema.String }
) {}

export class CredentialsNotApplicable extends ContractError<CredentialsNotApplicable>()("CredentialsNotApplicable", {
  code: "CREDENTIALS_NOT_APPLICABLE",
  status: 422,
  title: "Credentials not applicable",
  when: "Credentials were given for a connector that takes none (files, the CRM)"
}) {}

const example = {
  id: "conn-1",
  name: "Partner API",
  kind: "rest",
  config: {
    kind: "rest",
    baseUrl: "https://api.partner.example",
    read: { path: "/contacts", pagination: "cursor" },
    write: { path: "/contacts", mode: "each" }
  },
  status: "active",
  hasCredentials: true,
  credentialsUpdatedAt: "2025-01-20T09:00:00.000Z",
  createdAt: "2025-01-20T09:00:00.000Z",
  updatedAt: "2025-01-20T09:00:00.000Z"
} as const

export const CreateConnection = command({
  meta: {
    key: "integration.connection.create",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "connection", "create"],
    description: "Create a connection to a remote system, a file or the CRM, with its credentials.",
    goal: "Reach a system to sync with, without exposing its secrets.",
    context: "Connection setup."
  },
  input: Schema.Struct({
    name: Name,
    config: ConnectionConfig,
    credentials: Schema.optionalKey(Credentials)
  }),
  output: Connection,
  errors: [CredentialsNotApplicable],
  policy: { auth: "user" },
  emits: [{ event: ConnectionCreated, when: "The connection is created (id and kind only)" }],
  audit: { input: false },
  acceptance: {
    scenarios: [
      {
        key: "create-connection-happy-path",
        given: ["User is authenticated"],
        when: ["User creates a REST connection with a bearer token"],
        then: ["The connection is created", "The answer says credentials are stored and never shows them"]
      },
      {
        key: "create-connection-credentials-stay-secret",
        given: ["A connection created with credentials"],
        when: ["Answers, logs, events and audit rows are read"],
        then: ["None of them contains the credentials; the stored form is encrypted"]
      }
    ],
    examples: [
      {
        key: "create-partner-api",
        input: {
          name: "Partner API",
          config: example.config,
          credentials: { type: "bearer", token: "s3cr3t-token" }
        },
        output: example
      }
    ]
  }
})

export const GetConnection = query({
  meta: {
    key: "integration.connection.get",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "connection", "get"],
    description: "Read one connection (never its credentials).",
    goal: "See how a system is reached.",
    context: "Connection details."
  },
  input: Schema.Struct({ connectionId: ConnectionId }),
  output: Connection,
  errors: [ConnectionNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "get-connection-other-organization",
        given: ["A connection of another organization"],
        when: ["User reads it by id"],
        then: ["The call is refused with 404 CONNECTION_NOT_FOUND"]
      }
    ],
    examples: [{ key: "get-partner-api", input: { connectionId: "conn-1" }, output: example }]
  }
})

export const ListConnections = query({
  meta: {
    key: "integration.connection.list",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "connection", "list"],
    description: "List the organization's connections, newest first, a page at a time.",
    goal: "Find the systems the organization syncs with.",
    context: "Connection lists."
  },
  input: Schema.Struct({
    kind: Schema.optionalKey(ConnectorKind),
    limit: Schema.optionalKey(Limit),
    cursor: Schema.optionalKey(Cursor)
  }),
  output: Schema.Struct({ items: Schema.Array(Connection), nextCursor: Schema.NullOr(Cursor) }),
  errors: [InvalidCursor],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-connections-own-organization",
        given: ["Connections in two organizations"],
        when: ["User lists connections"],
        then: ["Only the user's organization's connections are returned"]
      }
    ],
    examples: [{ key: "list-one-connection", input: {}, output: { items: [example], nextCursor: null } }]
  }
})

export const RotateCredentials = command({
  meta: {
    key: "integration.connection.rotateCredentials",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "connection", "credentials"],
    description: "Replace a connection's credentials.",
    goal: "Rotate secrets without recreating the connection.",
    context: "Secret rotation."
  },
  input: Schema.Struct({ connectionId: ConnectionId, credentials: Credentials }),
  output: Connection,
  errors: [ConnectionNotFound, CredentialsNotApplicable],
  policy: { auth: "user" },
  audit: { input: false },
  acceptance: {
    scenarios: [
      {
        key: "rotate-credentials-happy-path",
        given: ["A REST connection with a bearer token"],
        when: ["User rotates the token"],
        then: ["The next calls to the remote use the new token", "The answer shows no credential"]
      }
    ]
  }
})

export const TestResult = Schema.Struct({
  connectionId: ConnectionId,
  ok: Schema.Boolean,
  /** What was checked and, on failure, why (never a credential). */
  message: Schema.String,
  latencyMs: Schema.Int,
  checkedAt: Timestamp
})

export const TestConnection = command({
  meta: {
    key: "integration.connection.test",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "connection", "test"],
    description: "Check live that the remote side answers with these credentials (or that the file is reachable).",
    goal: "Know before syncing whether a connection works.",
    context: "Connection health."
  },
  input: Schema.Struct({ connectionId: ConnectionId }),
  output: TestResult,
  errors: [ConnectionNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "test-connection-live",
        given: ["A REST connection to a running API", "A REST connection to a port nothing listens on"],
        when: ["User tests each"],
        then: ["The first is ok", "The second is not ok, with the remote's error summarized"]
      }
    ]
  }
})

export const DisableConnection = command({
  meta: {
    key: "integration.connection.disable",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["integration", "connection", "disable"],
    description: "Disable a connection: no sync run uses it any more.",
    goal: "Stop using a system without losing its history.",
    context: "Connection lifecycle."
  },
  input: Schema.Struct({ connectionId: ConnectionId }),
  output: Connection,
  errors: [ConnectionNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "disable-connection-blocks-runs",
        given: ["A sync config using a connection"],
        when: ["User disables the connection and triggers a sync"],
        then: ["The trigger is refused with 409 CONNECTION_DISABLED"]
      }
    ]
  }
})
