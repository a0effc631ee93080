/**
 * Consumers: lag of each (pending, in flight, retrying, oldest pending age, dead letters), handled
 * and dead-lettered events per minute with the pending count sampled while the page is open, and
 * the dead letters with replay and discard.
 */
import { useEffect, useState } from "preact/hooks"
import { call } from "../api.ts"
import { json, millis, time } from "../format.ts"
import type { ActivityBucket, ConsumerStatus, DeadLetter, StoredEvent } from "../types.ts"

const MINUTES = 15

interface Sample {
  readonly at: number
  readonly pending: number
}

const Chart = (props: { buckets: ReadonlyArray<ActivityBucket>; samples: ReadonlyArray<Sample>; now: number }) => {
  const width = 720
  const height = 180
  const left = 36
  const bottom = 24
  const start = props.now - MINUTES * 60_000
  const minutes = Array.from({ length: MINUTES }, (_, i) => Math.floor(start / 60_000) * 60_000 + (i + 1) * 60_000)
  const perMinute = minutes.map((minute) => {
    const inMinute = props.buckets.filter((b) => Date.parse(b.minute) === minute)
    return {
      minute,
      handled: inMinute.reduce((n, b) => n + b.handled, 0),
      dead: inMinute.reduce((n, b) => n + b.deadLettered, 0)
    }
  })
  const top = Math.max(1, ...perMinute.map((m) => m.handled + m.dead), ...props.samples.map((s) => s.pending))
  const x = (at: number) => left + ((at - start) / (MINUTES * 60_000)) * (width - left - 8)
  const y = (value: number) => height - bottom - (value / top) * (height - bottom - 10)
  const barWidth = (width - left - 8) / MINUTES - 4
  const line = props.samples
    .filter((s) => s.at >= start)
    .map((s, i) => `${i === 0 ? "M" : "L"} ${x(s.at).toFixed(1)} ${y(s.pending).toFixed(1)}`)
    .join(" ")
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Consumer activity">
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={left} x2={width - 8} y1={y(top * f)} y2={y(top * f)} class="gridline" />
          <text x={left - 6} y={y(top * f) + 4} class="axis" text-anchor="end">
            {Math.round(top * f)}
          </text>
        </g>
      ))}
      {perMinute.map((m) => (
        <g key={m.minute}>
          <rect
            x={x(m.minute - 60_000) + 2}
            width={barWidth}
            y={y(m.handled)}
            height={y(0) - y(m.handled)}
            class="bar handled"
          >
            <title>{`${m.handled} handled`}</title>
          </rect>
          <rect
            x={x(m.minute - 60_000) + 2}
            width={barWidth}
            y={y(m.handled + m.dead)}
            height={y(0) - y(m.dead)}
            class="bar dead"
          >
            <title>{`${m.dead} dead-lettered`}</title>
          </rect>
        </g>
      ))}
      {line === "" ? null : <path d={line} class="pending-line" />}
      {minutes
        .filter((_, i) => i % 3 === 2)
        .map((minute) => (
          <text key={minute} x={x(minute - 30_000)} y={height - 6} class="axis" text-anchor="middle">
            {new Date(minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false })}
          </text>
        ))}
    </svg>
  )
}

