/** A stored metric definition (storage model of tally.telemetry.v1.MetricDefinition). */
export interface DefinitionDoc {
  name: string;
  kind: string;
  /** Bucket lower bounds (numeric kinds). */
  buckets: number[];
  /** Bucket labels (categorical). */
  labels: string[];
  description: string;
  keyed: boolean;
}
