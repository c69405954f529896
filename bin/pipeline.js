#!/usr/bin/env node
'use strict';
// `npx pipeline`: runs the TypeScript source through tsx. The CLI is a tool of this repository (npm ci
// installs tsx with it), so there is no separate build to forget or to go stale.
require('tsx/cjs');
require('../ops/main.ts').main();
