import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, MODEL_DIMENSION, ShadowMetric, VERSION_DIMENSION } from '../../contract/environment';

export interface ShadowDashboardProps {
  readonly modelName: string;
  readonly liveVersion: string;
  readonly candidateVersion: string;
  readonly sampleRate: number;
  readonly serviceName: string;
}

/**
 * The shadow row of a model on the dashboard: how often the candidate's labels match the live ones, how far its
 * numbers are, how fast and how reliably it answers, and the samples the live function could not log.
 */
export function shadowDashboardRow(props: ShadowDashboardProps): cloudwatch.IWidget[] {
  const metric = (metricName: string, statistic: string, label: string, version = props.candidateVersion) =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: props.serviceName, [MODEL_DIMENSION]: props.modelName, [VERSION_DIMENSION]: version },
      statistic,
      period: Duration.minutes(5),
      label,
    });
  const graph = (title: string, metrics: cloudwatch.IMetric[], leftYAxis?: cloudwatch.YAxisProps) =>
    new cloudwatch.GraphWidget({ title, left: metrics, width: 6, height: 6, ...(leftYAxis && { leftYAxis }) });
  const candidate = `${props.modelName} candidate ${props.candidateVersion}`;
  return [
    new cloudwatch.TextWidget({
      markdown: `## Shadow: model ${props.modelName} candidate version ${props.candidateVersion} vs live version ${props.liveVersion} (${props.sampleRate * 100} % of inferences sampled)`,
      width: 24,
      height: 1,
    }),
    graph(
      `${candidate}: exact match rate of labels`,
      [metric(ShadowMetric.exactMatch, 'Average', 'exact match rate')],
      { min: 0, max: 1 },
    ),
    graph(`${candidate}: max absolute difference of numbers`, [
      metric(ShadowMetric.maxAbsDifference, 'Maximum', 'maximum'),
      metric(ShadowMetric.maxAbsDifference, 'p50', 'p50'),
    ]),
    graph(`${candidate}: latency (ms)`, [
      metric(ShadowMetric.latency, 'p50', 'p50'),
      metric(ShadowMetric.latency, 'p99', 'p99'),
    ]),
    graph(`${candidate}: samples, errors, skipped`, [
      metric(ShadowMetric.errors, 'SampleCount', 'samples compared'),
      metric(ShadowMetric.errors, 'Sum', 'candidate errors'),
      metric(ShadowMetric.samplesSkipped, 'Sum', 'samples too large to log', props.liveVersion),
    ]),
  ];
}
