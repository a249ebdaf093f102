/** The timestamp format a client negotiated through `Accept`, or "none" when nothing it accepts can be produced. */
export type TimestampChoice = "rfc" | "unix" | "none";

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
  params: Map<string, string>;
}

/**
 * Traffic Ops' negotiation: ranges sorted by q (missing or unparseable: 1), then specificity
 * (`*\/*` < `type/*` < full), then number of parameters; the first range that
 * `application/json;timestamp=rfc` satisfies picks rfc, else one that `...;timestamp=unix` satisfies
 * picks unix. A missing, empty or unparseable header means rfc.
 */
export function negotiateTimestamp(accept: string | null): TimestampChoice {
  if (accept === null || accept.trim() === "") return "rfc";
  const ranges = parse(accept);
  if (!ranges) return "rfc";
  ranges.sort((a, b) => b.q - a.q || specificity(b) - specificity(a) || b.params.size - a.params.size);
  for (const r of ranges) {
    if (r.q <= 0) continue;
    if (satisfies(r, "rfc")) return "rfc";
    if (satisfies(r, "unix")) return "unix";
  }
  return "none";
}

function parse(header: string): MediaRange[] | undefined {
  const out: MediaRange[] = [];
  for (const part of header.split(",")) {
    const [mt, ...paramParts] = part.split(";").map((s) => s.trim());
    if (!mt) continue;
    const m = /^([A-Za-z0-9!#$&^_.+*-]+)\/([A-Za-z0-9!#$&^_.+*-]+)$/.exec(mt);
    if (!m) return undefined;
    const params = new Map<string, string>();
    let q = 1;
    for (const p of paramParts) {
      if (p === "") continue;
      const eq = p.indexOf("=");
      if (eq <= 0) return undefined;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1");
      if (k === "q") {
        const n = Number(v);
        q = v !== "" && Number.isFinite(n) && n >= 0 && n <= 1 ? n : 1;
      } else params.set(k, v);
    }
    out.push({ type: m[1]!.toLowerCase(), subtype: m[2]!.toLowerCase(), q, params });
  }
  return out;
}

function specificity(r: MediaRange): number {
  if (r.type === "*") return 0;
  if (r.subtype === "*") return 1;
  return 2;
}

function satisfies(r: MediaRange, ts: "rfc" | "unix"): boolean {
  const typeOk = r.type === "*" || (r.type === "application" && (r.subtype === "*" || r.subtype === "json"));
  if (!typeOk) return false;
  const want = r.params.get("timestamp");
  return want === undefined || want === ts;
}
