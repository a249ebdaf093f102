import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Tally's Prometheus metrics (`GET /metrics`): calls by API, method, protocol and code with latency
 * histograms and in-flight gauge; admission-control refusals per tenant; database command durations;
 * and Node's default process metrics (event-loop lag, heap, GC). One registry per server, so several
 * servers in one process (tests) keep their own figures.
 */
export class TallyMetrics {
  readonly registry = new Registry();
  readonly calls: Counter<"api" | "method" | "protocol" | "code">;
  readonly callSeconds: Histogram<"api" | "method" | "protocol">;
  readonly inFlight: Gauge<"api">;
  readonly refusals: Counter<"tenant" | "reason">;
  readonly dbCommandSeconds: Histogram<"command" | "outcome">;

  constructor(embeddedMemory: () => { rss: number; heapUsed: number } | undefined = () => undefined) {
    collectDefaultMetrics({ register: this.registry, prefix: "tally_" });
    const registers = [this.registry];
    this.calls = new Counter({
      name: "tally_calls_total",
      help: "Calls answered, by API (service), method, protocol and code.",
      labelNames: ["api", "method", "protocol", "code"],
      registers,
    });
    this.callSeconds = new Histogram({
      name: "tally_call_duration_seconds",
      help: "Call latency, by API, method and protocol.",
      labelNames: ["api", "method", "protocol"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.inFlight = new Gauge({
      name: "tally_calls_in_flight",
      help: "Calls being handled, by API.",
      labelNames: ["api"],
      registers,
    });
    this.refusals = new Counter({
      name: "tally_admission_refusals_total",
      help: "Calls refused by per-tenant admission control (429), by tenant and reason.",
      labelNames: ["tenant", "reason"],
      registers,
    });
    this.dbCommandSeconds = new Histogram({
      name: "tally_db_command_duration_seconds",
      help: "Database command round trips seen by the driver, by command and outcome.",
      labelNames: ["command", "outcome"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Gauge({
      name: "tally_embedded_db_memory_bytes",
      help: "The embedded database process's memory (absent on real MongoDB), by kind.",
      labelNames: ["kind"],
      registers,
      collect() {
        const m = embeddedMemory();
        if (!m) return;
        this.set({ kind: "rss" }, m.rss);
        this.set({ kind: "heap_used" }, m.heapUsed);
      },
    });
  }
}
