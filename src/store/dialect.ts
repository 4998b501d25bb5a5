/** The databases a werker server runs on (db.ts opens them; the migrations differ by it, without importing db.ts back). */
export type Dialect = 'sqlite' | 'postgres';
