/** The fixed ends of the retirement state list (SPEC §8). */
export const FIRST_RETIREMENT_STATE = 'PENDING';
export const LAST_RETIREMENT_STATES = ['ERRORED', 'ABORTED', 'COMPLETE'] as const;

/**
 * Checks the ordered retirement state list: `PENDING` first, `ERRORED`, `ABORTED`, `COMPLETE` last,
 * every `RETIRING_X` followed (somewhere later) by its `X_COMPLETE`, no duplicates.
 * Returns one human message per problem.
 */
export function validateRetirementStates(states: readonly string[]): string[] {
  const problems: string[] = [];
  const duplicates = states.filter((state, index) => states.indexOf(state) !== index);
  for (const state of new Set(duplicates)) problems.push(`duplicate state '${state}'`);
  if (states[0] !== FIRST_RETIREMENT_STATE)
    problems.push(`the first state must be '${FIRST_RETIREMENT_STATE}'`);
  const tail = states.slice(-LAST_RETIREMENT_STATES.length);
  if (tail.join(',') !== LAST_RETIREMENT_STATES.join(',')) {
    problems.push(
      `the last states must be ${LAST_RETIREMENT_STATES.map((s) => `'${s}'`).join(', ')} in that order`,
    );
  }
  states.forEach((state, index) => {
    if (!state.startsWith('RETIRING_')) return;
    const complete = `${state.slice('RETIRING_'.length)}_COMPLETE`;
    if (!states.slice(index + 1).includes(complete)) {
      problems.push(`'${state}' must be followed by '${complete}'`);
    }
  });
  return problems;
}
