/** `npm run docs:config`: regenerates refresher.config.schema.json and the reference table in docs/configuration.md. */
import { readFileSync, writeFileSync } from 'node:fs';
import { configJsonSchema, configJsonSchemaText, REFERENCE_PAGE, renderReferenceTable, SCHEMA_FILE, withReferenceTable } from './config-reference.js';

writeFileSync(SCHEMA_FILE, configJsonSchemaText());
writeFileSync(REFERENCE_PAGE, withReferenceTable(readFileSync(REFERENCE_PAGE, 'utf8'), renderReferenceTable(configJsonSchema())));
console.log(`wrote ${SCHEMA_FILE} and the reference table in ${REFERENCE_PAGE}`);
