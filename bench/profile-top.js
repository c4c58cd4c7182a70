#!/usr/bin/env node
/**
 * The top frames of a V8 CPU profile (`node --cpu-prof`): self time per function and per module, so a
 * benchmark row can say where rostersync's own time goes.
 *
 *   node bench/profile-top.js FILE.cpuprofile [--top 20]
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function shortUrl(url) {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.startsWith('/') ? relative(root, path) : path;
}

function moduleOf(url) {
  const path = shortUrl(url);
  const nodeModule = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (nodeModule) return nodeModule[1];
  if (path.startsWith('dist/')) return path.split('/').slice(0, 2).join('/');
  if (path.startsWith('node:')) return 'node internals';
  return path;
}

/** { total, frames: [{ name, ms, share }], modules: [{ name, ms, share }] } of one profile. */
export async function summarizeProfile(file, top = 15) {
  const profile = JSON.parse(await readFile(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map();
  profile.samples.forEach((id, index) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const frames = new Map();
  const modules = new Map();
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const { callFrame } = byId.get(id);
    const name = `${callFrame.functionName || '(anonymous)'} ${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}`;
    const label = callFrame.url ? name : callFrame.functionName;
    frames.set(label, (frames.get(label) ?? 0) + micros);
    const module = callFrame.url ? moduleOf(callFrame.url) : callFrame.functionName;
    modules.set(module, (modules.get(module) ?? 0) + micros);
    total += micros;
  }
  // Inclusive time: each sample counts once for every distinct function on its stack.
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map();
  for (const [id, micros] of selfMicros) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const { callFrame } = byId.get(at);
      if (!callFrame.url) continue;
      const label = `${callFrame.functionName || '(anonymous)'} ${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}`;
      if (seen.has(label)) continue;
      seen.add(label);
      inclusive.set(label, (inclusive.get(label) ?? 0) + micros);
    }
  }
  const rank = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / total }));
  return {
    totalMs: total / 1000,
    frames: rank(frames),
    modules: rank(modules),
    inclusive: rank(inclusive),
  };
}

export function formatSummary(summary) {
  const row = ({ name, ms, share }) =>
    `  ${ms.toFixed(0).padStart(8)} ms ${(share * 100).toFixed(1).padStart(5)} %  ${name}`;
  return [
    `profile: ${summary.totalMs.toFixed(0)} ms sampled`,
    'self time by module:',
    ...summary.modules.map(row),
    'self time by function:',
    ...summary.frames.map(row),
    'total time (with callees) by function:',
    ...summary.inclusive.map(row),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file] = process.argv.slice(2);
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 20;
  if (!file) {
    console.error('usage: node bench/profile-top.js FILE.cpuprofile [--top N]');
    process.exit(2);
  }
  console.log(formatSummary(await summarizeProfile(file, top)));
}
