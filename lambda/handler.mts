// An ES module (.mts), bundled as such (lib/constructs/inference-function.ts), for one reason: top-level await.
// Lambda awaits the module's evaluation as part of its init phase, so the model is downloaded, verified and turned
// into a session before init ends: the reported init duration includes it, provisioned concurrency is frozen with
// the session ready, and the first request only runs the model.
import { ModelEnvironment } from '../contract/environment.js';
import { createApiGatewayHandler } from './api-gateway-handler.js';
import { bucketRequestsWritten, modelBackendsFromEnvironment } from './model/backends-from-environment.js';
import { ModelRegistry } from './model/model-registry.js';
import { loadOnnxModel } from './model/onnx-model.js';
import { ort } from './model/onnx-runtime.js';
import { captureFeatureNames } from './monitoring/capture-features.js';
import { captureSettings, withCapture } from './monitoring/capture-sampling.js';
import { feedbackLogSink } from './monitoring/feedback.js';
import { warmTracing } from './observability.js';
import { withShadowSampling } from './shadow/shadow-sampling.js';
import { mapStacksOfBundle } from './source-mapped-stacks.js';

// Stack traces in logs point at lambda/*.ts lines; the map is read when one is first formatted, not at init.
mapStacksOfBundle(import.meta.url);

// The main thread: an execution environment serves one request at a time, so nothing waits behind an inference and
// a worker thread would only add a hop (and its code to the bundle). A sagemaker model's function forwards instead.
const backends = modelBackendsFromEnvironment(loadOnnxModel);
const registry = new ModelRegistry(backends);

// A failed load does not fail init (that would leave Lambda retrying init with no answer to send): loadAll never
// throws, the registry logs the failure, and requests answer 503 with Retry-After until a retry succeeds.
const loading = registry.loadAll();
// While the model's GETs wait for S3's answer, ONNX Runtime is imported (the dlopen of its library, 10-40 ms of CPU),
// and then what the first trace will send with (3-5 ms): both would otherwise run after the download, in front of the
// first answer. Not before the requests are written, though: the connection, the TLS handshake and the write each
// need the event loop, and a synchronous import in front of them held the requests back by its whole duration.
// A forwarding function has no ONNX Runtime to import. A runtime that fails to load is not an error here: the model's
// load fails on it and reports it, and init still completes (requests answer 503), as without this head start.
void bucketRequestsWritten().then(() => {
  try {
    if (!process.env[ModelEnvironment.sagemakerEndpoint]) ort();
  } catch {
    // Reported by the model's load, which requires it again.
  }
  // One loop turn later, after the I/O already waiting: an answer that arrived during the import is read (and the
  // session created) first, and the warm-up runs in the next wait instead of in front of it.
  setImmediate(() => setImmediate(warmTracing));
});
await loading;

// Data capture, when the deployment turns it on for this model: sampled inferences and feedback go to the log as
// capture records, which a subscription filter hands to the capture writer.
const capture = captureSettings(process.env);
const features = await captureFeatureNames(capture, backends[0]?.descriptor);
const served = createApiGatewayHandler(registry, capture === undefined ? {} : { feedback: feedbackLogSink() });

/** Lambda entry point: API Gateway REST proxy event in, proxy result out (sampled for capture and shadow testing). */
export const handler = withShadowSampling(withCapture(served, capture, { features: () => features }));
