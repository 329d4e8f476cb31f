// Lint rules, and the layer table of ARCHITECTURE.md enforced as import restrictions:
// the first upward or sideways import fails `npm run lint`.
import tseslint from 'typescript-eslint';

const folders = ['shared', 'config', 'sip', 'transport', 'transaction', 'dispatcher', 'probe', 'relay', 'metrics', 'admin', 'hep', 'edge', 'app', 'stack', 'threads', 'notify', 'cli', 'demo', 'cluster'];
/** Everything the stack builders may wire: the folders below app/ that are not builders themselves. */
const core = ['shared', 'config', 'sip', 'transport', 'transaction', 'dispatcher', 'probe', 'relay', 'metrics', 'admin', 'hep', 'edge'];

/** Which internal folders each folder may import (besides itself). */
const allowed = {
  shared: [],
  config: ['shared'],
  sip: ['shared'],
  transport: ['shared', 'sip'],
  transaction: ['shared', 'sip'],
  dispatcher: ['shared', 'sip'],
  probe: ['shared', 'sip', 'transaction', 'dispatcher'],
  relay: ['shared', 'sip', 'transaction', 'dispatcher'],
  metrics: ['shared'],
  admin: ['shared', 'dispatcher'],
  hep: ['shared'],
  edge: ['shared', 'sip'],
  stack: core,
  threads: [...core, 'stack'],
  notify: ['shared'],
  app: folders.filter((f) => f !== 'cli' && f !== 'demo'),
  cli: folders,
  demo: folders.filter((f) => f !== 'cli'),
  cluster: ['shared'],
};

/**
 * Folders whose option types a folder may import, type-only: config/resolve.ts fills each
 * component's own option shape (the component owns it) without depending on its code.
 */
const typesOnly = {
  config: ['admin', 'dispatcher', 'edge', 'hep', 'notify', 'probe', 'relay', 'transaction', 'transport', 'cluster'],
  // the cluster replicates dispatcher state through the facade it is given, never its code
  cluster: ['dispatcher'],
};

/** Packages and node modules that only the edges may touch. */
const ioModules = ['node:dgram', 'node:net', 'node:tls', 'node:http', 'node:https', 'node:fs', 'node:fs/promises', 'dgram', 'net', 'fs'];
const edgeOnly = {
  'prom-client': ['metrics', 'app'],
  fastify: ['admin', 'app'],
  pino: ['app', 'stack', 'threads', 'demo'],
  ioredis: ['cluster'],
};
const pureLayers = ['shared', 'sip', 'transaction', 'dispatcher', 'relay', 'metrics', 'admin', 'edge'];

function restrictionsFor(folder) {
  const patterns = folders
    .filter((f) => f !== folder && !allowed[folder].includes(f))
    .map((f) => ({
      group: [`../${f}/*`, `../../${f}/*`, `**/src/${f}/*`],
      message: `src/${folder} may not import src/${f} (see ARCHITECTURE.md)`,
      allowTypeImports: typesOnly[folder]?.includes(f) ?? false,
    }));
  const paths = Object.entries(edgeOnly)
    .filter(([, who]) => !who.includes(folder))
    .map(([name, who]) => ({ name, message: `only src/${who.join(', src/')} may import ${name}` }));
  if (pureLayers.includes(folder)) {
    for (const name of ioModules) paths.push({ name, message: `src/${folder} does no I/O: sockets and files live at the edges` });
  }
  return { patterns, paths };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/e2e/out/**', 'test/e2e/out/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  ...folders.map((folder) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', restrictionsFor(folder)] },
  })),
);
