import { type GoldenSet, goldenMismatch } from '../../contract/golden-set';
import { type GoldenTarget, goldenLabel, goldenRequestBody, inferPath } from './golden-request';

/** An HTTP answer as it arrived: status and body text. */
export interface GoldenAnswer {
  readonly status: number;
  readonly body: string;
}

/** Sends one request body to the path (a model version's infer route) and returns the answer. */
export type SendGoldenRequest = (path: string, body: string) => Promise<GoldenAnswer>;

export type ReplayOutcome =
  | { readonly passed: true; readonly cases: number; readonly ms: number; readonly message: string }
  | { readonly passed: false; readonly casesPassed: number; readonly ms: number; readonly message: string };

/**
 * Replays a golden set against a model version, case by case, and stops at the first case whose answer differs: the
 * one comparison the pre-traffic hook and `npm run verify` share, so a set that passes locally is judged by the same
 * rules in AWS. The failure message names the golden set, the case and the difference, e.g.
 * `golden set of penguins version 2: case "held-out row 17": output "label" element 0 is "Adelie", expected "Gentoo"`.
 * A request that cannot be sent at all (`send` throws) fails the replay with the reason, never escapes as an error.
 */
export async function replayGoldenSet(
  golden: GoldenSet,
  target: GoldenTarget,
  send: SendGoldenRequest,
): Promise<ReplayOutcome> {
  const label = goldenLabel(target);
  const path = inferPath(target);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  for (const [index, goldenCase] of golden.cases.entries()) {
    let difference: string | undefined;
    try {
      difference = answerMismatch(golden, index, await send(path, goldenRequestBody(goldenCase.request)));
    } catch (error) {
      difference = `the request failed: ${(error as Error).message}`;
    }
    if (difference !== undefined) {
      return {
        passed: false,
        casesPassed: index,
        ms: elapsed(),
        message: `${label}: case "${goldenCase.name}": ${difference}`,
      };
    }
  }
  const ms = elapsed();
  return { passed: true, cases: golden.cases.length, ms, message: `${label}: ${golden.cases.length} cases passed` };
}

function answerMismatch(golden: GoldenSet, index: number, answer: GoldenAnswer): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return `the answer (status ${answer.status}) is not JSON: ${shorten(answer.body)}`;
  }
  if (answer.status !== 200) {
    const error = (body as { error?: unknown } | null)?.error;
    return `the answer is status ${answer.status}, expected 200 (${typeof error === 'string' ? shorten(error) : shorten(answer.body)})`;
  }
  return goldenMismatch(
    golden.cases[index].expected,
    (body as { outputs?: unknown } | null)?.outputs,
    golden.tolerance,
  );
}

function shorten(text: string): string {
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
