/**
 * The shipped teachers: what each is (its recipe and manifest), saving and loading one with every
 * file checked, and its card for the notebooks. Loading builds models on the active backend and
 * starts no engine: the caller chooses it first (`ensureBackend`).
 */
export * from "./shipped.ts";
export * from "./card.ts";
