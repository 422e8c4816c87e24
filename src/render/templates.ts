/**
 * Loads and compiles Handlebars templates from templates/ (strict mode: a missing view-model
 * field is an error, never an empty string). Templates hold only interpolation, `#each` and
 * `#if` on booleans the view-model computed; every decision lives in TypeScript.
 */
import Handlebars from 'handlebars';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where package.json and templates/ are), found from this module's location. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'templates'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('bug: cannot find the cairn package root (templates/)');
    dir = parent;
  }
  return dir;
}

/** A compiled template: view-model in, text out. */
export type Template = (view: Record<string, unknown>) => string;

/** Compiles templates on first use and keeps them for the rest of the run. */
export class TemplateSet {
  readonly #dir: string;
  readonly #cache = new Map<string, Template>();
  readonly #hbs = Handlebars.create();

  constructor(dir: string = join(packageRoot(), 'templates')) {
    this.#dir = dir;
  }

  /** The compiled template at `name` (relative to templates/). */
  get(name: string): Template {
    let t = this.#cache.get(name);
    if (!t) {
      const source = readFileSync(join(this.#dir, name), 'utf8');
      // noEscape: these are config files, not HTML; strict: a typo in a field name fails loudly.
      const compiled = this.#hbs.compile(source, { strict: true, noEscape: true });
      t = (view) => compiled(view);
      this.#cache.set(name, t);
    }
    return t;
  }
}
