/**
 * The catalog: every contract by domain (meta, schemas, errors, policy, emitted events, acceptance)
 * and every event (versions, lifecycle, payload schema, PII markers).
 */
import { useState } from "preact/hooks"
import { json } from "../format.ts"
import { Link } from "../router.tsx"
import type { Catalog, ContractEntry, EventEntry } from "../types.ts"
import { SchemaView } from "./Schema.tsx"

const Badge = (props: { kind: string; children: string }) => <span class={`badge ${props.kind}`}>{props.children}</span>

const Sidebar = (props: { catalog: Catalog; selected: string; domain: string | null }) => {
  const [filter, setFilter] = useState("")
  const matches = (text: string) => filter === "" || text.toLowerCase().includes(filter.toLowerCase())
  return (
    <aside class="sidebar">
      <input
        class="search"
        placeholder="Filter contracts and events"
        value={filter}
        onInput={(event) => setFilter(event.currentTarget.value)}
      />
      {props.catalog.domains
        .filter((domain) => props.domain === null || domain.domain === props.domain)
        .map((domain) => (
          <section key={domain.domain}>
            <h3>
              {domain.name} <code>{domain.domain}</code>
            </h3>
            {domain.contracts
              .filter((c) => matches(c.key))
              .map((contract) => (
                <Link
                  key={contract.key}
                  to={`/catalog/${contract.key}`}
                  class={`item ${props.selected === contract.key ? "selected" : ""}`}
                >
                  <span class={`dot ${contract.kind}`} />
                  {contract.key}
                </Link>
              ))}
          </section>
        ))}
      <section>
        <h3>Events</h3>
        {Object.keys(props.catalog.events)
          .filter(matches)
          .map((type) => (
            <Link key={type} to={`/catalog/event/${type}`} class={`item ${props.selected === type ? "selected" : ""}`}>
              <span class="dot event" />
              {type}
            </Link>
          ))}
      </section>
    </aside>
  )
}

