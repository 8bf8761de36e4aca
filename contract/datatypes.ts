/**
 * The Open Inference Protocol tensor datatypes. The runtime decodes exactly these, and the API's request validator
 * rejects any other before a function runs; one list keeps the two from drifting apart.
 */
export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;
export type Datatype = (typeof DATATYPES)[number];

/** The integer datatypes: a tensor of these can carry class indices. */
export const INTEGER_DATATYPES: ReadonlySet<Datatype> = new Set(DATATYPES.filter((type) => /^U?INT\d+$/.test(type)));
