#!/usr/bin/env node
// The evalgraph CLI: doctor, cache, schemas. Runs the compiled sources, recompiling what changed first (bin/build.js).
'use strict';
require('./build').ensureBuilt();
require('../dist/cli/main.js').main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e && e.stack ? e.stack : String(e));
    process.exit(1);
  },
);