const ContractView = (props: { contract: ContractEntry }) => {
  const c = props.contract
  return (
    <article class="detail">
      <div class="title-row">
        <h2>{c.key}</h2>
        <Badge kind={c.kind}>{c.kind}</Badge>
        <Badge kind="semver">{`v${c.version}`}</Badge>
        <Badge kind={c.meta.stability}>{c.meta.stability}</Badge>
      </div>
      <p class="lead">{c.meta.description}</p>
      <dl class="facts">
        <dt>Goal</dt>
        <dd>{c.meta.goal}</dd>
        <dt>Context</dt>
        <dd>{c.meta.context}</dd>
        <dt>Owners</dt>
        <dd>{c.meta.owners.join(", ")}</dd>
        <dt>Tags</dt>
        <dd>
          {c.meta.tags.map((tag) => (
            <span key={tag} class="tag">
              {tag}
            </span>
          ))}
        </dd>
        <dt>Policy</dt>
        <dd>
          auth: <b>{c.policy.auth}</b>
          {c.policy.roles !== undefined && c.policy.roles.length > 0 ? ` · roles: ${c.policy.roles.join(", ")}` : ""}
        </dd>
        <dt>HTTP</dt>
        <dd>
          <code>
            {c.http.method} {c.http.path}
          </code>
          {c.idempotent ? " · idempotent (Idempotency-Key)" : ""}
        </dd>
      </dl>
      <div class="two">
        <SchemaView document={c.input} title="Input" />
        <SchemaView document={c.output} title="Output" />
      </div>
      <h3>Errors</h3>
      {c.errors.length === 0 ? (
        <p class="muted">No domain errors (the kit's 400/401/403/413/500 apply to every contract).</p>
      ) : (
        <table class="grid">
          <thead>
            <tr>
              <th>Status</th>
              <th>Code</th>
              <th>Title</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {c.errors.map((error) => (
              <tr key={error.code}>
                <td>
                  <span class="status">{error.status}</span>
                </td>
                <td>
                  <code>{error.code}</code>
                </td>
                <td>{error.title}</td>
                <td class="muted">{error.when ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Emitted events</h3>
      {c.emits.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <ul class="plain">
          {c.emits.map((emit) => (
            <li key={`${emit.type}@${emit.version}`}>
              <Link to={`/catalog/event/${emit.type}`}>
                <code>
                  {emit.type}@{emit.version}
                </code>
              </Link>{" "}
              <span class="muted">— {emit.when}</span>
            </li>
          ))}
        </ul>
      )}
      <h3>Acceptance</h3>
      {c.acceptance.scenarios.length === 0 && c.acceptance.examples.length === 0 ? (
        <p class="muted">No scenarios or examples.</p>
      ) : null}
      {c.acceptance.scenarios.map((scenario) => (
        <div key={scenario.key} class="scenario">
          <code>{scenario.key}</code>
          {(["given", "when", "then"] as const).map((part) => (
            <div key={part} class="gwt">
              <b>{part}</b> {scenario[part].join("; ")}
            </div>
          ))}
        </div>
      ))}
      {c.acceptance.examples.map((example) => (
        <details key={example.key} class="example">
          <summary>
            Example <code>{example.key}</code> {example.description ?? ""}
          </summary>
          <div class="two">
            <pre>{json(example.input)}</pre>
            <pre>{json(example.output)}</pre>
          </div>
        </details>
      ))}
    </article>
  )
}

const EventView = (props: { type: string; entry: EventEntry }) => {
  const e = props.entry
  return (
    <article class="detail">
      <div class="title-row">
        <h2>{props.type}</h2>
        <Badge kind="event">event</Badge>
      </div>
      <dl class="facts">
        <dt>Producer</dt>
        <dd>
          <code>{e.producer}</code>
        </dd>
        <dt>Consumers</dt>
        <dd>
          {e.consumers.length === 0 ? (
            <span class="muted">none yet</span>
          ) : (
            e.consumers.map((c) => <code key={c}>{c} </code>)
          )}
        </dd>
        <dt>Owning contract</dt>
        <dd>
          <Link to={`/catalog/${e.owning_contract}`}>
            <code>{e.owning_contract}</code>
          </Link>
        </dd>
      </dl>
      {e.schema_versions.map((v) => (
        <section key={v.version} class="version">
          <div class="title-row">
            <h3>Version {v.version}</h3>
            <Badge kind={v.status}>{v.status}</Badge>
            <Badge kind={v.stability}>{v.stability}</Badge>
          </div>
          <p>{v.description}</p>
          <dl class="facts">
            <dt>Lifecycle</dt>
            <dd>
              registered {v.registered_at ?? "—"}
              {v.active_from === undefined ? "" : ` · active from ${v.active_from}`}
              {v.deprecated_at === undefined ? "" : ` · deprecated ${v.deprecated_at}`}
              {v.cutover_at === undefined ? "" : ` · cutover ${v.cutover_at}`}
              {v.retired_at === undefined ? "" : ` · retired ${v.retired_at}`}
              {v.upcast_from === undefined ? "" : ` · upcast from v${v.upcast_from}`}
            </dd>
            <dt>PII</dt>
            <dd>
              {v.pii.length === 0 ? (
                <span class="muted">no personal data</span>
              ) : (
                v.pii.map((marker) => (
                  <span key={JSON.stringify(marker)} class="tag pii">
                    {typeof marker === "string" ? marker : JSON.stringify(marker)}
                  </span>
                ))
              )}
            </dd>
            {v.notes === undefined ? null : (
              <>
                <dt>Notes</dt>
                <dd>{v.notes}</dd>
              </>
            )}
          </dl>
          <SchemaView document={v.payload_schema} title="Payload" />
        </section>
      ))}
    </article>
  )
}

const Overview = (props: { catalog: Catalog }) => (
  <article class="detail">
    <h2>Catalog</h2>
    <p class="lead">
      {props.catalog.domains.reduce((n, d) => n + d.contracts.length, 0)} contracts in {props.catalog.domains.length}{" "}
      domains, {Object.keys(props.catalog.events).length} event types. Pick one on the left, or see the{" "}
      <Link to="/graph">registry graph</Link>.
    </p>
    <div class="cards">
      {props.catalog.domains.map((domain) => (
        <div key={domain.domain} class="card">
          <h3>
            {domain.name} <code>{domain.domain}</code>
          </h3>
          <p class="muted">
            {domain.contracts.filter((c) => c.kind === "command").length} commands,{" "}
            {domain.contracts.filter((c) => c.kind === "query").length} queries
          </p>
          <a href={domain.docsPath}>Docs</a> · <a href={domain.openapiPath}>OpenAPI</a>
        </div>
      ))}
    </div>
  </article>
)

export const CatalogPage = (props: { catalog: Catalog; path: string; query: URLSearchParams }) => {
  const parts = props.path.split("/").filter((p) => p !== "")
  const isEvent = parts[1] === "event"
  const key = isEvent ? (parts[2] ?? "") : (parts[1] ?? "")
  const contract = props.catalog.domains.flatMap((d) => d.contracts).find((c) => c.key === key)
  const event = isEvent ? props.catalog.events[key] : undefined
  return (
    <div class="with-sidebar">
      <Sidebar catalog={props.catalog} selected={key} domain={props.query.get("domain")} />
      {contract !== undefined ? (
        <ContractView contract={contract} />
      ) : event !== undefined ? (
        <EventView type={key} entry={event} />
      ) : (
        <Overview catalog={props.catalog} />
      )}
    </div>
  )
}
