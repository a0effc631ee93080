/**
 * crm.task.create, crm.task.complete, crm.task.list
 */
import { implement } from "@tessera/contract-server/Implementation"
import { ContactNotFound, DealNotFound } from "@tessera/contracts/crm/Deals"
import { TaskCompleted } from "@tessera/contracts/crm/Events"
import { DEFAULT_LIMIT } from "@tessera/contracts/crm/Shared"
import { CompleteTask, CreateTask, ListTasks, TaskAlreadyCompleted, TaskNotFound } from "@tessera/contracts/crm/Tasks"
import { Clock, Effect, Option } from "effect"
import { CrmIds } from "../domain/CrmIds.ts"
import { afterCursor, paginate } from "../domain/Cursor.ts"
import { ContactRepository } from "../repositories/ContactRepository.ts"
import { DealRepository } from "../repositories/DealRepository.ts"
import { TaskRepository } from "../repositories/TaskRepository.ts"

export const createTask = implement(CreateTask, (input, { actor }) =>
  Effect.gen(function* () {
    const organizationId = actor.organizationId
    if (input.dealId !== undefined) {
      const dealId = input.dealId
      const deal = yield* Effect.flatMap(DealRepository, (deals) => deals.findById(organizationId, dealId))
      if (Option.isNone(deal))
        return yield* new DealNotFound({ dealId, detail: `No deal ${dealId} in your organization.` })
    }
    if (input.contactId !== undefined) {
      const contactId = input.contactId
      const exists = yield* Effect.flatMap(ContactRepository, (contacts) => contacts.exists(organizationId, contactId))
      if (!exists)
        return yield* new ContactNotFound({ contactId, detail: `No contact ${contactId} in your organization.` })
    }
    const tasks = yield* TaskRepository
    return yield* tasks.insert({
      organizationId,
      id: yield* Effect.flatMap(CrmIds, (ids) => ids.next("task")),
      type: input.type,
      title: input.title,
      dueAt: input.dueAt ?? null,
      assigneeId: input.assigneeId ?? actor.userId,
      dealId: input.dealId ?? null,
      contactId: input.contactId ?? null,
      at: new Date(yield* Clock.currentTimeMillis)
    })
  })
)

export const completeTask = implement(CompleteTask, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const tasks = yield* TaskRepository
    const task = yield* tasks.findById(actor.organizationId, input.taskId, { lock: true }).pipe(
      Effect.flatMap(
        Option.match({
          onNone: () =>
            Effect.fail(
              new TaskNotFound({ taskId: input.taskId, detail: `No task ${input.taskId} in your organization.` })
            ),
          onSome: Effect.succeed
        })
      )
    )
    if (task.status === "completed") {
      return yield* new TaskAlreadyCompleted({ taskId: task.id, detail: `Task ${task.id} was completed before.` })
    }
    const completed = yield* tasks.complete(actor.organizationId, task.id, new Date(yield* Clock.currentTimeMillis))
    if (completed.completedAt === null) return yield* Effect.die(`task ${task.id} completed without completedAt`)
    yield* emit(TaskCompleted, {
      taskId: completed.id,
      type: completed.type,
      assigneeId: completed.assigneeId,
      dealId: completed.dealId,
      contactId: completed.contactId,
      completedAt: completed.completedAt
    })
    return completed
  })
)

export const listTasks = implement(ListTasks, (input, { actor }) =>
  Effect.gen(function* () {
    const limit = input.limit ?? DEFAULT_LIMIT
    const after = yield* afterCursor(input.cursor, "crm.task.list")
    const rows = yield* Effect.flatMap(TaskRepository, (tasks) =>
      tasks.list(
        actor.organizationId,
        { assigneeId: input.assigneeId, status: input.status, dealId: input.dealId, contactId: input.contactId },
        limit,
        after
      )
    )
    return paginate(rows, limit, (task) => [task.dueAt ?? TaskRepository.FAR_FUTURE, task.id])
  })
)
