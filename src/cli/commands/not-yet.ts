import { RostersyncError } from '../../errors.js';
import type { CliIO } from '../../app/io.js';
import { type CommonArgs, loadRuntime } from '../../app/runtime.js';

/**
 * Commands whose engine is still being built validate their config like the finished command will (so a
 * bad config is exit 2 already), then say plainly that the work itself is not there yet.
 */
export async function notImplementedYet(name: string, args: CommonArgs, io: CliIO): Promise<never> {
  await loadRuntime(args, io);
  throw new RostersyncError(`rostersync ${name} is not implemented yet`);
}
