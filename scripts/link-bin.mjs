// `npm install` does not link a package's own bin into its node_modules/.bin; this does,
// so `npx kaiyaku` and node_modules/.bin/kaiyaku work in a fresh clone.
import fs from 'node:fs';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const target = path.join(root, 'dist', 'cli', 'main.js');
const binDir = path.join(root, 'node_modules', '.bin');
const link = path.join(binDir, 'kaiyaku');
fs.chmodSync(target, 0o755);
fs.mkdirSync(binDir, { recursive: true });
fs.rmSync(link, { force: true });
fs.symlinkSync(path.relative(binDir, target), link);
