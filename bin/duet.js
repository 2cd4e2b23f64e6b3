#!/usr/bin/env node
// The `duet` command (REPL, -c, -f, serve, node, ...). Runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
