// The metrics the functions emitted, as CloudWatch would extract them: every
// JSON log line with an `_aws` block (Embedded Metric Format) is read, each
// metric of each dimension set becomes a series, and the series are summed.
// `/__local/stats` and the demo page show them, so the format is visible
// without AWS.

/** One metric with one set of dimension values. */
export interface MetricSeries {
  namespace: string;
  name: string;
  unit: string;
  dimensions: Record<string, string>;
  /** Sum of every value (what a Sum statistic shows for counts). */
  sum: number;
  /** The latest value (what a gauge such as PolicyAgeSeconds means now). */
  last: number;
  max: number;
  /** How many values were emitted. */
  samples: number;
}

interface Directive {
  Namespace?: unknown;
  Dimensions?: unknown;
  Metrics?: unknown;
}

export class MetricCounters {
  private readonly series = new Map<string, MetricSeries>();
  /** Log lines that carried an EMF block. */
  documents = 0;
  /** EMF blocks CloudWatch would reject (a named metric or dimension without its value). */
  invalid = 0;

  /** Reads one parsed log line; lines without `_aws` are ignored. */
  ingest(line: Record<string, unknown> | undefined): void {
    const aws = line?._aws as { CloudWatchMetrics?: unknown } | undefined;
    if (!line || !aws || typeof aws !== 'object' || !Array.isArray(aws.CloudWatchMetrics)) return;
    this.documents++;
    for (const d of aws.CloudWatchMetrics as Directive[]) {
      if (typeof d?.Namespace !== 'string' || !Array.isArray(d.Dimensions) || !Array.isArray(d.Metrics)) {
        this.invalid++;
        continue;
      }
      for (const set of d.Dimensions as unknown[]) {
        if (!Array.isArray(set) || set.some((k) => typeof line[k as string] !== 'string')) {
          this.invalid++;
          continue;
        }
        const dimensions = Object.fromEntries((set as string[]).map((k) => [k, line[k] as string]));
        for (const m of d.Metrics as Array<{ Name?: unknown; Unit?: unknown }>) {
          const value = typeof m?.Name === 'string' ? line[m.Name] : undefined;
          if (typeof value !== 'number' || !Number.isFinite(value)) {
            this.invalid++;
            continue;
          }
          this.add(d.Namespace, m.Name as string, typeof m.Unit === 'string' ? m.Unit : 'None', dimensions, value);
        }
      }
    }
  }

  private add(namespace: string, name: string, unit: string, dimensions: Record<string, string>, value: number): void {
    const key = JSON.stringify([namespace, name, Object.entries(dimensions).sort()]);
    const s = this.series.get(key);
    if (s) {
      s.sum += value;
      s.last = value;
      s.max = Math.max(s.max, value);
      s.samples++;
    } else this.series.set(key, { namespace, name, unit, dimensions, sum: value, last: value, max: value, samples: 1 });
  }

  /** Every series, by name then dimensions. */
  snapshot(): { documents: number; invalid: number; series: MetricSeries[] } {
    const series = [...this.series.values()].sort((a, b) => (a.name + JSON.stringify(a.dimensions) < b.name + JSON.stringify(b.dimensions) ? -1 : 1));
    return { documents: this.documents, invalid: this.invalid, series: series.map((s) => ({ ...s, dimensions: { ...s.dimensions } })) };
  }

  /** The sum of one metric over the series whose dimensions include `where`. */
  total(name: string, where: Record<string, string> = {}): number {
    let n = 0;
    for (const s of this.series.values()) if (s.name === name && Object.entries(where).every(([k, v]) => s.dimensions[k] === v)) n += s.sum;
    return n;
  }
}
