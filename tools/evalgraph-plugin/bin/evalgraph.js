#!/usr/bin/env node
// The evalgraph CLI: doctor, cache, schemas. TypeScript sources are compiled on the fly, as Nx does for the plugin.
'use strict';
require('@swc-node/register');
require('../src/cli/main.ts').main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e && e.stack ? e.stack : String(e));
    process.exit(1);
  },
);
