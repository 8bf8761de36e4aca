/**
 * A typed client for the model-endpoint API (Open Inference Protocol v2 REST, as contract/http-api.ts declares it):
 * fetch-based, for Node.js 20+ and browsers. Every route has one method; inference sends and receives JSON or binary
 * tensor data; auth is an API key, IAM (SigV4) or a Cognito token; 429 and 503 are retried with backoff.
 */
import type { FeedbackRequest } from '../contract/capture';
import type { ModelMetadata, ServerMetadata } from '../lambda/protocol/metadata';
import type { TensorData } from '../lambda/protocol/tensor';
import type { PredictResponse } from '../lambda/protocol/v1-predict';
import { type AuthOptions, authHeaders } from './auth';
import {
  BINARY_MEDIA_TYPE,
  decodeTensorBytes,
  INFERENCE_HEADER_CONTENT_LENGTH,
  joinBinaryBody,
  tensorBytes,
} from './binary-tensor-data';
import { ModelEndpointError, serverMessageOf } from './errors';
import type { AnyModels, InferRequestOf, InferResult, ModelCatalog, ModelTypes, PredictInstances } from './model-types';
import { RETRY_DEFAULTS, RETRYABLE_STATUSES, type RetryOptions, retryDelayMs } from './retry';
import { type InputTensor, isTypedData, type JsonElement, jsonDataOf, type OutputTensor, typedOutput } from './tensors';

export interface ClientOptions {
  /** The API's base URL: the stack's ApiUrl output (with its stage path), or `http://127.0.0.1:8080` locally. */
  readonly url: string | URL;
  /** @default - no auth header (the local twin) */
  readonly auth?: AuthOptions;
  readonly retry?: RetryOptions;
  /** Per request, each retry separately. @default 30000 */
  readonly timeoutMs?: number;
  /** Told about each retry before its wait: the answer's status and the delay chosen. */
  readonly onRetry?: (event: { readonly status: number; readonly attempt: number; readonly delayMs: number }) => void;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export interface InferOptions {
  /** A version; without it the highest version serves. */
  readonly version?: string;
  /**
   * Binary tensor data both ways: typed-array inputs travel as raw bytes and every output comes back as raw bytes,
   * several times smaller and faster to parse than JSON numbers. @default false
   */
  readonly binary?: boolean;
  readonly signal?: AbortSignal;
}

interface WireOutput {
  readonly name: string;
  readonly datatype: OutputTensor['datatype'];
  readonly shape: number[];
  readonly data?: JsonElement[];
  readonly parameters?: { readonly binary_data_size?: number };
}

interface WireResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id?: string;
  readonly outputs: WireOutput[];
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

const UTF8 = new TextDecoder();

export class ModelEndpointClient<M extends ModelCatalog<M> = AnyModels> {
  private readonly base: string;
  private readonly retry: Required<RetryOptions>;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    // Paths are appended to the base so that a stage path (`/prod/`) is kept.
    this.base = String(options.url).replace(/\/+$/, '');
    if (!/^https?:\/\//.test(this.base)) {
      throw new Error(
        `url must be an http(s) URL such as https://abc123.execute-api.eu-west-1.amazonaws.com/prod/, got "${options.url}"`,
      );
    }
    this.retry = { ...RETRY_DEFAULTS, ...options.retry };
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** `GET /v2/health/live`. */
  async live(): Promise<boolean> {
    return (await this.json<{ live: boolean }>('GET', '/v2/health/live')).live;
  }

  /** `GET /v2/health/ready`: false while a model is loading (the 503 answer), not an error. */
  async ready(): Promise<boolean> {
    return (await this.json<{ ready: boolean }>('GET', '/v2/health/ready', { notReady: true })).ready;
  }

  /** `GET /v2`. */
  serverMetadata(): Promise<ServerMetadata> {
    return this.json('GET', '/v2');
  }

