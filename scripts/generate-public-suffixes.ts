/**
 * `npm run generate:psl`: rewrites functions/core/public-suffixes.json from the
 * installed tldts package (after updating tldts; nothing is fetched).
 * test/core/public-suffixes.test.ts fails until this has been run when the
 * package's list changed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicSuffixRules, renderData } from './lib/public-suffix-data';

const target = join(__dirname, '..', 'functions', 'core', 'public-suffixes.json');
const rules = publicSuffixRules();
writeFileSync(target, renderData(rules));
process.stdout.write(`wrote ${target}: ${rules.rules.length} rules, ${rules.exceptions.length} exceptions (tldts ${rules.version})\n`);
