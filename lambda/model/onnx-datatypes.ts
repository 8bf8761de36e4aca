import type { Tensor as OrtTensor } from 'onnxruntime-node';
import type { Datatype } from '../protocol/tensor';

/** Open Inference Protocol datatype for each ONNX Runtime tensor type we can serve. */
const DATATYPE_BY_ONNX_TYPE: Readonly<Record<string, Datatype>> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

const ONNX_TYPE_BY_DATATYPE = Object.fromEntries(
  Object.entries(DATATYPE_BY_ONNX_TYPE).map(([onnxType, datatype]) => [datatype, onnxType]),
) as Readonly<Record<Datatype, OrtTensor.Type>>;

/** The protocol datatype for an ONNX Runtime type, or undefined for types the protocol cannot carry (bfloat16, int4 ...). */
export function datatypeOfOnnxType(onnxType: string): Datatype | undefined {
  return DATATYPE_BY_ONNX_TYPE[onnxType];
}

export function onnxTypeOfDatatype(datatype: Datatype): OrtTensor.Type {
  return ONNX_TYPE_BY_DATATYPE[datatype];
}
