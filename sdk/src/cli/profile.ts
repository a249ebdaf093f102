import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** A saved CLI profile: where a Tally is and the client to use there. */
export interface Profile {
  url: string;
  clientId: string;
  clientSecret: string;
}

/** Profiles live in `$TALLY_CONFIG` or `~/.config/tally/profiles.json`, readable by the user only. */
export function profilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TALLY_CONFIG ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "tally", "profiles.json");
}

/** Every saved profile by name (from {@link profilePath}). */
export function readProfiles(env: NodeJS.ProcessEnv = process.env): Record<string, Profile> {
  const p = profilePath(env);
  return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as Record<string, Profile>) : {};
}

/** Saves one profile (the file is the owner's only: 0600). */
export function saveProfile(name: string, profile: Profile, env: NodeJS.ProcessEnv = process.env): string {
  const p = profilePath(env);
  mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
  const all = { ...readProfiles(env), [name]: profile };
  writeFileSync(p, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
  chmodSync(p, 0o600);
  return p;
}
