/**
 * integration.fieldMapping.add, .remove, .list
 */
import { implement } from "@tessera/contract-server/Implementation"
import { FieldMappingAdded } from "@tessera/contracts/integration-hub/Events"
import {
  AddFieldMapping,
  FieldMappingNotFound,
  InvalidMapping,
  ListFieldMappings,
  RemoveFieldMapping,
  TargetFieldTaken
} from "@tessera/contracts/integration-hub/FieldMappings"
import { Clock, Effect, Option } from "effect"
import { IntegrationIds } from "../domain/IntegrationIds.ts"
import { validateRule } from "../domain/Mapping.ts"
import { SyncConfigRepository } from "../repositories/SyncConfigRepository.ts"
import { findSyncConfig } from "./SyncConfigHandlers.ts"

export const addFieldMapping = implement(AddFieldMapping, (input, { actor, emit }) =>
  Effect.gen(function* () {
    const config = yield* findSyncConfig(actor.organizationId, input.syncConfigId)
    const reason = validateRule(input.rule)
    if (reason !== undefined)
      return yield* new InvalidMapping({ reason, detail: `The mapping cannot be applied: ${reason}.` })
    const configs = yield* SyncConfigRepository
    const added = yield* configs.addMapping({
      organizationId: actor.organizationId,
      id: yield* Effect.flatMap(IntegrationIds, (ids) => ids.next("map")),
      syncConfigId: config.id,
      targetField: input.targetField,
      rule: input.rule,
      at: new Date(yield* Clock.currentTimeMillis)
    })
    if (Option.isNone(added)) {
      return yield* new TargetFieldTaken({
        targetField: input.targetField,
        detail: `The sync config already maps ${input.targetField}; remove that mapping first.`
      })
    }
    yield* emit(FieldMappingAdded, {
      mappingId: added.value.id,
      syncConfigId: added.value.syncConfigId,
      targetField: added.value.targetField,
      ruleType: added.value.rule.type
    })
    return added.value
  })
)

export const removeFieldMapping = implement(RemoveFieldMapping, (input, { actor }) =>
  Effect.gen(function* () {
    const configs = yield* SyncConfigRepository
    const removed = yield* configs.removeMapping(actor.organizationId, input.mappingId)
    if (!removed) {
      return yield* new FieldMappingNotFound({
        mappingId: input.mappingId,
        detail: `No field mapping ${input.mappingId} in your organization.`
      })
    }
    return { removed: input.mappingId }
  })
)

export const listFieldMappings = implement(ListFieldMappings, (input, { actor }) =>
  Effect.gen(function* () {
    const config = yield* findSyncConfig(actor.organizationId, input.syncConfigId)
    const items = yield* Effect.flatMap(SyncConfigRepository, (configs) =>
      configs.mappings(actor.organizationId, config.id)
    )
    return { items }
  })
)