  /** `GET /v2/openapi.json`: the API's OpenAPI 3.1 document. */
  openapi(): Promise<Record<string, unknown>> {
    return this.json('GET', '/v2/openapi.json');
  }

  /** `GET /v2/models/<model>[/versions/<version>]`. */
  modelMetadata(model: keyof M & string, version?: string): Promise<ModelMetadata> {
    return this.json('GET', modelPath(model, version));
  }

  /** `GET /v2/models/<model>[/versions/<version>]/ready`: false while it cannot be loaded (503), not an error. */
  async modelReady(model: keyof M & string, version?: string): Promise<boolean> {
    return (await this.json<{ ready: boolean }>('GET', `${modelPath(model, version)}/ready`, { notReady: true })).ready;
  }

  /** `POST /v2/models/<model>[/versions/<version>]/infer`. */
  async infer<K extends keyof M & string>(
    model: K,
    request: InferRequestOf<M[K]>,
    options: InferOptions = {},
  ): Promise<InferResult<M[K]>> {
    const path = `${modelPath(model, options.version)}/infer`;
    const binary = options.binary === true;
    const chunks: Uint8Array[] = [];
    const inputs = request.inputs.map((input: InputTensor) => {
      const { name, datatype, shape } = input;
      if (binary && isTypedData(input)) {
        const bytes = tensorBytes(input.data as TensorData);
        chunks.push(bytes);
        return { name, datatype, shape, parameters: { binary_data_size: bytes.byteLength } };
      }
      return { name, datatype, shape, data: jsonDataOf(input) };
    });
    const header = {
      ...(request.id !== undefined && { id: request.id }),
      parameters: { ...request.parameters, ...(binary && { binary_data_output: true }) },
      inputs,
      ...(request.outputs !== undefined && { outputs: request.outputs.map((name) => ({ name })) }),
    };
    let answer: Answer;
    if (binary) {
      const { body, headerLength } = joinBinaryBody(header, chunks);
      answer = await this.send('POST', path, {
        body,
        headers: {
          'content-type': BINARY_MEDIA_TYPE,
          accept: BINARY_MEDIA_TYPE,
          [INFERENCE_HEADER_CONTENT_LENGTH]: String(headerLength),
        },
        signal: options.signal,
      });
    } else {
      answer = await this.send('POST', path, {
        body: JSON.stringify(header),
        headers: { 'content-type': 'application/json' },
        signal: options.signal,
      });
    }
    return inferResult<M[K]>(answer);
  }

  /** `POST /v1/models/<model>:predict`: rows of a single-input model in, one prediction per row out. */
  async predict(model: keyof M & string, instances: PredictInstances): Promise<PredictResponse['predictions']> {
    const response = await this.json<PredictResponse>('POST', `/v1/models/${encodeURIComponent(model)}:predict`, {
      body: JSON.stringify({ instances }),
    });
    return response.predictions;
  }

  /**
   * `POST /v2/models/<model>/feedback`: the true label or value of an earlier inference, named by the `id` it was
   * sent with. Resolves true once the server kept it; a model without capture answers 404 (ModelEndpointError).
   */
  async feedback(model: keyof M & string, feedback: FeedbackRequest): Promise<boolean> {
    const path = `/v2/models/${encodeURIComponent(model)}/feedback`;
    return (await this.json<{ accepted: boolean }>('POST', path, { body: JSON.stringify(feedback) })).accepted;
  }

  private async json<T>(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: string; notReady?: boolean } = {},
  ): Promise<T> {
    const answer = await this.send(method, path, {
      body: options.body,
      headers: options.body === undefined ? {} : { 'content-type': 'application/json' },
      // A readiness 503 is an answer ("not yet"), which a retry would only delay.
      acceptStatus: options.notReady === true ? 503 : undefined,
    });
    return parseJson<T>(answer, `${method} ${path}`);
  }

