/** Minister id rules, shared by the ministers file and routing (no I/O here). */

/**
 * Valid minister and category ids: lowercase letters, digits, `_` and `-`, starting with a
 * letter or digit (ids become folder names in `ministers export`), at most 64 characters.
 */
export const MINISTER_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The fallback minister: chunks that no other minister matches go here. */
export const GENERAL_MINISTER_ID = 'general';
