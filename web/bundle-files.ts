/** The files of an exported bundle, named once for the exporter that writes them and the module that loads them. */
export const BUNDLE_FILES = {
  module: 'model-endpoint.js',
  model: 'model.onnx',
  descriptor: 'descriptor.json',
  /** ONNX Runtime's CPU WebAssembly build (SIMD; its threads stay unused): the only one the bundle needs. */
  wasm: 'ort-wasm-simd-threaded.wasm',
  example: 'index.html',
} as const;