const DeadLetterRow = (props: { letter: DeadLetter; onChanged: (message: string) => void }) => {
  const l = props.letter
  const [open, setOpen] = useState(false)
  const [event, setEvent] = useState<StoredEvent | null>(null)
  const [discarding, setDiscarding] = useState(false)
  const [reason, setReason] = useState("")
  const [busy, setBusy] = useState(false)
  const act = (run: () => Promise<string>) => {
    setBusy(true)
    run().then(
      (message) => props.onChanged(message),
      (error: unknown) => props.onChanged(`Failed: ${String(error)}`)
    )
  }
  return (
    <>
      <tr data-dead-letter={`${l.consumer}#${l.position}`} class={l.status === "discarded" ? "discarded" : ""}>
        <td class="mono">{time(l.deadAt)}</td>
        <td>
          <code>{l.consumer}</code>
        </td>
        <td>
          <code>
            {l.eventType}@{l.eventVersion}
          </code>
          <div class="muted small mono">#{l.position}</div>
        </td>
        <td>
          <span class="state dead">{l.reason}</span>
          <div class="error small">{l.error.split("\n")[0]}</div>
          {l.discardReason === null ? null : <div class="muted small">discarded: {l.discardReason}</div>}
        </td>
        <td class="actions">
          <button
            type="button"
            class="ghost"
            onClick={() => {
              setOpen(!open)
              if (event === null)
                call<{ event: StoredEvent }>("dispatch.deadLetter.get", {
                  consumer: l.consumer,
                  position: l.position
                }).then(
                  (value) => setEvent(value.event),
                  () => setEvent(null)
                )
            }}
          >
            {open ? "Hide" : "Payload"}
          </button>
          {l.status === "dead" ? (
            <>
              <button
                type="button"
                class="primary"
                disabled={busy}
                onClick={() =>
                  act(() =>
                    call<{ replayed: number }>("dispatch.deadLetter.replay", {
                      consumer: l.consumer,
                      positions: [l.position]
                    }).then((r) => `Replayed ${r.replayed} dead letter(s) of ${l.consumer}`)
                  )
                }
              >
                Replay
              </button>
              <button type="button" class="danger" disabled={busy} onClick={() => setDiscarding(!discarding)}>
                Discard
              </button>
            </>
          ) : null}
        </td>
      </tr>
      {discarding ? (
        <tr>
          <td colSpan={5}>
            <form
              class="inline"
              onSubmit={(e) => {
                e.preventDefault()
                act(() =>
                  call<{ discarded: number }>("dispatch.deadLetter.discard", {
                    consumer: l.consumer,
                    positions: [l.position],
                    reason
                  }).then((r) => `Discarded ${r.discarded} dead letter(s) of ${l.consumer}`)
                )
              }}
            >
              <input
                placeholder="Why discard it? (kept for audit)"
                value={reason}
                minLength={3}
                required
                onInput={(e) => setReason(e.currentTarget.value)}
              />
              <button type="submit" class="danger" disabled={busy}>
                Discard for good
              </button>
            </form>
          </td>
        </tr>
      ) : null}
      {open ? (
        <tr>
          <td colSpan={5}>
            <div class="two">
              <div>
                <h4>Error</h4>
                <pre>{l.error}</pre>
              </div>
              <div>
                <h4>Envelope and payload</h4>
                <pre>{event === null ? "Loading…" : json(event)}</pre>
              </div>
            </div>
          </td>
        </tr>
      ) : null}
    </>
  )
}

