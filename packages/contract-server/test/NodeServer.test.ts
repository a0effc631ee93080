/**
 * Slow clients: a client that sends its headers a line at a time, or a body shorter than its
 * Content-Length, gets `408 Request Timeout` and a closed connection instead of holding it forever.
 * (Limits are shortened here; the defaults are 10 s for headers, 30 s for the whole request.)
 */
import * as Net from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as NodeServer from "../src/NodeServer.ts"

const limits: NodeServer.Limits = {
  ...NodeServer.DEFAULT_LIMITS,
  headersTimeout: 500,
  requestTimeout: 1_000,
  connectionsCheckingInterval: 100
}

/** Serves on a random port; writes `chunks` on a raw socket; resolves with what the server answered once it closes. */
const talk = (chunks: ReadonlyArray<string>) =>
  Effect.promise(
    () =>
      new Promise<{ readonly answer: string; readonly closed: boolean }>((resolve) => {
        const server = NodeServer.create(limits)
        server.on("request", (request, response) => {
          request.resume()
          request.on("end", () => response.end("ok"))
        })
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          const socket = Net.connect(port, "127.0.0.1")
          let answer = ""
          socket.on("data", (chunk) => {
            answer += chunk.toString("utf8")
          })
          const giveUp = setTimeout(() => {
            socket.destroy()
            server.close()
            resolve({ answer, closed: false })
          }, 8_000)
          socket.on("close", () => {
            clearTimeout(giveUp)
            server.close()
            resolve({ answer, closed: true })
          })
          for (const chunk of chunks) socket.write(chunk)
        })
      })
  )

describe("NodeServer limits", () => {
  it.effect("headers that never finish: 408 and the connection closes", () =>
    Effect.gen(function* () {
      const { answer, closed } = yield* talk(["POST /x HTTP/1.1\r\n", "Host: localhost\r\n"])
      assert.isTrue(closed)
      assert.match(answer, /^HTTP\/1\.1 408/)
    })
  )

  it.effect("a body shorter than its Content-Length: 408 and the connection closes", () =>
    Effect.gen(function* () {
      const { answer, closed } = yield* talk([
        "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
        `{"a":`
      ])
      assert.isTrue(closed)
      assert.match(answer, /^HTTP\/1\.1 408/)
    })
  )

  it("limits come from the environment, with defaults", () => {
    const limits = NodeServer.limitsFromEnv({
      TESSERA_HTTP_HEADERS_TIMEOUT_MS: "2000",
      TESSERA_HTTP_REQUEST_TIMEOUT_MS: "x"
    })
    assert.strictEqual(limits.headersTimeout, 2000)
    assert.strictEqual(limits.requestTimeout, NodeServer.DEFAULT_LIMITS.requestTimeout)
  })
})
