/**
 * Studio's only way to the server: the `dispatch.*` admin contracts (POST with JSON, bearer token),
 * `/catalog.json`, the live tail (server-sent events read from a streamed `fetch`, so the token goes
 * in a header, not in the URL) and the development login.
 */
import type { Catalog } from "./types.ts"

const TOKEN_KEY = "tessera.studio.token"

export const getToken = (): string | null => localStorage.getItem(TOKEN_KEY)
export const setToken = (token: string | null) =>
  token === null ? localStorage.removeItem(TOKEN_KEY) : localStorage.setItem(TOKEN_KEY, token)

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message)
  }
}

const problemOf = async (response: Response): Promise<ApiError> => {
  const body: unknown = await response.json().catch(() => null)
  const field = (name: string) =>
    typeof body === "object" && body !== null && name in body ? String(Reflect.get(body, name)) : undefined
  return new ApiError(response.status, field("code") ?? "HTTP_ERROR", field("detail") ?? response.statusText)
}

/** Calls a contract by key: `dispatch.deadLetter.replay` → POST /dispatch/deadLetter/replay. */
export const call = async <A>(key: string, input: object = {}): Promise<A> => {
  const response = await fetch(`/${key.replaceAll(".", "/")}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${getToken() ?? ""}` },
    body: JSON.stringify(input)
  })
  if (!response.ok) throw await problemOf(response)
  const body: A = await response.json()
  return body
}

export const loadCatalog = async (): Promise<Catalog> => {
  const response = await fetch("/catalog.json")
  if (!response.ok) throw await problemOf(response)
  const catalog: Catalog = await response.json()
  return catalog
}

export const session = async (): Promise<{ environment: string; devLogin: boolean }> => {
  const response = await fetch("/studio/session.json")
  const body: { environment: string; devLogin: boolean } = await response.json()
  return body
}

export const devLogin = async (): Promise<string> => {
  const response = await fetch("/studio/dev-login", { method: "POST" })
  if (!response.ok) throw await problemOf(response)
  const body: { token: string } = await response.json()
  return body.token
}

export interface TailFilter {
  readonly type?: string
  readonly producer?: string
  readonly subject?: string
  readonly correlationId?: string
}

/** Follows the live tail until `signal` aborts, calling `onEvent` with each event's JSON. */
export const tail = async (
  filter: TailFilter,
  onEvent: (data: string) => void,
  signal: AbortSignal,
  onOpen: () => void
): Promise<void> => {
  const query = new URLSearchParams(
    Object.entries(filter).filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1] !== "")
  )
  const response = await fetch(`/dispatch/events/tail?${query}`, {
    headers: { authorization: `Bearer ${getToken() ?? ""}`, accept: "text/event-stream" },
    signal
  })
  if (!response.ok || response.body === null) throw await problemOf(response)
  onOpen()
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ""
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += value
    let end = buffer.indexOf("\n\n")
    while (end >= 0) {
      const frame = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const data = frame
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n")
      if (data !== "") onEvent(data)
      end = buffer.indexOf("\n\n")
    }
  }
}
