import { PreTrafficHookEnvironment } from '../../contract/environment';
import type { GoldenTarget } from './golden-request';

/** What a pre-traffic hook checks: which function version, with which golden set (pinned by sha256). */
export interface PreTrafficCheck {
  readonly targetFunction: string;
  readonly target: GoldenTarget;
  readonly golden: { readonly bucket: string; readonly key: string; readonly sha256: string };
}

/** Reads the hook's settings; throws an Error naming every variable that is missing, which the stack must set. */
export function readPreTrafficCheck(env: NodeJS.ProcessEnv): PreTrafficCheck {
  const missing = Object.values(PreTrafficHookEnvironment).filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(`the hook's environment lacks ${missing.join(', ')}: the stack sets them; redeploy it`);
  }
  const value = (name: string) => env[name] ?? '';
  return {
    targetFunction: value(PreTrafficHookEnvironment.targetFunction),
    target: {
      model: value(PreTrafficHookEnvironment.modelName),
      version: value(PreTrafficHookEnvironment.modelVersion),
    },
    golden: {
      bucket: value(PreTrafficHookEnvironment.goldenBucket),
      key: value(PreTrafficHookEnvironment.goldenKey),
      sha256: value(PreTrafficHookEnvironment.goldenSha256),
    },
  };
}
