/**
 * Preloaded (`node --import`) into the apps a test starts as separate processes: shifts
 * `Date.now` — what Effect's default `Clock` reads — by the offset the test kit sends over the
 * IPC channel, and acknowledges each change, so `StackTest`'s `clock.advance` moves the time of
 * every process before it returns. Test-only: never loaded outside the test kit's child processes.
 */
const realNow = Date.now.bind(Date)
let offset = Number(process.env.TESSERA_TEST_CLOCK_OFFSET ?? "0") || 0
Date.now = () => realNow() + offset

if (typeof process.send === "function") {
  process.on("message", (message: unknown) => {
    if (typeof message === "object" && message !== null && "tesseraClock" in message) {
      const next = Number(message.tesseraClock)
      if (Number.isFinite(next)) offset = next
      process.send?.({ tesseraClockAck: next })
    }
  })
  // The channel must not keep the process alive on its own.
  process.channel?.unref()
}
