// Jest runs each test file in its own V8 realm, so a Float32Array made by the test is not an instance of the
// host realm's Float32Array that onnxruntime-node's native binding checks against ("A float32 tensor's data must be
// type of function Float32Array()"). Sharing the host's typed-array constructors makes both realms agree.
const { TestEnvironment } = require('jest-environment-node');

const sharedConstructors = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'Buffer',
];

class OnnxRuntimeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of sharedConstructors) {
      this.global[name] = globalThis[name];
    }
  }
}

module.exports = OnnxRuntimeEnvironment;
