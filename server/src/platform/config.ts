import { z } from "zod";

/** Environment variables Tally reads, parsed once at start-up. */
const configZod = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default("127.0.0.1"),
  /** Real MongoDB (>= 7.0). Unset: the embedded database runs in a child process. */
  MONGODB_URI: z.string().startsWith("mongodb").optional(),
  MONGODB_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/)
    .default("tally"),
  /** Where the embedded database keeps its journal; unset or empty means in memory. */
  TALLY_DATA_DIR: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined)),
  /**
   * The key-encryption key sealing private signing keys (32 bytes, base64), or a file holding it.
   * Required with MONGODB_URI; the embedded database generates `<TALLY_DATA_DIR>.kek` (0600) when
   * neither is set, and an in-memory one uses a key that dies with the process.
   */
  TALLY_KEK: z.string().optional(),
  TALLY_KEK_FILE: z.string().optional(),
  /** Heap cap of the embedded database's process; a command that needs more fails, the API does not. */
  EMBEDDED_DB_MAX_HEAP_MB: z.coerce.number().int().min(64).max(65_536).default(4096),
  /** Load deterministic demo data for every API on an empty embedded database. */
  TALLY_DEMO: z.enum(["auto", "on", "off"]).default("auto"),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Token issuer and audience. */
  TALLY_ISSUER: z.string().min(1).default("tally"),
  TALLY_AUDIENCE: z.string().min(1).default("tally-api"),
  TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86400).default(900),
  MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  MAX_DEADLINE_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(10 * 60_000)
    .default(60_000),
  /**
   * How jobs aggregations run: one aggregate per aggregation concurrently, or one $facet after the
   * shared $match. `auto`: $facet on the embedded engine (single-threaded: one scan beats several),
   * concurrent on MongoDB (parallel across cores, no 16 MiB cap on one result document). See README.
   */
  JOBS_AGG_STRATEGY: z.enum(["auto", "concurrent", "facet"]).default("auto"),
  /** Origins browsers may call from (comma-separated, `*` for any); empty: no CORS headers. */
  CORS_ALLOWED_ORIGINS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /** Values one delivery-stats series may return; a longer one is refused before any work. */
  MAX_SERIES_VALUES: z.coerce.number().int().min(100).max(10_000_000).default(50_000),
  /** Per tenant: reads (queries) running at once; more wait up to ADMISSION_QUEUE_MS, then 429. */
  TENANT_MAX_CONCURRENT_READS: z.coerce.number().int().min(1).max(10_000).default(8),
  /** Per tenant: sustained reads per second and the burst above it. */
  TENANT_READS_PER_SECOND: z.coerce.number().min(0.1).max(1_000_000).default(200),
  TENANT_READ_BURST: z.coerce.number().int().min(1).max(1_000_000).default(400),
  /** Per tenant: ingests and other writes running at once, per second, and burst. */
  TENANT_MAX_CONCURRENT_INGESTS: z.coerce.number().int().min(1).max(10_000).default(4),
  TENANT_INGESTS_PER_SECOND: z.coerce.number().min(0.1).max(1_000_000).default(50),
  TENANT_INGEST_BURST: z.coerce.number().int().min(1).max(1_000_000).default(100),
  /** How long a call over its tenant's running slots may wait for one before it is refused. */
  ADMISSION_QUEUE_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
  /** Who may read GET /metrics on the main port: loopback callers only, or anyone reaching the port. */
  METRICS_ACCESS: z.enum(["local", "public"]).default("local"),
  /** Jobs: values one `terms` query may list (Elasticsearch's index.max_terms_count). */
  JOBS_MAX_TERMS_COUNT: z.coerce.number().int().min(1).max(1_000_000).default(65_536),
  /** Jobs: query clauses one request may carry, filters included (Elasticsearch's max_clause_count). */
  JOBS_MAX_CLAUSE_COUNT: z.coerce.number().int().min(1).max(100_000).default(1024),
  /** A new plaintext connection must send enough bytes to tell HTTP/1.1 from HTTP/2 within this. */
  SNIFF_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** HTTP/1.1: the request head must arrive within this (Node's headersTimeout). */
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** The whole request, body included, must arrive within this (HTTP/1.1 and each HTTP/2 stream). */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  /** An HTTP/2 session with no traffic and no call running is closed after this (HTTP/1.1 keep-alive: 5 s at most). */
  IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 asks for no fewer than 100). */
  H2_MAX_CONCURRENT_STREAMS: z.coerce.number().int().min(1).max(1000).default(128),
  /** Largest request head (HTTP/1.1 header bytes, HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE). */
  MAX_HEADER_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(256 * 1024)
    .default(16 * 1024),
});

/** The validated configuration (from the environment; see the README's Configuration). */
export type Config = Readonly<z.infer<typeof configZod>>;

/**
 * Parses the environment into a frozen Config. Errors name the offending key and the rule it broke,
 * never the value (values may be secrets).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configZod.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${i.path.join(".")}: ${i.message.replace(/received .*$/i, "").trim()}`,
    );
    throw new Error(`invalid configuration: ${problems.join("; ")}`);
  }
  if (result.data.MONGODB_URI && !result.data.TALLY_KEK && !result.data.TALLY_KEK_FILE) {
    throw new Error(
      "invalid configuration: TALLY_KEK or TALLY_KEK_FILE is required with MONGODB_URI (the key that seals signing keys must not live in the database)",
    );
  }
  if (Boolean(result.data.TLS_CERT_FILE) !== Boolean(result.data.TLS_KEY_FILE)) {
    throw new Error("invalid configuration: TLS_CERT_FILE and TLS_KEY_FILE must be set together");
  }
  return Object.freeze(result.data);
}
