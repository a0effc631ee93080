/**
 * Tasks, scoped by organization. Rows leave the database in the API's shape.
 */
import type { TaskType } from "@tessera/contracts/crm/Events"
import { Task, type TaskStatus } from "@tessera/contracts/crm/Tasks"
import * as Rows from "@tessera/database/Rows"
import { Context, Effect, Layer, type Option } from "effect"
import { SqlClient } from "effect/sql"

export interface NewTask {
  readonly organizationId: string
  readonly id: string
  readonly type: TaskType
  readonly title: string
  readonly dueAt: string | null
  readonly assigneeId: string
  readonly dealId: string | null
  readonly contactId: string | null
  readonly at: Date
}

export interface TaskFilters {
  readonly assigneeId?: string | undefined
  readonly status?: TaskStatus | undefined
  readonly dealId?: string | undefined
  readonly contactId?: string | undefined
}

/** Sort key of the task list: tasks without a due date come last. */
const FAR_FUTURE = "9999-12-31T00:00:00.000Z"

export class TaskRepository extends Context.Service<
  TaskRepository,
  {
    readonly insert: (task: NewTask) => Effect.Effect<Task>
    readonly findById: (
      organizationId: string,
      taskId: string,
      options?: { readonly lock?: boolean }
    ) => Effect.Effect<Option.Option<Task>>
    readonly complete: (organizationId: string, taskId: string, at: Date) => Effect.Effect<Task>
    /** Soonest due first; `limit + 1` rows. */
    readonly list: (
      organizationId: string,
      filters: TaskFilters,
      limit: number,
      after: readonly [dueAt: string, id: string] | undefined
    ) => Effect.Effect<ReadonlyArray<Task>>
  }
>()("@tessera/crm/TaskRepository") {
  static readonly FAR_FUTURE = FAR_FUTURE

  static readonly layer = Layer.effect(
    TaskRepository,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(`
        t.id, t.type, t.title, crm.iso(t.due_at) AS "dueAt", t.assignee_id AS "assigneeId", t.status,
        t.deal_id AS "dealId", t.contact_id AS "contactId", crm.iso(t.completed_at) AS "completedAt",
        crm.iso(t.created_at) AS "createdAt"`)
      const dueKey = sql.literal(`coalesce(t.due_at, '${FAR_FUTURE}'::timestamptz)`)

      return TaskRepository.of({
        insert: Effect.fn("TaskRepository.insert")(function* (task) {
          return yield* Rows.one(
            Task,
            sql`
            WITH t AS (
              INSERT INTO crm.tasks (organization_id, id, type, title, due_at, assignee_id, status, deal_id, contact_id, created_at)
              VALUES (${task.organizationId}, ${task.id}, ${task.type}, ${task.title}, ${task.dueAt}::timestamptz,
                ${task.assigneeId}, 'open', ${task.dealId}, ${task.contactId}, ${task.at})
              RETURNING *)
            SELECT ${columns} FROM t`
          )
        }),

        findById: Effect.fn("TaskRepository.findById")(function* (organizationId, taskId, options) {
          return yield* Rows.maybeOne(
            Task,
            sql`SELECT ${columns} FROM crm.tasks t WHERE t.organization_id = ${organizationId} AND t.id = ${taskId}
                  ${options?.lock ? sql.literal("FOR UPDATE") : sql.literal("")}`
          )
        }),

        complete: Effect.fn("TaskRepository.complete")(function* (organizationId, taskId, at) {
          return yield* Rows.one(
            Task,
            sql`
            UPDATE crm.tasks t SET status = 'completed', completed_at = ${at}
            WHERE t.organization_id = ${organizationId} AND t.id = ${taskId}
            RETURNING ${columns}`
          )
        }),

        list: Effect.fn("TaskRepository.list")(function* (organizationId, filters, limit, after) {
          return yield* Rows.all(
            Task,
            sql`
              SELECT ${columns} FROM crm.tasks t
              WHERE ${sql.and([
                sql`t.organization_id = ${organizationId}`,
                ...(filters.assigneeId === undefined ? [] : [sql`t.assignee_id = ${filters.assigneeId}`]),
                ...(filters.status === undefined ? [] : [sql`t.status = ${filters.status}`]),
                ...(filters.dealId === undefined ? [] : [sql`t.deal_id = ${filters.dealId}`]),
                ...(filters.contactId === undefined ? [] : [sql`t.contact_id = ${filters.contactId}`]),
                ...(after === undefined ? [] : [sql`(${dueKey}, t.id) > (${after[0]}::timestamptz, ${after[1]})`])
              ])}
              ORDER BY ${dueKey}, t.id
              LIMIT ${limit + 1}`
          )
        })
      })
    })
  )
}
