// The resource-server guard's public entry point (`stepup-oidc/resource-server`): explicit named exports only.
export { createGuard, type Guard, type GuardInput } from './guard.ts';
export { koaGuard, type GuardState } from './koa.ts';
export { nodeGuard, type AuthenticatedRequest, type NodeMiddleware } from './node.ts';
export { checkRequirement, type CheckContext } from './check-requirement.ts';
export { routeRequirement, type RouteRequirement } from './requirement.ts';
export { bearerChallenge, descriptionText, dpopChallenge, quotedString, type ChallengeParams } from './www-authenticate.ts';
export { memoryReplayStore, ReplayStoreFullError, type MemoryReplayStoreOptions, type ReplayStore } from './replay-store.ts';
export { acceptedAcrValues, ladderFromAcrValues, levelOf, type RankedLadder, type RankedLevel } from './ladder.ts';
export { ERROR_TABLE, GuardConfigError, GuardError, type BearerError, type GuardErrorCode } from './errors.ts';
export type { AuthorizationDetail, DpopOptions, GuardOptions, GuardRequest, GuardResult, IntrospectionOptions, OperationRequirement, Requirement, VerifiedToken } from './types.ts';
