import type { InvokeEndpointCommandOutput, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../protocol/binary-tensor-data';
import { BadGatewayError } from '../protocol/errors';
import { jsonHeaderSizeOf, sagemakerBinaryContentType } from '../protocol/sagemaker-content-type';
import type { ModelSpec, Tensor } from '../protocol/tensor';
import { decodeTensorData } from '../protocol/tensor-data';
import { toJsonData } from '../protocol/tensor-json';
import type { ApiRequest, ApiResponse } from '../serve-request';
import { type DescriptorSource, readDescriptorOf } from './descriptor-source';
import { invokeEndpointError } from './invoke-endpoint-errors';
import type { LoadedModel, ModelBackend } from './model-backend';

export interface SageMakerEndpoint {
  readonly name: string;
  readonly version: string;
  /** The endpoint that runs the model (this project's container, or a compatible one such as Triton's). */
  readonly endpointName: string;
  /** The model's pinned descriptor: the contract requests are checked against before they are forwarded. */
  readonly descriptor: DescriptorSource;
}

/**
 * A model served by a SageMaker endpoint. Loading it reads the descriptor only, so the function needs no ONNX
 * Runtime and no model file; requests are checked against the descriptor here (a bad request never costs an
 * endpoint invocation) and then passed to the endpoint unchanged, JSON or binary.
 */
export class SageMakerForwarderBackend implements ModelBackend {
  readonly name: string;
  readonly version: string;
  readonly location: string;
  readonly descriptor: DescriptorSource;

  constructor(
    private readonly client: SageMakerRuntimeClient,
    private readonly endpoint: SageMakerEndpoint,
  ) {
    this.name = endpoint.name;
    this.version = endpoint.version;
    this.location = `SageMaker endpoint ${endpoint.endpointName}`;
    this.descriptor = endpoint.descriptor;
  }

  async load(): Promise<LoadedModel> {
    const descriptor = await readDescriptorOf(this.endpoint.descriptor, this.endpoint);
    const spec: ModelSpec = {
      name: this.name,
      version: this.version,
      inputs: descriptor.inputs,
      outputs: descriptor.outputs,
    };
    const invoke = (body: Uint8Array, contentType: string) => this.invoke(body, contentType);
    return {
      spec,
      isAlive: true,
      forward: (request) => forwardInfer(invoke, request),
      run: (inputs, outputNames) => runThroughJson(invoke, spec, inputs, outputNames),
      release: async () => undefined,
    };
  }

  private async invoke(body: Uint8Array, contentType: string): Promise<InvokeEndpointCommandOutput> {
    sdk ??= require('@aws-sdk/client-sagemaker-runtime') as typeof import('@aws-sdk/client-sagemaker-runtime');
    try {
      return await this.client.send(
        new sdk.InvokeEndpointCommand({
          EndpointName: this.endpoint.endpointName,
          Body: body,
          ContentType: contentType,
        }),
      );
    } catch (error) {
      throw invokeEndpointError(error, this.endpoint.endpointName);
    }
  }
}

// Required on first use, not imported: the bundle is shared with ONNX functions, which never forward and would
// otherwise import the SDK (50-130 ms) at init.
let sdk: typeof import('@aws-sdk/client-sagemaker-runtime') | undefined;

type Invoke = (body: Uint8Array, contentType: string) => Promise<InvokeEndpointCommandOutput>;

/** A v2 infer request, already checked against the descriptor, sent as it came; the answer comes back as it was. */
async function forwardInfer(invoke: Invoke, request: ApiRequest): Promise<ApiResponse> {
  const headerLength = request.headers?.[INFERENCE_HEADER_CONTENT_LENGTH];
  const body =
    typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : (request.body ?? new Uint8Array());
  const output = await invoke(
    body,
    headerLength === undefined ? 'application/json' : sagemakerBinaryContentType(headerLength),
  );
  const answer = output.Body ?? new Uint8Array();
  const size = jsonHeaderSizeOf(output.ContentType);
  if (size === undefined) return { statusCode: 200, body: parseAnswer(answer) };
  const length = Number(size);
  if (length > answer.byteLength) {
    throw new BadGatewayError(
      `the SageMaker endpoint answered a binary body of ${answer.byteLength} bytes with json-header-size ${length}`,
    );
  }
  return {
    statusCode: 200,
    body: parseAnswer(answer.subarray(0, length)),
    binaryBody: answer,
    headers: { 'Inference-Header-Content-Length': size },
  };
}

/**
 * The tensor-level run, for a v1 predict: the decoded inputs go to the endpoint as a v2 JSON infer request and the
 * JSON outputs come back as tensors.
 */
async function runThroughJson(
  invoke: Invoke,
  spec: ModelSpec,
  inputs: readonly Tensor[],
  outputNames: readonly string[],
): Promise<Tensor[]> {
  const request = {
    inputs: inputs.map((tensor) => ({
      name: tensor.name,
      datatype: tensor.datatype,
      shape: tensor.shape,
      data: toJsonData(tensor),
    })),
    outputs: outputNames.map((name) => ({ name })),
  };
  const output = await invoke(Buffer.from(JSON.stringify(request), 'utf8'), 'application/json');
  const answer = parseAnswer(output.Body ?? new Uint8Array()) as { outputs?: unknown };
  const outputs = Array.isArray(answer.outputs) ? (answer.outputs as Array<Record<string, unknown>>) : [];
  return outputNames.map((name) => {
    const output = outputs.find((candidate) => candidate.name === name);
    const outputSpec = spec.outputs.find((candidate) => candidate.name === name);
    if (
      output === undefined ||
      outputSpec === undefined ||
      !Array.isArray(output.shape) ||
      !Array.isArray(output.data)
    ) {
      throw new BadGatewayError(`the SageMaker endpoint answered without output "${name}" of model ${spec.name}`);
    }
    const shape = output.shape as number[];
    try {
      return {
        name,
        datatype: outputSpec.datatype,
        shape,
        data: decodeTensorData(name, outputSpec.datatype, shape, output.data),
      };
    } catch (error) {
      throw new BadGatewayError(`the SageMaker endpoint answered an unreadable output: ${(error as Error).message}`);
    }
  });
}

function parseAnswer(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw new BadGatewayError(`the SageMaker endpoint answered a body that is not JSON (${(error as Error).message})`);
  }
}
