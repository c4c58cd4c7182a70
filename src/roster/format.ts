import type { RosterProblem } from './types.js';

/** Renders a problem the way compilers do: `roster.csv:12:3: email: 'x@' is not a valid e-mail address`. */
export function formatProblem(problem: RosterProblem): string {
  const position = problem.column === undefined ? `${problem.line}` : `${problem.line}:${problem.column}`;
  const field = problem.field === undefined ? '' : `${problem.field}: `;
  return `${problem.file}:${position}: ${field}${problem.message}`;
}
