// Prisma's WebAssembly schema engine, loaded by hand so migrations apply offline.
// The package's ES entry imports its `.wasm` the way bundlers do, which Node cannot; we
// compile the file ourselves and hand the instance to its JS glue (see ENVIRONMENT notes
// in the README).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import type * as GlueModule from '@prisma/schema-engine-wasm/schema_engine_bg';

type Glue = typeof GlueModule;

let gluePromise: Promise<Glue> | undefined;

async function loadGlue(): Promise<Glue> {
  const require = createRequire(import.meta.url);
  const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const pkgDir = path.dirname(gluePath);
  const glue = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as Glue & {
    __wbg_set_wasm(exports: unknown): void;
  };
  const bytes = await readFile(path.join(pkgDir, 'schema_engine_bg.wasm'));
  const module = await WebAssembly.compile(bytes);
  // The glue's exported functions are exactly the imports the module expects.
  const imports: WebAssembly.Imports = { './schema_engine_bg.js': glue as unknown as WebAssembly.ModuleImports };
  const instance = await WebAssembly.instantiate(module, imports);
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
  return glue;
}

export interface SchemaEngineOptions {
  schemaPath: string;
  schemaText: string;
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  log?: (line: string) => void;
}

/** Starts a schema engine bound to one database through a Prisma driver adapter. */
export async function openSchemaEngine(opts: SchemaEngineOptions): Promise<SchemaEngine> {
  gluePromise ??= loadGlue();
  const glue = await gluePromise;
  const engine = await glue.SchemaEngine.new(
    { datamodels: [[opts.schemaPath, opts.schemaText]] },
    (line: string) => opts.log?.(line),
    // Unwrapped, the factory's methods lose `this` inside the engine.
    bindMigrationAwareSqlAdapterFactory(opts.adapterFactory),
  );
  return engine;
}
