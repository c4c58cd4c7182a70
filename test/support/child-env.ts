/**
 * The environment for a CLI the test starts as its own process: only PATH and what the test gives — plus
 * whatever moves the clock of the test itself (`faketime` works by LD_PRELOAD and FAKETIME*), so that a
 * suite run under `faketime -f +400d` gives the child the same day as the test computing its dates.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const clock = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => name === 'LD_PRELOAD' || name.startsWith('FAKETIME') || name.startsWith('DYLD_'),
    ),
  );
  return { PATH: process.env.PATH, ...clock, ...extra };
}
