import type { Config } from "../platform/config.js";
import { KeyEncryptionKey } from "./key-encryption.js";

/**
 * The KEK the configuration names: `TALLY_KEK`, else `TALLY_KEK_FILE`; for the embedded database
 * without either, a file generated beside its data directory, or a per-process key in memory.
 */
export function keyEncryptionKey(config: Config): KeyEncryptionKey {
  if (config.TALLY_KEK) return KeyEncryptionKey.fromBase64(config.TALLY_KEK);
  if (config.TALLY_KEK_FILE) return KeyEncryptionKey.fromFile(config.TALLY_KEK_FILE, false);
  if (config.TALLY_DATA_DIR) return KeyEncryptionKey.fromFile(`${config.TALLY_DATA_DIR.replace(/\/+$/, "")}.kek`, true);
  return KeyEncryptionKey.ephemeral();
}
