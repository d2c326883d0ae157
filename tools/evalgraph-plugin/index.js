'use strict';
// Nx loads the plugin from here: compile what changed since the last build (bin/build.js), then the compiled plugin.
require('./bin/build').ensureBuilt();
module.exports = require('./dist/index.js');
