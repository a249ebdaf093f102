#!/usr/bin/env node
// The `tally` command. `#cli` is the compiled CLI (dist/); in this repository's development
// (node --conditions=tally-source --import tsx) it is the TypeScript source.
import { runCli } from "#cli";

process.exit(await runCli(process.argv.slice(2)));
