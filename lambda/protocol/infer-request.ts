/** Parses and validates an Open Inference Protocol inference request body against the model it is sent to. */
import { BadRequestError } from './errors';
import { describe, isJsonObject, type JsonObject } from './json';
import { DATATYPES, type Datatype, type ModelSpec, type Tensor, type TensorSpec } from './tensor';
import { decodeTensorData, formatShape } from './tensor-data';

export interface InferRequest {
  readonly id?: string;
  /** Accepted as the protocol allows, but no parameter changes how this server runs a model. */
  readonly parameters?: Record<string, unknown>;
  /** One tensor per model input, in the model's input order. */
  readonly inputs: Tensor[];
  /** The output names to return, in the model's output order; every output when the request names none. */
  readonly outputs: string[];
}

export function decodeInferRequest(body: unknown, model: ModelSpec): InferRequest {
  if (!isJsonObject(body)) {
    throw new BadRequestError(`the request body must be a JSON object with "inputs", got ${describe(body)}`);
  }
  const { id, parameters } = body;
  if (id !== undefined && typeof id !== 'string') {
    throw new BadRequestError(`"id" must be a string when present, got ${describe(id)}`);
  }
  if (parameters !== undefined && !isJsonObject(parameters)) {
    throw new BadRequestError(`"parameters" must be an object when present, got ${describe(parameters)}`);
  }
  const request: InferRequest = {
    inputs: decodeInputs(body.inputs, model),
    outputs: decodeRequestedOutputs(body.outputs, model),
  };
  return {
    ...(id !== undefined && { id }),
    ...(parameters !== undefined && { parameters }),
    ...request,
  };
}

function decodeInputs(inputs: unknown, model: ModelSpec): Tensor[] {
  const expectedNames = listNames(model.inputs);
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new BadRequestError(
      `"inputs" must be a non-empty array of tensors, got ${describe(inputs)}; model "${model.name}" expects ${expectedNames}`,
    );
  }
  const received = new Map<string, JsonObject>();
  inputs.forEach((input: unknown, index) => {
    if (!isJsonObject(input)) {
      throw new BadRequestError(
        `inputs[${index}] must be an object with "name", "shape", "datatype" and "data", got ${describe(input)}`,
      );
    }
    const name = input.name;
    if (typeof name !== 'string') {
      throw new BadRequestError(`inputs[${index}] must have a string "name", got ${describe(name)}`);
    }
    if (!model.inputs.some((spec) => spec.name === name)) {
      throw new BadRequestError(`unknown input "${name}": model "${model.name}" expects ${expectedNames}`);
    }
    if (received.has(name)) {
      throw new BadRequestError(`input "${name}" is given more than once; send each input once`);
    }
    received.set(name, input);
  });
  return model.inputs.map((spec) => {
    const input = received.get(spec.name);
    if (input === undefined) {
      throw new BadRequestError(
        `missing input "${spec.name}": model "${model.name}" needs every one of ${expectedNames}`,
      );
    }
    return decodeInput(input, spec);
  });
}

function decodeInput(input: JsonObject, spec: TensorSpec): Tensor {
  const { name } = spec;
  for (const field of ['shape', 'datatype', 'data'] as const) {
    if (input[field] === undefined) {
      throw new BadRequestError(
        `input "${name}" is missing "${field}": every input needs "name", "shape", "datatype" and "data" ` +
          `(the model expects ${spec.datatype} ${formatShape(spec.shape)})`,
      );
    }
  }
  const datatype = decodeDatatype(input.datatype, spec);
  const shape = decodeShape(input.shape, spec);
  if (!Array.isArray(input.data)) {
    throw new BadRequestError(
      `input "${name}": "data" must be an array (flat or nested, row-major), got ${describe(input.data)}`,
    );
  }
  return { name, datatype, shape, data: decodeTensorData(name, datatype, shape, input.data) };
}

function decodeDatatype(datatype: unknown, spec: TensorSpec): Datatype {
  if (!isDatatype(datatype)) {
    throw new BadRequestError(
      `input "${spec.name}": "datatype" must be one of ${DATATYPES.join(', ')}, got ${describe(datatype)}`,
    );
  }
  if (datatype !== spec.datatype) {
    throw new BadRequestError(`input "${spec.name}" has datatype ${datatype}, but the model expects ${spec.datatype}`);
  }
  return datatype;
}

function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && (DATATYPES as readonly string[]).includes(value);
}

function decodeShape(shape: unknown, spec: TensorSpec): number[] {
  const expected = `the model's shape ${formatShape(spec.shape)}, where -1 accepts any size`;
  if (!Array.isArray(shape) || !shape.every((dimension) => Number.isSafeInteger(dimension) && dimension >= 0)) {
    throw new BadRequestError(
      `input "${spec.name}": "shape" must be an array of non-negative integers matching ${expected}, got ${
        Array.isArray(shape) ? JSON.stringify(shape) : describe(shape)
      }`,
    );
  }
  const dimensions: number[] = shape;
  if (dimensions.length !== spec.shape.length) {
    throw new BadRequestError(
      `input "${spec.name}" has shape ${formatShape(dimensions)} of rank ${dimensions.length}, but the model expects ` +
        `rank ${spec.shape.length}: ${expected}`,
    );
  }
  spec.shape.forEach((modelDimension, axis) => {
    if (modelDimension !== -1 && modelDimension !== dimensions[axis]) {
      throw new BadRequestError(
        `input "${spec.name}" has shape ${formatShape(dimensions)}: dimension ${axis} is ${dimensions[axis]}, but ` +
          `the model expects ${modelDimension} (${expected})`,
      );
    }
  });
  return dimensions;
}

function decodeRequestedOutputs(outputs: unknown, model: ModelSpec): string[] {
  const allNames = model.outputs.map((spec) => spec.name);
  // An empty list is read like an absent one: clients such as tritonclient send [] when nothing was picked.
  if (outputs === undefined || (Array.isArray(outputs) && outputs.length === 0)) return allNames;
  const expected = `model "${model.name}" has outputs ${listNames(model.outputs)}`;
  if (!Array.isArray(outputs)) {
    throw new BadRequestError(
      `"outputs" must be an array of {"name": ...} when present, got ${describe(outputs)}; ${expected}`,
    );
  }
  const requested = new Set<string>();
  outputs.forEach((output: unknown, index) => {
    const name = isJsonObject(output) ? output.name : undefined;
    if (typeof name !== 'string') {
      throw new BadRequestError(`outputs[${index}] must be an object with a string "name", got ${describe(output)}`);
    }
    if (!allNames.includes(name)) {
      throw new BadRequestError(`unknown output "${name}": ${expected}`);
    }
    if (requested.has(name)) {
      throw new BadRequestError(`output "${name}" is requested more than once; request each output once`);
    }
    requested.add(name);
  });
  return allNames.filter((name) => requested.has(name));
}

function listNames(specs: readonly TensorSpec[]): string {
  return specs.map((spec) => `"${spec.name}" (${spec.datatype} ${formatShape(spec.shape)})`).join(', ');
}
