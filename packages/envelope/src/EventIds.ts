/**
 * UUIDv7 event ids (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by
 * creation time. Ids come from a service so tests can make them deterministic. Within one
 * millisecond the generator stays monotonic by incrementing the random tail.
 */
import { randomFillSync } from "node:crypto"
import { Clock, Context, Effect, Layer } from "effect"

export interface EventIdsShape {
  /** A fresh UUIDv7. */
  readonly next: Effect.Effect<string>
}

export class EventIds extends Context.Service<EventIds, EventIdsShape>()("@tessera/envelope/EventIds") {
  /** Time from `Clock`, randomness from the platform's CSPRNG. */
  static readonly layer = Layer.sync(EventIds, () => EventIds.of(makeGenerator(randomBytes)))

  /**
   * Deterministic ids for tests: time from `Clock` (the TestClock when used), and a counter
   * instead of random bits, so a run produces the same ids every time.
   */
  static readonly layerDeterministic = Layer.sync(EventIds, () => {
    let counter = 0
    return EventIds.of(
      makeGenerator((bytes) => {
        counter++
        bytes.fill(0)
        new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(bytes.length - 4, counter)
      })
    )
  })
}

const randomBytes = (bytes: Uint8Array) => {
  randomFillSync(bytes)
}

const HEX: ReadonlyArray<string> = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))

/** Formats 16 bytes as a UUID string. */
export const format = (bytes: Uint8Array): string => {
  let out = ""
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += "-"
    out += HEX[bytes[i] ?? 0]
  }
  return out
}

/** Builds a UUIDv7 from a millisecond timestamp and 10 bytes of entropy (74 bits are used). */
export const fromParts = (millis: number, entropy: Uint8Array): string => {
  const bytes = new Uint8Array(16)
  let ms = Math.max(0, Math.floor(millis))
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256
    ms = Math.floor(ms / 256)
  }
  bytes.set(entropy.subarray(0, 10), 6)
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f) // version 7
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f) // variant 10
  return format(bytes)
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

export const isUuidV7 = (value: string): boolean => UUID_V7.test(value)

/** The Unix milliseconds encoded in a UUIDv7. */
export const timestampOf = (id: string): number => Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)

/** Increments a big-endian byte string in place; false on overflow. */
const increment = (bytes: Uint8Array): boolean => {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const value = (bytes[i] ?? 0) + 1
    bytes[i] = value & 0xff
    if (value <= 0xff) return true
  }
  return false
}

/**
 * A monotonic generator: a new random tail each millisecond; within the same (or an earlier,
 * after a clock step back) millisecond, the previous tail plus one. Only the last 7 bytes count
 * (the bytes before them share bits with the version and variant fields).
 */
export const makeGenerator = (fill: (bytes: Uint8Array) => void): EventIdsShape => {
  let lastMillis = -1
  const tail = new Uint8Array(10)
  return {
    next: Effect.map(Clock.currentTimeMillis, (now) => {
      if (now > lastMillis) {
        lastMillis = now
        fill(tail)
        tail[3] = (tail[3] ?? 0) & 0x7f // leave room to count up within the millisecond
      } else if (!increment(tail.subarray(3))) {
        lastMillis++
        fill(tail)
        tail[3] = (tail[3] ?? 0) & 0x7f
      }
      return fromParts(lastMillis, tail)
    })
  }
}
