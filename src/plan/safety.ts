/**
 * The safety limit (SPEC §4.6): a truncated or wrong roster must not take out a whole school. When a plan
 * would remove more in-scope users than allowed, nothing is written (exit 3).
 */
import { formatMaxDeletions, type MaxDeletions } from '../config/index.js';
import { type PlanAction, REMOVAL_KINDS, type SafetyCheck } from './types.js';

export function removalLimit(limit: MaxDeletions, inScope: number): number {
  return limit.kind === 'count' ? limit.count : Math.floor((inScope * limit.percent) / 100);
}

export function safetyCheck(
  actions: readonly PlanAction[],
  inScope: number,
  limit: MaxDeletions,
): SafetyCheck {
  const removals = actions.filter((action) => REMOVAL_KINDS.has(action.kind)).length;
  const max = removalLimit(limit, inScope);
  return {
    removals,
    inScope,
    limit: max,
    setting: String(formatMaxDeletions(limit)),
    exceeded: removals > max,
  };
}
