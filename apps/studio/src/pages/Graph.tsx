/** The registry drawn: producer domain → event type → consumer domains, as an SVG. */
import { navigate } from "../router.tsx"
import type { Catalog } from "../types.ts"

const ROW = 34
const TOP = 50
const COLUMN = { producer: 30, event: 300, consumer: 720 } as const
const WIDTH = { producer: 150, event: 280, consumer: 150 } as const

const curve = (x1: number, y1: number, x2: number, y2: number) => {
  const mid = (x1 + x2) / 2
  return `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`
}

export const GraphPage = (props: { catalog: Catalog }) => {
  const events = Object.entries(props.catalog.events).sort(
    ([a, x], [b, y]) => x.producer.localeCompare(y.producer) || a.localeCompare(b)
  )
  const producers = [...new Set(events.map(([, e]) => e.producer))]
  const consumers = [...new Set(events.flatMap(([, e]) => e.consumers))].sort()
  const height = Math.max(events.length, producers.length, consumers.length) * ROW + TOP + 30
  const eventY = (index: number) => TOP + index * ROW
  const spread = (count: number, index: number) =>
    TOP + ((events.length - 1) * ROW * (index + 0.5)) / Math.max(count, 1) - ROW / 4
  const producerY = new Map(producers.map((p, i) => [p, spread(producers.length, i)]))
  const consumerY = new Map(consumers.map((c, i) => [c, spread(consumers.length, i)]))
  return (
    <article class="detail wide">
      <h2>Registry graph</h2>
      <p class="lead">
        Who produces each event type and which domains consume it. {events.length} event types,{" "}
        {events.reduce((n, [, e]) => n + e.consumers.length, 0)} subscriptions. Click an event for its schema; a dashed
        event has no consumer yet.
      </p>
      <svg class="graph" viewBox={`0 0 900 ${height}`} role="img" aria-label="Event registry graph">
        <text x={COLUMN.producer} y={24} class="col">
          Producer
        </text>
        <text x={COLUMN.event} y={24} class="col">
          Event
        </text>
        <text x={COLUMN.consumer} y={24} class="col">
          Consumers
        </text>
        {events.map(([type, entry], index) => {
          const y = eventY(index) + 12
          const from = producerY.get(entry.producer) ?? 0
          return (
            <g key={type}>
              <path class="edge produce" d={curve(COLUMN.producer + WIDTH.producer, from + 12, COLUMN.event, y)} />
              {entry.consumers.map((consumer) => (
                <path
                  key={consumer}
                  class="edge consume"
                  d={curve(COLUMN.event + WIDTH.event, y, COLUMN.consumer, (consumerY.get(consumer) ?? 0) + 12)}
                />
              ))}
            </g>
          )
        })}
        {producers.map((producer) => (
          <g key={producer} class="node domain" data-node={`producer:${producer}`}>
            <rect x={COLUMN.producer} y={producerY.get(producer)} width={WIDTH.producer} height={24} rx={6} />
            <text x={COLUMN.producer + 10} y={(producerY.get(producer) ?? 0) + 16}>
              {producer}
            </text>
          </g>
        ))}
        {events.map(([type, entry], index) => (
          <a
            key={type}
            href={`/studio/catalog/event/${type}`}
            class={`node event ${entry.consumers.length === 0 ? "orphan" : ""}`}
            data-node={`event:${type}`}
            onClick={(event) => {
              event.preventDefault()
              navigate(`/catalog/event/${type}`)
            }}
          >
            <rect x={COLUMN.event} y={eventY(index)} width={WIDTH.event} height={24} rx={12} />
            <text x={COLUMN.event + 12} y={eventY(index) + 16}>
              {type}@{entry.schema_versions.at(-1)?.version ?? 1}
            </text>
          </a>
        ))}
        {consumers.map((consumer) => (
          <g key={consumer} class="node domain consumer" data-node={`consumer:${consumer}`}>
            <rect x={COLUMN.consumer} y={consumerY.get(consumer)} width={WIDTH.consumer} height={24} rx={6} />
            <text x={COLUMN.consumer + 10} y={(consumerY.get(consumer) ?? 0) + 16}>
              {consumer}
            </text>
          </g>
        ))}
      </svg>
    </article>
  )
}
