/**
 * Flows: one correlation id's whole story: the contract calls, every event they caused across
 * domains (a consumer's own events carry the same correlation id) and each consumer's handling, on
 * one time axis.
 */
import { useEffect, useState } from "preact/hooks"
import { call } from "../api.ts"
import { millis, time } from "../format.ts"
import { Link, navigate } from "../router.tsx"
import type { Flow, StoredEvent } from "../types.ts"

const RecentFlows = () => {
  const [events, setEvents] = useState<ReadonlyArray<StoredEvent>>([])
  useEffect(() => {
    call<{ items: ReadonlyArray<StoredEvent> }>("dispatch.event.list", { limit: 200 }).then(
      (r) => setEvents(r.items),
      () => undefined
    )
  }, [])
  const flows = new Map<string, Array<StoredEvent>>()
  for (const event of [...events].reverse())
    flows.set(event.correlationId, [...(flows.get(event.correlationId) ?? []), event])
  return (
    <>
      <h3>Recent flows</h3>
      {flows.size === 0 ? <p class="muted">No events yet.</p> : null}
      <ul class="plain recent">
        {[...flows.entries()].slice(0, 30).map(([id, list]) => (
          <li key={id}>
            <Link to={`/flows/${encodeURIComponent(id)}`} class="mono">
              {id}
            </Link>{" "}
            <span class="muted small">
              {list.length} event(s): {[...new Set(list.map((e) => e.eventType))].join(", ")} ·{" "}
              {time(list[0]?.recordedAt ?? "")}
            </span>
          </li>
        ))}
      </ul>
    </>
  )
}

const Timeline = (props: { flow: Flow }) => {
  const instants = [
    ...props.flow.requests.map((r) => Date.parse(r.occurredAt)),
    ...props.flow.events.flatMap((e) => [
      Date.parse(e.event.recordedAt),
      ...e.deliveries.flatMap((d) => (d.handledAt === null ? [] : [Date.parse(d.handledAt)]))
    ])
  ]
  const start = Math.min(...instants)
  const span = Math.max(1, Math.max(...instants) - start)
  const at = (iso: string) => `${(((Date.parse(iso) - start) / span) * 100).toFixed(2)}%`
  const width = (from: string, to: string) =>
    `${Math.max(0.6, ((Date.parse(to) - Date.parse(from)) / span) * 100).toFixed(2)}%`
  return (
    <div class="timeline" data-testid="timeline">
      <div class="axis-row">
        <span>0 ms</span>
        <span>{millis(span / 2)}</span>
        <span>{millis(span)}</span>
      </div>
      {props.flow.requests.map((r) => (
        <div key={r.requestId} class="lane request" data-request={r.contractKey}>
          <div class="label">
            <span class="domain-chip">{r.contractKey.split(".")[0]}</span> <code>{r.contractKey}</code>
            <div class="muted small">
              request by {r.actor.id ?? r.actor.type} · {time(r.occurredAt)}
            </div>
          </div>
          <div class="track">
            <span class="marker request" style={{ left: at(r.occurredAt) }} />
          </div>
        </div>
      ))}
      {props.flow.events.map(({ event, deliveries }) => (
        <div key={event.eventId} class="group" data-flow-event={event.eventType}>
          <div class="lane event">
            <div class="label">
              <span class="domain-chip">{event.producer}</span>{" "}
              <code>
                {event.eventType}@{event.eventVersion}
              </code>
              <div class="muted small">
                recorded +{millis(Date.parse(event.recordedAt) - start)} · subject {event.subject.type}:
                {event.subject.id}
              </div>
            </div>
            <div class="track">
              <span class="marker event" style={{ left: at(event.recordedAt) }} />
            </div>
          </div>
          {deliveries.map((d) => (
            <div key={d.consumer} class="lane delivery" data-delivery={d.consumer} data-state={d.state}>
              <div class="label">
                ↳ <code>{d.consumer}</code> <span class={`state ${d.state}`}>{d.state}</span>
                <span class="muted small"> {millis(d.latencyMillis)}</span>
              </div>
              <div class="track">
                <span
                  class={`bar ${d.state}`}
                  style={{
                    left: at(event.recordedAt),
                    width: d.handledAt === null ? "0.6%" : width(event.recordedAt, d.handledAt)
                  }}
                />
              </div>
            </div>
          ))}
        </div>
      ))}
    </div>
  )
}

export const FlowsPage = (props: { correlationId: string }) => {
  const [input, setInput] = useState(props.correlationId)
  const [flow, setFlow] = useState<Flow | null>(null)
  const [problem, setProblem] = useState<string | null>(null)

  useEffect(() => {
    setInput(props.correlationId)
    setFlow(null)
    if (props.correlationId === "") return
    let stopped = false
    const load = () =>
      call<Flow>("dispatch.flow.get", { correlationId: props.correlationId }).then(
        (value) => {
          if (!stopped) setFlow(value)
        },
        (error: unknown) => setProblem(String(error))
      )
    void load()
    const timer = setInterval(load, 1500)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [props.correlationId])

  const domains =
    flow === null
      ? []
      : [
          ...new Set([
            ...flow.requests.map((r) => r.contractKey.split(".")[0] ?? r.contractKey),
            ...flow.events.flatMap((e) => [
              e.event.producer,
              ...e.deliveries.map((d) => d.consumer.split(".")[0] ?? d.consumer)
            ])
          ])
        ]
  return (
    <article class="detail wide">
      <h2>Flows</h2>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault()
          navigate(`/flows/${encodeURIComponent(input.trim())}`)
        }}
      >
        <input
          class="grow"
          placeholder="Correlation id (x-correlation-id of a request, or from an event)"
          value={input}
          onInput={(event) => setInput(event.currentTarget.value)}
        />
        <button type="submit" class="primary">
          Show flow
        </button>
      </form>
      {problem === null ? null : <p class="error">{problem}</p>}
      {props.correlationId === "" ? <RecentFlows /> : null}
      {flow === null ? null : flow.requests.length === 0 && flow.events.length === 0 ? (
        <p class="muted">Nothing with this correlation id in your organization.</p>
      ) : (
        <>
          <p class="lead">
            {flow.requests.length} request(s), {flow.events.length} event(s),{" "}
            {flow.events.reduce((n, e) => n + e.deliveries.length, 0)} deliveries across {domains.join(" → ")}.
          </p>
          <Timeline flow={flow} />
        </>
      )}
    </article>
  )
}
