import type * as OnnxRuntime from 'onnxruntime-node';

let loaded: typeof OnnxRuntime | undefined;

/**
 * onnxruntime-node, loaded with `require` rather than `import`. On Lambda it lives in a layer
 * (/opt/nodejs/node_modules), which Node's own ES module resolution never searches: `require` does, through the
 * NODE_PATH that Lambda sets. The ES module bundle of the handler defines `require` with createRequire (see the
 * esbuild banner in lib/constructs/inference-function.ts), so this line works in that bundle, in the CommonJS build
 * of the local server and under jest alike. It is also a CommonJS package, whose exports `require` gets as they are.
 *
 * Loaded on first use, not at import: a `sagemaker` model's function runs the same bundle as a forwarder and has no
 * ONNX Runtime layer, so requiring the package at import would fail its init.
 */
export function ort(): typeof OnnxRuntime {
  if (loaded === undefined) {
    loaded = require('onnxruntime-node') as typeof OnnxRuntime;
    // ONNX Runtime's process-wide log level, read once when the first session is created: warnings such as the
    // telemetry device id notice are noise on every cold start, errors are kept. What ONNX Runtime cannot route
    // through this level (cpuinfo's complaints about Lambda arm64's missing /sys cpu files) is printed by native code
    // straight to stderr before any of this is read.
    loaded.env.logLevel = 'error';
  }
  return loaded;
}
