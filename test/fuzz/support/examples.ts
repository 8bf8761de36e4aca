/**
 * Builders for the regression corpus: each counterexample the fuzzer found, written as the smallest request that
 * shows it, runs first in its property on every run (fast-check `examples`), so a class of defect once found stays
 * guarded.
 */
import fc from 'fast-check';
import type { Datatype } from '../../../contract/datatypes';
import type { FuzzModel } from './fuzz-models';
import type { InferCase, TensorCase } from './infer-cases';
import type { Element, WireValue } from './tensor-values';

function feedOf(datatype: Datatype, wire: WireValue): Element['feed'] {
  if (datatype === 'BYTES') return String(wire);
  if (datatype === 'INT64' || datatype === 'UINT64') return BigInt(wire);
  if (datatype === 'BOOL') return wire === true ? 1 : 0;
  if (typeof wire === 'string') return Number(wire);
  return datatype === 'FP32' ? Math.fround(Number(wire)) : Number(wire);
}

/** A model of the fuzz repository, by name. */
export function modelNamed(models: readonly FuzzModel[], name: string): FuzzModel {
  const model = models.find((candidate) => candidate.name === name);
  if (model === undefined) throw new Error(`the fuzz repository has no model ${name}`);
  return model;
}

/** A request to `model` whose first input has this shape and these values (FP16 not supported: it needs bits). */
export function exampleCase(
  model: FuzzModel,
  shape: readonly number[],
  wires: readonly WireValue[],
  options: { binary?: boolean; nested?: boolean } = {},
): InferCase {
  const spec = model.inputs[0];
  if (spec === undefined) throw new Error(`model ${model.name} has no input`);
  const input: TensorCase = {
    spec,
    shape,
    elements: wires.map((wire) => ({ wire, feed: feedOf(spec.datatype, wire) })),
    nested: options.nested ?? false,
    binary: options.binary ?? false,
  };
  return {
    model,
    versionInPath: false,
    inputs: [input],
    contentType: 'application/json',
    [fc.toStringMethod]: () => `${model.name} ${JSON.stringify(shape)} ${JSON.stringify(wires).slice(0, 80)}`,
  } as InferCase;
}
