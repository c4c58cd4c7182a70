#!/usr/bin/env -S node --max-semi-space-size=16 --expose-gc
// The installed command: runs the compiled CLI that `npm run build` puts in dist/.
//
// Memory: much of a run's peak RSS is garbage V8 lets pile up, not the run's data.
// - The young generation is capped at 16 MB per semi-space (the #! line: it cannot change once V8 runs).
//   Node's default grows it to 64 MB on a large machine, and decoding a directory's users fills all of it.
// - The old generation grows by 30 % of its live size between full collections, not by up to 4×: the
//   plan's data stays, but the garbage of writing it does not pile up for a minute. At a million users the
//   live heap is ~650 MB: growing by half took the peak over 1 GB; 30 % costs a no-op ~2 s (~5 s of CPU).
// - `gc` is exposed so that a run collects the garbage of a large plan's making once, before its writes:
//   the growth during the writes is then reckoned from what they hold (a 100k create: ~320 → ~290 MB).
// Together they give about the same speed with a third to half less peak RSS (bench/RESULTS.md).
import { existsSync } from 'node:fs';
import module from 'node:module';
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--heap-growing-percent=30');
// V8's compiled code of rostersync's and its libraries' modules, kept between runs (in the system's temporary
// directory unless NODE_COMPILE_CACHE names one): a run starts ~0.1 s sooner. Checked against each file's
// contents, so an update never runs stale code.
module.enableCompileCache?.();

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('rostersync: dist/ is missing; run `npm run build` first\n');
  process.exit(1);
}
const { run } = await import(entry.href);
process.exitCode = await run(process.argv.slice(2));
