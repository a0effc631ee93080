/**
 * Live events: the tail streamed from the server, filterable by type, producer, subject and
 * correlation id. Click an event for its envelope and how each consumer handled it.
 */
import { useEffect, useState } from "preact/hooks"
import { call, type TailFilter, tail } from "../api.ts"
import { json, millis, time } from "../format.ts"
import { Link } from "../router.tsx"
import type { Catalog, EventWithDeliveries, StoredEvent } from "../types.ts"

const MAX_ROWS = 300

export const Deliveries = (props: { deliveries: EventWithDeliveries["deliveries"] }) =>
  props.deliveries.length === 0 ? (
    <p class="muted">No consumer subscribes to this event type.</p>
  ) : (
    <table class="grid deliveries">
      <thead>
        <tr>
          <th>Consumer</th>
          <th>State</th>
          <th>Handled</th>
          <th>Latency</th>
          <th>Failures</th>
        </tr>
      </thead>
      <tbody>
        {props.deliveries.map((d) => (
          <tr key={d.consumer} data-consumer={d.consumer} data-state={d.state}>
            <td>
              <code>{d.consumer}</code>
            </td>
            <td>
              <span class={`state ${d.state}`}>{d.state}</span>
            </td>
            <td>{d.handledAt === null ? "—" : time(d.handledAt)}</td>
            <td>{millis(d.latencyMillis)}</td>
            <td>
              {d.failures}
              {d.lastError === null ? null : <div class="error small">{d.lastError.split("\n")[0]}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )

const EventDrawer = (props: { eventId: string; onClose: () => void }) => {
  const [detail, setDetail] = useState<EventWithDeliveries | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  useEffect(() => {
    let stopped = false
    const load = () =>
      call<EventWithDeliveries>("dispatch.event.get", { eventId: props.eventId }).then(
        (value) => {
          if (!stopped) setDetail(value)
        },
        (error: unknown) => setProblem(String(error))
      )
    void load()
    const timer = setInterval(load, 1000)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [props.eventId])
  return (
    <aside class="drawer" data-testid="event-drawer">
      <div class="title-row">
        <h3>{detail === null ? "Event" : `${detail.event.eventType}@${detail.event.eventVersion}`}</h3>
        <button type="button" class="ghost" onClick={props.onClose}>
          Close
        </button>
      </div>
      {problem === null ? null : <p class="error">{problem}</p>}
      {detail === null ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <p>
            Correlation{" "}
            <Link to={`/flows/${encodeURIComponent(detail.event.correlationId)}`} class="mono">
              {detail.event.correlationId}
            </Link>{" "}
            → open its flow
          </p>
          <h4>Deliveries</h4>
          <Deliveries deliveries={detail.deliveries} />
          <h4>Envelope</h4>
          <pre>{json(detail.event)}</pre>
        </>
      )}
    </aside>
  )
}

export const LivePage = (props: { catalog: Catalog }) => {
  const [filter, setFilter] = useState<TailFilter>({})
  const [draft, setDraft] = useState<TailFilter>({})
  const [rows, setRows] = useState<ReadonlyArray<StoredEvent>>([])
  const [status, setStatus] = useState("connecting")
  const [selected, setSelected] = useState<string | null>(null)

  useEffect(() => {
    const controller = new AbortController()
    setRows([])
    setStatus("connecting")
    const onEvent = (data: string) => {
      const event: StoredEvent = JSON.parse(data)
      setRows((previous) => [event, ...previous].slice(0, MAX_ROWS))
    }
    tail(filter, onEvent, controller.signal, () => setStatus("live")).then(
      () => setStatus("closed"),
      (error: unknown) => {
        if (!controller.signal.aborted) setStatus(`disconnected: ${String(error)}`)
      }
    )
    return () => controller.abort()
  }, [filter])

  const producers = [...new Set(Object.values(props.catalog.events).map((e) => e.producer))]
  const set = (name: keyof TailFilter) => (event: { currentTarget: { value: string } }) =>
    setDraft({ ...draft, [name]: event.currentTarget.value })
  return (
    <div class={selected === null ? "" : "with-drawer"}>
      <article class="detail wide">
        <div class="title-row">
          <h2>Live events</h2>
          <span class={`live ${status === "live" ? "on" : ""}`} data-testid="tail-status">
            {status}
          </span>
        </div>
        <form
          class="filters"
          onSubmit={(event) => {
            event.preventDefault()
            setFilter(draft)
          }}
        >
          <select value={draft.type ?? ""} onChange={set("type")} aria-label="Event type">
            <option value="">Any type</option>
            {Object.keys(props.catalog.events).map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
          <select value={draft.producer ?? ""} onChange={set("producer")} aria-label="Producer">
            <option value="">Any producer</option>
            {producers.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
          <input placeholder="Subject id" value={draft.subject ?? ""} onInput={set("subject")} />
          <input placeholder="Correlation id" value={draft.correlationId ?? ""} onInput={set("correlationId")} />
          <button type="submit" class="primary">
            Apply
          </button>
        </form>
        <table class="grid events">
          <thead>
            <tr>
              <th>Recorded</th>
              <th>Type</th>
              <th>Producer</th>
              <th>Subject</th>
              <th>Actor</th>
              <th>Correlation</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={6} class="muted">
                  No events yet: they appear here as they are recorded.
                </td>
              </tr>
            ) : null}
            {rows.map((row) => (
              <tr
                key={row.position}
                class={`clickable ${selected === row.eventId ? "selected" : ""}`}
                data-event-type={row.eventType}
                onClick={() => setSelected(row.eventId)}
              >
                <td class="mono">{time(row.recordedAt)}</td>
                <td>
                  <code>
                    {row.eventType}@{row.eventVersion}
                  </code>
                </td>
                <td>{row.producer}</td>
                <td class="mono">
                  {row.subject.type}:{row.subject.id}
                </td>
                <td class="mono">{row.actor.id}</td>
                <td class="mono">
                  <Link to={`/flows/${encodeURIComponent(row.correlationId)}`} title="Open this flow">
                    {row.correlationId.slice(0, 13)}…
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </article>
      {selected === null ? null : <EventDrawer eventId={selected} onClose={() => setSelected(null)} />}
    </div>
  )
}
