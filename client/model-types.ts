/**
 * Per-model typing. A client can be told its models' input and output datatypes (`model-endpoint types` writes them
 * from the models' descriptors): the compiler then checks input names and datatypes and gives each output its typed
 * array. Without it every name is a string and every datatype possible.
 */
import type { Datatype } from '../contract/datatypes';
import type { InputTensor, JsonNested, OutputTensor } from './tensors';

export interface ModelTypes {
  readonly inputs: { readonly [name: string]: Datatype };
  readonly outputs: { readonly [name: string]: Datatype };
}

/** A model catalog: an interface (such as the generated `Models`) whose every member is a ModelTypes. */
export type ModelCatalog<M> = { readonly [K in keyof M]: ModelTypes };

export type AnyModels = Readonly<Record<string, ModelTypes>>;

type Names<T extends ModelTypes, R extends 'inputs' | 'outputs'> = keyof T[R] & string;

/** Any of the model's inputs, with its datatype's data. */
export type InputOf<T extends ModelTypes> = {
  [N in Names<T, 'inputs'>]: InputTensor<T['inputs'][N]> & { readonly name: N };
}[Names<T, 'inputs'>];

export interface InferRequestOf<T extends ModelTypes> {
  /** Echoed in the answer. */
  readonly id?: string;
  readonly parameters?: Readonly<Record<string, string | number | boolean>>;
  readonly inputs: readonly InputOf<T>[];
  /** The outputs to return, in this order. @default - every output */
  readonly outputs?: readonly Names<T, 'outputs'>[];
}

export interface InferResult<T extends ModelTypes> {
  readonly model_name: string;
  readonly model_version: string;
  readonly id?: string;
  readonly outputs: readonly OutputTensor[];
  /** The output of that name; throws when the answer does not hold it (not requested). */
  output<N extends Names<T, 'outputs'>>(name: N): OutputTensor<T['outputs'][N]>;
}

export type PredictInstances = readonly JsonNested[];
