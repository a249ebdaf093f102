// The layout's rules, checked on every run: folders of server/src import one way, platform/ imports
// nothing of ours, and the embedded database imports nothing from the application (the application
// reaches it only through the driver; db/ may start its process).
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = "server/src";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return p.endsWith(".ts") && !p.endsWith(".spec.ts") ? [p] : [];
  });
}

/** The top-level folder of a path under server/src ("." for its root files). */
const folderOf = (p: string) => {
  const parts = relative(root, p).split("/");
  return parts.length > 1 ? parts[0]! : ".";
};

/** Every relative import between two different folders, as [from, to, file]. */
function crossings(): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const file of sources(root)) {
    for (const m of readFileSync(file, "utf8").matchAll(/from "(\.[^"]+)"/g)) {
      const target = normalize(join(dirname(file), m[1]!));
      const [a, b] = [folderOf(file), folderOf(target)];
      if (a !== b) out.push([a, b, file]);
    }
  }
  return out;
}

describe("server/src layering", () => {
  const edges = crossings();

  it("no two folders import each other (the root files compose; nothing imports them)", () => {
    const pairs = new Set(edges.map(([a, b]) => `${a}>${b}`));
    const both = [...pairs].filter((p) => pairs.has(p.split(">").reverse().join(">")));
    expect(both).toEqual([]);
    expect(edges.filter(([a, b]) => b === "." && a !== ".").map(([, , f]) => f)).toEqual([]);
  });

  it("platform/ imports nothing of ours; embedded-mongo/ nothing outside itself", () => {
    expect(edges.filter(([a]) => a === "platform" || a === "embedded-mongo").map(([, b, f]) => `${f} → ${b}`)).toEqual(
      [],
    );
  });

  it("only db/ (which starts the embedded database) and the root reach embedded-mongo/", () => {
    const reachers = new Set(edges.filter(([, b]) => b === "embedded-mongo").map(([a]) => a));
    expect([...reachers].filter((a) => a !== "db" && a !== ".")).toEqual([]);
  });
});
