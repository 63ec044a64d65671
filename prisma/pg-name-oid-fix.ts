/**
 * W3: every PostgreSQL migrate command fails with "Column type 'name' could not be deserialized"
 * (prisma/orm#27403, open), then the same for `"char"`: the JS schema engine cannot read those catalog
 * types. Reading them as text is what the engine wants. Imported only by prisma.config.ts, so it patches
 * the CLI process, never the app.
 */
import pg from "pg";

type Field = { dataTypeID: number };
const PG_CHAR = 18;
const PG_NAME = 19;
const PG_TEXT = 25;
const proto = (pg as unknown as { Result: { prototype: { addFields(fields: Field[]): void } } }).Result.prototype;
const addFields = proto.addFields;
proto.addFields = function (this: unknown, fields: Field[]) {
  for (const f of fields) if (f.dataTypeID === PG_CHAR || f.dataTypeID === PG_NAME) f.dataTypeID = PG_TEXT;
  return addFields.call(this, fields);
};