export const ConsumersPage = () => {
  const [consumers, setConsumers] = useState<ReadonlyArray<ConsumerStatus>>([])
  const [activity, setActivity] = useState<ReadonlyArray<ActivityBucket>>([])
  const [samples, setSamples] = useState<Readonly<Record<string, ReadonlyArray<Sample>>>>({})
  const [letters, setLetters] = useState<ReadonlyArray<DeadLetter>>([])
  const [selected, setSelected] = useState<string | null>(null)
  const [showDiscarded, setShowDiscarded] = useState(false)
  const [message, setMessage] = useState<string | null>(null)
  const [tick, setTick] = useState(0)
  const [now, setNow] = useState(Date.now())

  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), 2000)
    return () => clearInterval(timer)
  }, [])

  useEffect(() => {
    setNow(Date.now())
    call<{ items: ReadonlyArray<ConsumerStatus> }>("dispatch.consumer.list").then(
      (r) => {
        setConsumers(r.items)
        const at = Date.now()
        setSamples((previous) => {
          const next: Record<string, ReadonlyArray<Sample>> = {}
          for (const c of r.items) {
            next[c.consumer] = [...(previous[c.consumer] ?? []), { at, pending: c.pending }].filter(
              (s) => s.at > at - MINUTES * 60_000
            )
          }
          return next
        })
      },
      () => undefined
    )
    call<{ items: ReadonlyArray<DeadLetter> }>("dispatch.deadLetter.list", {
      includeDiscarded: showDiscarded,
      ...(selected === null ? {} : { consumer: selected })
    }).then(
      (r) => setLetters(r.items),
      () => undefined
    )
    if (tick % 5 === 0)
      call<{ items: ReadonlyArray<ActivityBucket> }>("dispatch.consumer.activity", { minutes: MINUTES }).then(
        (r) => setActivity(r.items),
        () => undefined
      )
  }, [tick, selected, showDiscarded])

  const shownSamples = selected === null ? mergeSamples(Object.values(samples)) : (samples[selected] ?? [])
  return (
    <article class="detail wide">
      <h2>Consumers</h2>
      {message === null ? null : (
        <p class="notice" data-testid="notice">
          {message}
        </p>
      )}
      <table class="grid consumers">
        <thead>
          <tr>
            <th>Consumer</th>
            <th>Pending</th>
            <th>In flight</th>
            <th>Retrying</th>
            <th>Oldest pending</th>
            <th>Dead letters</th>
            <th>Blocked subjects</th>
            <th>Subscribes to</th>
          </tr>
        </thead>
        <tbody>
          {consumers.map((c) => (
            <tr
              key={c.consumer}
              class={`clickable ${selected === c.consumer ? "selected" : ""}`}
              data-consumer={c.consumer}
              onClick={() => setSelected(selected === c.consumer ? null : c.consumer)}
            >
              <td>
                <code>{c.consumer}</code>
              </td>
              <td>{c.pending}</td>
              <td>{c.inFlight}</td>
              <td>{c.retrying}</td>
              <td>{millis(c.oldestPendingAgeMillis)}</td>
              <td class={c.deadLetters > 0 ? "error" : ""}>{c.deadLetters}</td>
              <td>{c.blockedSubjects}</td>
              <td class="muted small">{c.eventTypes.join(", ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>
        Last {MINUTES} minutes {selected === null ? "(all consumers)" : <code>{selected}</code>}
      </h3>
      <p class="legend">
        <span class="key handled" /> handled per minute <span class="key dead" /> dead-lettered per minute{" "}
        <span class="key pending" /> pending (sampled while this page is open)
      </p>
      <Chart
        buckets={selected === null ? activity : activity.filter((b) => b.consumer === selected)}
        samples={shownSamples}
        now={now}
      />
      <div class="title-row">
        <h3>Dead letters {selected === null ? "" : `of ${selected}`}</h3>
        <label class="small">
          <input type="checkbox" checked={showDiscarded} onChange={(e) => setShowDiscarded(e.currentTarget.checked)} />{" "}
          show discarded
        </label>
        {selected !== null && letters.some((l) => l.status === "dead") ? (
          <button
            type="button"
            class="primary"
            onClick={() =>
              call<{ replayed: number }>("dispatch.deadLetter.replay", { consumer: selected }).then(
                (r) => setMessage(`Replayed ${r.replayed} dead letter(s) of ${selected}`),
                (error: unknown) => setMessage(String(error))
              )
            }
          >
            Replay all of {selected}
          </button>
        ) : null}
      </div>
      <table class="grid letters">
        <thead>
          <tr>
            <th>Died</th>
            <th>Consumer</th>
            <th>Event</th>
            <th>Why</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {letters.length === 0 ? (
            <tr>
              <td colSpan={5} class="muted" data-testid="no-dead-letters">
                No dead letters.
              </td>
            </tr>
          ) : null}
          {letters.map((l) => (
            <DeadLetterRow
              key={`${l.consumer}#${l.position}#${l.status}`}
              letter={l}
              onChanged={(text) => {
                setMessage(text)
                setTick((t) => t + 1)
              }}
            />
          ))}
        </tbody>
      </table>
    </article>
  )
}

/** The pending count of all consumers, summed per sampling instant. */
const mergeSamples = (lists: ReadonlyArray<ReadonlyArray<Sample>>): ReadonlyArray<Sample> => {
  const byAt = new Map<number, number>()
  for (const list of lists) for (const s of list) byAt.set(s.at, (byAt.get(s.at) ?? 0) + s.pending)
  return [...byAt.entries()].sort(([a], [b]) => a - b).map(([at, pending]) => ({ at, pending }))
}
