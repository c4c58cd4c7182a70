/**
 * SIGTERM/SIGINT during a one-shot import or purge (systemd stopping the service, Ctrl-C): the users already
 * started are finished, the rest is left for the next run, which the plan/apply design makes safe.
 */
export function stopOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    },
  };
}
