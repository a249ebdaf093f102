#!/usr/bin/env node
// The `tally` command: runs the TypeScript CLI through tsx's loader.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli/main.ts");
process.exit(await runCli(process.argv.slice(2)));
