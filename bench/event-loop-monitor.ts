/**
 * Preloaded into the bench's servers (`node --require <this file, bundled> ...`) so the
 * event-loop part can read the server's own event-loop delay instead of inferring it from probe latencies, which
 * also include CPU contention with ONNX Runtime's threads. Costs nothing until the parent sends 'start' over IPC;
 * 'stop' answers with the delay percentiles in milliseconds.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

if (process.send !== undefined) {
  let histogram: IntervalHistogram | undefined;
  process.on('message', (message: unknown) => {
    if (message === 'start') {
      // 1 ms sampling: fine enough for stalls of a few milliseconds, cheap enough not to cause any.
      histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
    } else if (message === 'stop' && histogram !== undefined) {
      histogram.disable();
      const ms = (nanoseconds: number) => nanoseconds / 1e6;
      process.send?.({
        eventLoopDelay: {
          p50: ms(histogram.percentile(50)),
          p99: ms(histogram.percentile(99)),
          max: ms(histogram.max),
        },
      });
      histogram = undefined;
    }
  });
  // The IPC channel must not keep a server alive that would otherwise exit.
  process.channel?.unref();
}
