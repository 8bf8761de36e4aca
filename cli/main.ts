/** `model-endpoint <command>`: the command line of the model-endpoint API. */
import { BENCH_USAGE } from './bench';
import { INSPECT_USAGE } from './inspect';
import { INVOKE_USAGE } from './invoke';
import { TYPES_USAGE } from './types';
import { VERIFY_USAGE } from './verify';

export const USAGE = `Usage: model-endpoint <command> [options]

Commands:
  invoke <model> --data <file|json>  run one inference, print the outputs
  inspect <model.onnx>               inputs, outputs, opsets, size, and the
                                     backend "auto" would choose
  bench <url> <model>                throughput, latency percentiles, histogram
  verify                             replay golden sets (local twin or an API)
  types                              the models' types, for the typed client

Every command takes --help; invoke, inspect, bench and verify take --json.`;

type Command = (
  argv: readonly string[],
  print: (line: string) => void,
  progress?: (line: string) => void,
) => Promise<number>;

// Each command loads its own dependencies (ONNX Runtime, the AWS SDK, the CDK library) only when it runs.
const COMMANDS: Record<string, { usage: string; load: () => Promise<Command> }> = {
  invoke: { usage: INVOKE_USAGE, load: async () => (await import('./invoke.js')).invoke },
  inspect: { usage: INSPECT_USAGE, load: async () => (await import('./inspect.js')).inspect },
  bench: { usage: BENCH_USAGE, load: async () => (await import('./bench.js')).bench },
  verify: { usage: VERIFY_USAGE, load: async () => (await import('./verify.js')).verify },
  types: { usage: TYPES_USAGE, load: async () => (await import('./types.js')).types },
};

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`model-endpoint: unknown command "${name}"\n\n${USAGE}`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  // A progress bar only on a terminal: redirected output gets the results alone. Each update rewrites the line.
  const progress = process.stderr.isTTY ? (line: string) => process.stderr.write(`\r\x1b[K${line}`) : undefined;
  try {
    return await (await command.load())(rest, (line) => console.log(line), progress);
  } catch (error) {
    progress?.('');
    const message = error instanceof Error ? error.message : String(error);
    console.error(`model-endpoint ${name}: ${message}`);
    return 1;
  }
}
