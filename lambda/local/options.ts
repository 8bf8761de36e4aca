import { parseArgs } from 'node:util';
import { fieldList } from '../monitoring/capture-sampling';
import { parseShadowOptions, type ShadowOption } from '../shadow/shadow-option';
import { DEFAULT_SPIN_WAIT_MS, parseSpinWaitMs } from './spin-wait';

/** How the local server is started: the command line first, then the environment, then these defaults. */
export interface LocalServerOptions {
  readonly port: number;
  readonly host: string;
  readonly modelsDir: string;
  /** Serve every version of each model instead of only the one a deploy would serve (the highest). */
  readonly allVersions: boolean;
  /** Candidate versions that get a copy of live inferences once they are answered (`--shadow`). @default - none */
  readonly shadow?: readonly ShadowOption[];
  /** Capture inferences and feedback to a folder (`--capture`). @default - no capture, feedback answers 404 */
  readonly capture?: LocalCaptureOption;
  /** At most this many model versions hold a session at once (`--max-loaded-models`). @default - no limit */
  readonly maxLoadedModels?: number;
  /** How long a core spins after each request for the next (`--spin-wait-ms`, spin-wait.ts); 0 turns it off. */
  readonly spinWaitMs: number;
}

/** What the local twin captures, and where. */
export interface LocalCaptureOption {
  readonly folder: string;
  /** In (0, 1]. */
  readonly sampleRate: number;
  readonly dropFields: readonly string[];
  readonly hashFields: readonly string[];
}

export const DEFAULT_PORT = 8080;
// Loopback by default: the local twin has no authentication, so exposing it on the network is an explicit choice.
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_MODELS_DIR = 'models';

export const USAGE = `Usage: npm start -- [options]

Serves every model of a repository folder (<name>/<version>/model.onnx) over the Open Inference Protocol (KServe v2),
with the same handler code and limits as the deployed API.

Options:
  --port <n>        port to listen on; 0 picks a free one       (env PORT, default ${DEFAULT_PORT})
  --host <address>  address to listen on; 0.0.0.0 exposes the   (env HOST, default ${DEFAULT_HOST})
                    server, which has no authentication, to your network
  --models <dir>    model repository folder                     (env MODELS_DIR, default ${DEFAULT_MODELS_DIR})
  --all-versions    serve every version of each model; by default only the highest, as a deploy does
  --max-loaded-models <n>
                    keep at most n model versions loaded; loading another releases the least recently
                    used, which loads again on its next request   (env MAX_LOADED_MODELS, default no limit)
  --spin-wait-ms <ms>
                    after each request, keep one core spinning at the lowest priority for up to <ms>, so
                    that one client's next request finds it awake (Linux; paused while requests overlap;
                    0 turns it off)                              (env SPIN_WAIT_MS, default ${DEFAULT_SPIN_WAIT_MS})
  --shadow <name>=<version>[@rate]
                    after answering a share (rate, default 1) of <name>'s inferences, run them on <version>
                    too and print how the answers agree (EMF metric lines); repeat for other models
  --capture <dir>   capture inference requests and answers, and accept feedback, into <dir> in the capture
                    layout (captures/model=<name>/version=<v>/date=<YYYY-MM-DD>/hour=<HH>/*.jsonl, feedback/...)
  --capture-sample <rate>
                    share of inferences captured, greater than 0 and at most 1 (default 1)
  --capture-drop <fields>
                    comma-separated features or tensor names captured as null
  --capture-hash <fields>
                    comma-separated features or tensor names captured as a salted hash (salt: env
                    CAPTURE_HASH_SALT, random for each run when unset)
  -h, --help        print this help and exit
`;

/** The command line asked for the usage text instead of a server. */
export class HelpRequested {}

/** Throws an Error naming the bad option or value, for the caller to print with the usage. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): LocalServerOptions | HelpRequested {
  const { values, positionals } = parseCommandLine(argv);
  if (values.help) return new HelpRequested();
  if (positionals.length > 0) {
    throw new Error(
      `unexpected argument "${positionals[0]}"; options start with --, such as --models ${positionals[0]}`,
    );
  }
  // An empty variable counts as unset, as in a shell's ${PORT:-8080}.
  const portText = values.port ?? (env.PORT || String(DEFAULT_PORT));
  const port = Number(portText);
  if (portText.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port (or PORT) must be an integer from 0 to 65535, got "${portText}"`);
  }
  return {
    port,
    host: values.host ?? (env.HOST || DEFAULT_HOST),
    modelsDir: values.models ?? (env.MODELS_DIR || DEFAULT_MODELS_DIR),
    allVersions: values['all-versions'],
    ...maxLoadedModelsOption(values['max-loaded-models'] ?? (env.MAX_LOADED_MODELS || undefined)),
    spinWaitMs: parseSpinWaitMs(
      values['spin-wait-ms'] ?? env.SPIN_WAIT_MS,
      values['spin-wait-ms'] === undefined ? 'SPIN_WAIT_MS' : '--spin-wait-ms',
    ),
    ...(values.shadow && { shadow: parseShadowOptions(values.shadow) }),
    ...captureOption(values),
  };
}

function maxLoadedModelsOption(text: string | undefined): { maxLoadedModels?: number } {
  if (text === undefined) return {};
  const max = Number(text);
  if (text.trim() === '' || !Number.isInteger(max) || max < 1) {
    throw new Error(`--max-loaded-models (or MAX_LOADED_MODELS) must be a whole number of at least 1, got "${text}"`);
  }
  return { maxLoadedModels: max };
}

function captureOption(values: {
  readonly capture?: string;
  readonly 'capture-sample'?: string;
  readonly 'capture-drop'?: string;
  readonly 'capture-hash'?: string;
}): { capture?: LocalCaptureOption } {
  const folder = values.capture;
  if (folder === undefined) {
    const stray = (['capture-sample', 'capture-drop', 'capture-hash'] as const).find(
      (name) => values[name] !== undefined,
    );
    if (stray !== undefined) throw new Error(`--${stray} needs --capture <dir>, the folder to capture into`);
    return {};
  }
  if (folder.trim() === '') throw new Error('--capture needs a folder, such as --capture captures');
  const rateText = values['capture-sample'] ?? '1';
  const sampleRate = Number(rateText);
  if (rateText.trim() === '' || !(sampleRate > 0 && sampleRate <= 1)) {
    throw new Error(`--capture-sample must be a number greater than 0 and at most 1, got "${rateText}"`);
  }
  return {
    capture: {
      folder,
      sampleRate,
      dropFields: fieldList(values['capture-drop']),
      hashFields: fieldList(values['capture-hash']),
    },
  };
}

function parseCommandLine(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        models: { type: 'string' },
        'all-versions': { type: 'boolean', default: false },
        'max-loaded-models': { type: 'string' },
        'spin-wait-ms': { type: 'string' },
        shadow: { type: 'string', multiple: true },
        capture: { type: 'string' },
        'capture-sample': { type: 'string' },
        'capture-drop': { type: 'string' },
        'capture-hash': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
    });
  } catch (error) {
    // Node's own message for an unknown option suggests passing it as a positional argument, which is no help here.
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message);
    throw new Error(unknown === null ? (error as Error).message : `unknown option ${unknown[1]}`);
  }
}