  /** Sends with auth, timeout and retries; returns a 2xx answer (or `acceptStatus`) and throws for anything else. */
  private async send(
    method: 'GET' | 'POST',
    path: string,
    request: {
      body?: string | Uint8Array;
      headers: Record<string, string>;
      signal?: AbortSignal;
      acceptStatus?: number;
    },
  ): Promise<Answer> {
    const url = new URL(this.base + path);
    const what = `${method} ${url.pathname}`;
    for (let attempt = 1; ; attempt++) {
      const headers = {
        accept: 'application/json',
        ...request.headers,
        ...(await authHeaders(this.options.auth, { method, url, headers: request.headers, body: request.body })),
      };
      const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
      let response: Response;
      try {
        response = await this.fetch(url, {
          method,
          headers,
          body: request.body as RequestInit['body'],
          signal: request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]),
        });
      } catch (error) {
        const reason = timeout.aborted
          ? `no answer within ${this.options.timeoutMs ?? 30_000} ms`
          : (((error as Error).cause as Error | undefined)?.message ?? (error as Error).message);
        throw new ModelEndpointError(`${what} failed: ${reason}`, undefined, undefined, attempt);
      }
      const body = new Uint8Array(await response.arrayBuffer());
      const answer = { status: response.status, headers: response.headers, body };
      if (response.ok || response.status === request.acceptStatus) return answer;
      const delayMs = RETRYABLE_STATUSES.has(response.status)
        ? retryDelayMs(this.retry, attempt, response.headers.get('retry-after'))
        : undefined;
      if (delayMs === undefined) throw errorOf(what, answer, attempt);
      this.options.onRetry?.({ status: response.status, attempt, delayMs });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

function modelPath(model: string, version: string | undefined): string {
  const base = `/v2/models/${encodeURIComponent(model)}`;
  return version === undefined ? base : `${base}/versions/${encodeURIComponent(version)}`;
}

function errorOf(what: string, answer: Answer, attempts: number): ModelEndpointError {
  const serverMessage = serverMessageOf(UTF8.decode(answer.body));
  const retried = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new ModelEndpointError(
    `${what} answered ${answer.status}${retried}${serverMessage === undefined ? '' : `: ${serverMessage}`}`,
    answer.status,
    serverMessage,
    attempts,
  );
}

function parseJson<T>(answer: Answer, what: string, bytes: Uint8Array = answer.body): T {
  try {
    return JSON.parse(UTF8.decode(bytes)) as T;
  } catch {
    throw new ModelEndpointError(
      `${what} answered ${answer.status} with a body that is not JSON: ${UTF8.decode(bytes.subarray(0, 200))}`,
      answer.status,
    );
  }
}

function inferResult<T extends ModelTypes>(answer: Answer): InferResult<T> {
  const headerLength = answer.headers.get(INFERENCE_HEADER_CONTENT_LENGTH);
  const length = headerLength === null ? answer.body.byteLength : Number(headerLength);
  const wire = parseJson<WireResponse>(answer, 'inference', answer.body.subarray(0, length));
  let offset = length;
  const outputs: OutputTensor[] = wire.outputs.map((output) => {
    const size = output.parameters?.binary_data_size;
    let data: TensorData;
    if (size === undefined) {
      data = typedOutput(output.name, output.datatype, output.shape, output.data ?? []);
    } else {
      data = decodeTensorBytes(output.name, output.datatype, answer.body.subarray(offset, offset + size));
      offset += size;
    }
    return { name: output.name, datatype: output.datatype, shape: output.shape, data } as OutputTensor;
  });
  return {
    model_name: wire.model_name,
    model_version: wire.model_version,
    ...(wire.id !== undefined && { id: wire.id }),
    outputs,
    output(name) {
      const found = outputs.find((output) => output.name === name);
      if (found === undefined) {
        throw new Error(
          `the answer has no output "${name}"; it has ${outputs.map((o) => `"${o.name}"`).join(', ') || 'none'}`,
        );
      }
      return found as never;
    },
  };
}
