/**
 * Summarizes V8 CPU profiles (node --cpu-prof) as the bench's evidence for where time goes: self time by function
 * and by file, heaviest first. Not part of `npm run bench`; run it on profiles of the twin under load:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx lambda/local-server.ts --port 8080 --models bench/models
 *   (load it, stop it with Ctrl-C)
 *   npx tsx bench/profile-summary.ts /tmp/prof/*.cpuprofile
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  return url.replace(/^file:\/\//, '').replace(`${path.resolve(__dirname, '..')}/`, '') || '(native)';
}

function summarizeProfile(file: string, top: number): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByFunction = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) return;
    total += micros;
    // Idle is time the thread waited for work; shares below are of the busy rest, where the cost is.
    if (frame.functionName === '(idle)') {
      idle += micros;
      return;
    }
    const where = shortUrl(frame.url);
    const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + micros);
    selfByFile.set(where, (selfByFile.get(where) ?? 0) + micros);
  });
  const lines = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => `  ${((100 * micros) / (total - idle)).toFixed(1).padStart(5)}%  ${name}`);
  return [
    `${path.basename(file)}: ${(total / 1e6).toFixed(2)} s sampled, ${((total - idle) / 1e6).toFixed(2)} s busy`,
    ' self time by function, % of busy:',
    ...lines(selfByFunction),
    ' self time by file, % of busy:',
    ...lines(selfByFile),
  ].join('\n');
}

for (const file of process.argv.slice(2)) console.log(`${summarizeProfile(file, 20)}\n`);
